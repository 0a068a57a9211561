//! One segment through the ranked orchestrators: redundancy, failover, and its timing.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use streamflow_transcoder::probe::ProbeInfo;
use streamflow_transcoder::verify::Expected;
use streamflow_transcoder::{Limits, Profile};

use super::attempt::{AttemptError, AttemptInput, Sent, attempt};
use super::outcome::seg_meta;
use super::{Orch, SegmentTiming, Session, Stop};
use crate::broadcaster::checks;
use crate::broadcaster::segmenter::Segment;
use crate::wire::{FORMAT_MPEGTS, SegmentJob};

/// The pixels a segment's renditions should have, from the source's probe and the profiles.
pub fn expected_pixels(source: &ProbeInfo, profiles: &[Profile]) -> u64 {
    profiles
        .iter()
        .filter(|p| p.output_size(source.width, source.height).is_some())
        .map(|p| {
            let e = Expected::new(source, p);
            u64::from(e.width) * u64::from(e.height) * e.frames
        })
        .sum()
}

/// The pause before the `round`-th (1-based) new round of quotes for one segment: 200 ms, then
/// doubling, at most 2 s.
fn retry_backoff(round: u32) -> Duration {
    Duration::from_millis(200u64 << round.saturating_sub(1).min(4)).min(Duration::from_secs(2))
}

impl Session {
    /// Adds what a round of attempts sent (see [`Sent`]) to the summary.
    fn count_payments(&mut self, payments: &[(Address, Arc<Mutex<Sent>>)]) {
        for (address, sent) in payments {
            let s = *sent.lock().unwrap_or_else(|p| p.into_inner());
            let entry = self.summary.orchestrators.entry(*address).or_default();
            entry.tickets += s.tickets;
            entry.expected_value_wei = entry.expected_value_wei.saturating_add(s.ev);
            self.summary.tickets += s.tickets;
            self.summary.expected_value_wei = self.summary.expected_value_wei.saturating_add(s.ev);
        }
    }

    pub(super) async fn process(&mut self, seg: Segment) -> Result<(), Stop> {
        let arrived = Instant::now();
        let input_hash = self
            .evidence
            .put(&seg.data)
            .map_err(|e| Stop::Fatal(format!("storing the source: {e}")))?;
        let source_path = self.evidence.path(&input_hash);
        let probe = {
            let p = source_path.clone();
            tokio::task::spawn_blocking(move || {
                streamflow_transcoder::probe::probe(&p, &Limits::default())
            })
            .await
            .map_err(|e| Stop::Fatal(e.to_string()))?
        };
        let probe = match probe {
            Ok(p) => p,
            Err(e) => {
                // Our own input is broken: nothing anyone could transcode.
                tracing::warn!(target: "broadcaster", seq = seg.seq, %e, "source segment unreadable: skipped");
                return Ok(());
            }
        };
        let source_ms = arrived.elapsed().as_secs_f64() * 1e3;
        let estimated_pixels = expected_pixels(&probe, &self.opts.profiles);
        let sampled = checks::sampled(self.sample_secret, seg.seq, self.opts.verify_rate);
        let body = Arc::new(seg.data);
        let job = SegmentJob {
            stream_id: self.stream_id,
            seq_no: seg.seq,
            service_id: self.opts.service_id,
            input_hash,
            size: body.len() as u64,
            format: FORMAT_MPEGTS.into(),
            profiles: self.opts.profiles.clone(),
        };
        let mut tried: HashSet<Address> = HashSet::new();
        let mut failed_attempts = 0u32;
        // Rounds of fresh quotes for this segment after everyone known had been tried.
        let mut rediscoveries = 0u32;
        loop {
            if tried.len() as u32 >= self.opts.max_attempts
                || failed_attempts >= self.opts.max_attempts
            {
                return Err(Stop::Exhausted(format!(
                    "segment {}: {} attempts on {} orchestrator(s), none answered well",
                    seg.seq,
                    failed_attempts,
                    tried.len()
                )));
            }
            let mut picks = self.ranked(&tried);
            if picks.is_empty() {
                if rediscoveries >= self.opts.max_attempts {
                    return Err(Stop::Exhausted(format!(
                        "segment {}: no orchestrator left to try",
                        seg.seq
                    )));
                }
                // Everyone known failed this segment once: give the network a moment (a
                // connection closed, a restart) before asking again, more each round.
                if rediscoveries > 0 {
                    tokio::time::sleep(retry_backoff(rediscoveries)).await;
                }
                match self
                    .discover()
                    .await
                    .map_err(|e| Stop::Fatal(e.to_string()))?
                {
                    // Nobody quoted for our balance: top up, wait, or stop (its own bounds).
                    Some(why) => self.low_balance(why).await?,
                    None if self.orchs.is_empty() => {
                        return Err(Stop::Exhausted(format!(
                            "segment {}: no orchestrator left to try",
                            seg.seq
                        )));
                    }
                    None => rediscoveries += 1,
                }
                // A fresh quote gives everyone a fresh chance for this segment (within
                // `max_attempts` failed attempts in all).
                tried.retain(|a| !self.orchs.iter().any(|o| o.quoted.candidate.address == *a));
                continue;
            }
            let room = (self.opts.max_attempts as usize).saturating_sub(tried.len());
            picks.truncate((self.opts.redundancy.max(1) as usize).min(room.max(1)));
            let mut set = tokio::task::JoinSet::new();
            let mut payments = Vec::with_capacity(picks.len());
            for &i in &picks {
                let address = self.orchs[i].quoted.candidate.address;
                tried.insert(address);
                let sent = Arc::new(Mutex::new(Sent::default()));
                payments.push((address, sent.clone()));
                set.spawn(attempt(AttemptInput {
                    index: i,
                    orch: self.orchs[i].clone(),
                    maker: self.maker.clone(),
                    provider: self.chain.provider().clone(),
                    sender: self.chain.sender(),
                    job: job.clone(),
                    body: body.clone(),
                    estimated_pixels,
                    timeout: self.opts.segment_timeout,
                    service_id: self.opts.service_id,
                    region: Some(self.opts.region),
                    quote_timeout: self.opts.quote_timeout,
                    sent,
                }));
            }
            let mut low_balance = None;
            while let Some(joined) = set.join_next().await {
                let out = match joined {
                    Ok(o) => o,
                    Err(e) => {
                        tracing::warn!(target: "broadcaster", %e, "attempt task failed");
                        continue;
                    }
                };
                let address = out.orch.quoted.candidate.address;
                let i = out.index;
                // Keep what the attempt learned (credit, pay factor, new quote).
                let history = self.orchs[i].history;
                self.orchs[i] = Orch {
                    history,
                    ..out.orch
                };
                let answer = match out.outcome {
                    Ok(a) => a,
                    Err(AttemptError::LowBalance(why)) => {
                        tracing::warn!(target: "broadcaster", %address, %why, "LowPMBalance");
                        low_balance = Some(why);
                        tried.remove(&address);
                        continue;
                    }
                    Err(AttemptError::Failed(why)) => {
                        tracing::warn!(target: "broadcaster", seq = seg.seq, %address, %why, "attempt failed: next orchestrator");
                        self.fail(i, false);
                        failed_attempts += 1;
                        continue;
                    }
                };
                let t = Instant::now();
                match self
                    .check(
                        &seg_meta(seg.seq, &probe, input_hash, &source_path),
                        address,
                        &answer,
                        sampled,
                    )
                    .await
                {
                    Ok(()) => {
                        // The other orchestrators' answers are not awaited; what was sent to
                        // them is counted all the same (they took the tickets).
                        set.abort_all();
                        self.count_payments(&payments);
                        let check_ms = t.elapsed().as_secs_f64() * 1e3;
                        self.accept(
                            &seg_meta(seg.seq, &probe, input_hash, &source_path),
                            i,
                            &answer,
                            sampled,
                        )
                        .map_err(|e| Stop::Fatal(format!("writing the output: {e}")))?;
                        if failed_attempts > 0 {
                            self.summary.failovers += 1;
                        }
                        self.summary.timings.push(SegmentTiming {
                            seq_no: seg.seq,
                            orchestrator: address,
                            duration_secs: seg.duration_secs,
                            wall_ms: arrived.elapsed().as_secs_f64() * 1e3,
                            source_ms,
                            quote_ms: answer.quote_ms,
                            pay_ms: answer.pay_ms,
                            request_ms: answer.request_ms,
                            transcode_ms: answer.result.transcode_ms as f64,
                            fetch_ms: answer.fetch_ms,
                            check_ms,
                            failed_attempts,
                            tickets: answer.tickets,
                        });
                        self.summary.media_secs += seg.duration_secs;
                        return Ok(());
                    }
                    Err(reasons) => {
                        tracing::warn!(target: "broadcaster", seq = seg.seq, %address, ?reasons, "fault: receipt kept for a challenge, segment sent elsewhere");
                        self.fault(
                            &seg_meta(seg.seq, &probe, input_hash, &source_path),
                            i,
                            &answer,
                            sampled,
                            reasons.clone(),
                        )
                        .map_err(|e| Stop::Fatal(format!("keeping the receipt: {e}")))?;
                        self.challenge(seg.seq, input_hash, i, &answer, sampled, reasons)
                            .await;
                        self.fail(i, true);
                        failed_attempts += 1;
                    }
                }
            }
            self.count_payments(&payments);
            if let Some(why) = low_balance {
                self.low_balance(why).await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_backoff_doubles_up_to_two_seconds() {
        let ms: Vec<u128> = (1..=6).map(|r| retry_backoff(r).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 2000, 2000]);
    }

    #[test]
    fn expected_pixels_skip_rungs_above_the_source() {
        let probe = ProbeInfo {
            codec: "h264".into(),
            width: 640,
            height: 360,
            fps: 25.0,
            frames: 50,
            duration_secs: 2.0,
            video_bytes: 1,
            video_bitrate: 1.0,
            starts_with_keyframe: true,
            starts_with_idr: true,
            keyframes: 1,
            profile: "High".into(),
            has_audio: false,
        };
        let profiles: Vec<Profile> = ["240p", "360p", "720p"]
            .iter()
            .map(|n| Profile::preset(n).expect("preset"))
            .collect();
        assert_eq!(
            expected_pixels(&probe, &profiles),
            (426 * 240 + 640 * 360) * 50
        );
    }
}
