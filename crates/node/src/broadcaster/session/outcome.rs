//! An answer checked (receipt, then media), then accepted into the output or kept as a fault,
//! with a challenge opened when configured.

use alloy::primitives::{Address, B256};
use streamflow_transcoder::Verdict;
use streamflow_transcoder::probe::ProbeInfo;
use streamflow_transcoder::verify::Claim;

use std::time::{Duration, Instant};

use super::attempt::Answer;
use super::{ChallengeSummary, Session};
use crate::broadcaster::checks::{self, Expectation, RenditionFile};
use crate::broadcaster::hls::Variant;
use crate::broadcaster::store::{KeptRendition, ReceiptRecord, ReceiptState};
use crate::challenge::FollowOptions;

impl Session {
    pub(super) async fn check(
        &self,
        meta: &SegMeta<'_>,
        orchestrator: Address,
        answer: &Answer,
        sampled: bool,
    ) -> Result<(), Vec<String>> {
        let e = Expectation {
            broadcaster: self.chain.sender(),
            orchestrator,
            stream_id: self.stream_id,
            seq_no: meta.seq,
            input_hash: meta.input_hash,
            service_id: self.opts.service_id,
            receipt_domain: self.receipt_domain,
            profiles: &self.opts.profiles,
            source: meta.probe,
        };
        let faults = checks::receipt_faults(&e, &answer.result);
        if !faults.is_empty() {
            return Err(faults);
        }
        // Store the renditions (evidence) and check the media.
        let mut files = Vec::new();
        for (r, bytes) in answer.result.renditions.iter().zip(&answer.renditions) {
            let h = self
                .evidence
                .put(bytes)
                .map_err(|e| vec![format!("storing: {e}")])?;
            let profile = self
                .opts
                .profiles
                .iter()
                .find(|p| p.name == r.name)
                .cloned()
                .ok_or_else(|| vec![format!("unknown rendition {}", r.name)])?;
            files.push((
                self.evidence.path(&h),
                profile,
                Claim {
                    width: r.width,
                    height: r.height,
                    frames: r.frames,
                    pixels: r.pixels,
                },
            ));
        }
        let source = meta.source_path.to_path_buf();
        let probe = meta.probe.clone();
        let results = tokio::task::spawn_blocking(move || {
            let items: Vec<RenditionFile<'_>> = files
                .iter()
                .map(|(path, profile, claim)| RenditionFile {
                    path,
                    profile,
                    claim: *claim,
                })
                .collect();
            checks::media_checks(&source, &probe, &items, sampled)
        })
        .await
        .map_err(|e| vec![format!("check task: {e}")])?;
        match results {
            Ok(results) => match checks::overall(&results) {
                Verdict::Fail { reasons } => Err(reasons),
                _ => Ok(()),
            },
            Err(e) => Err(vec![format!("verification failed to run: {e}")]),
        }
    }

    fn record(
        &mut self,
        meta: &SegMeta<'_>,
        i: usize,
        answer: &Answer,
        sampled: bool,
        state: ReceiptState,
    ) -> std::io::Result<()> {
        let o = &self.orchs[i].quoted;
        let kept = answer
            .result
            .renditions
            .iter()
            .map(|r| KeptRendition {
                name: r.name.clone(),
                output_hash: r.output_hash,
                pixels: r.pixels,
            })
            .collect();
        self.receipts.append(&ReceiptRecord {
            seq_no: meta.seq,
            orchestrator: o.candidate.address,
            uri: o.candidate.uri.clone(),
            input_hash: meta.input_hash,
            renditions: kept,
            receipt: answer.result.receipt.clone(),
            sampled,
            state,
        })
    }

    pub(super) fn fault(
        &mut self,
        meta: &SegMeta<'_>,
        i: usize,
        answer: &Answer,
        sampled: bool,
        reasons: Vec<String>,
    ) -> std::io::Result<()> {
        // Keep the renditions as evidence even when the receipt check failed first.
        for bytes in &answer.renditions {
            self.evidence.put(bytes)?;
        }
        self.record(
            meta,
            i,
            answer,
            sampled,
            ReceiptState::ChallengePending { reasons },
        )?;
        self.summary.faults += 1;
        let a = self.orchs[i].quoted.candidate.address;
        self.summary.orchestrators.entry(a).or_default().faults += 1;
        Ok(())
    }

    /// Opens a challenge on a fault's receipt (when configured): the profiles' canonical JSON joins
    /// the evidence (members hash-check every blob the receipt names), the evidence server's URL
    /// travels as `openChallenge`'s evidence bytes, and the opened challenge is recorded.
    pub(super) async fn challenge(
        &mut self,
        seq: u64,
        input_hash: B256,
        i: usize,
        answer: &Answer,
        sampled: bool,
        reasons: Vec<String>,
    ) {
        let Some((challenger, url)) = &self.challenger else {
            return;
        };
        for p in &self.opts.profiles {
            if let Ok(json) = serde_json::to_vec(p) {
                let _ = self.evidence.put(&json);
            }
        }
        let opened = match crate::evidence::evidence_bytes(url) {
            Ok(bytes) => challenger
                .open_challenge(&answer.result.receipt, &bytes)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match opened {
            Ok(o) => {
                tracing::info!(target: "broadcaster", seq, challenge = %o.challenge_id, bond = %o.bond, "challenge opened");
                self.summary.challenges += 1;
                self.opened.push(ChallengeSummary {
                    seq_no: seq,
                    orchestrator: self.orchs[i].quoted.candidate.address,
                    challenge_id: o.challenge_id,
                    bond: o.bond,
                    outcome: None,
                    error: None,
                });
                let state = ReceiptState::Challenged {
                    reasons,
                    challenge_id: o.challenge_id.to_string(),
                };
                let o = &self.orchs[i].quoted;
                let kept = answer
                    .result
                    .renditions
                    .iter()
                    .map(|r| KeptRendition {
                        name: r.name.clone(),
                        output_hash: r.output_hash,
                        pixels: r.pixels,
                    })
                    .collect();
                let record = ReceiptRecord {
                    seq_no: seq,
                    orchestrator: o.candidate.address,
                    uri: o.candidate.uri.clone(),
                    input_hash,
                    renditions: kept,
                    receipt: answer.result.receipt.clone(),
                    sampled,
                    state,
                };
                if let Err(e) = self.receipts.append(&record) {
                    tracing::warn!(target: "broadcaster", %e, "recording the challenge");
                }
            }
            Err(e) => {
                tracing::warn!(target: "broadcaster", seq, %e, "challenge not opened: the receipt stays challengePending");
            }
        }
    }

    /// Follows every challenge opened to its verdict (resolving it when due), within
    /// `challenge_follow` in all, then withdraws the bonds credited back. What could not be
    /// followed stays open on chain, with the reason in its summary.
    pub(super) async fn follow_challenges(&mut self) {
        let Some((challenger, _)) = &self.challenger else {
            return;
        };
        if self.opened.is_empty() {
            return;
        }
        let deadline = Instant::now() + self.opts.challenge_follow;
        for c in &mut self.opened {
            let opts = FollowOptions {
                poll: Duration::from_millis(500),
                timeout: deadline.saturating_duration_since(Instant::now()),
                resolve: true,
            };
            match challenger.follow(c.challenge_id, &opts).await {
                Ok(o) => {
                    tracing::info!(target: "broadcaster", challenge = %c.challenge_id, status = ?o.status, slashed = %o.slashed, finder_fee = %o.finder_fee, bond_refunded = %o.bond_refunded, "challenge settled");
                    c.outcome = Some(o);
                }
                Err(e) => {
                    tracing::warn!(target: "broadcaster", challenge = %c.challenge_id, %e, "challenge not followed to its end");
                    c.error = Some(e.to_string());
                }
            }
        }
        match challenger.collect().await {
            Ok(got) => {
                if !got.amount.is_zero() {
                    tracing::info!(target: "broadcaster", amount = %got.amount, tx = ?got.tx, "challenge bonds withdrawn");
                }
                self.summary.challenge_collected_wei = got.amount;
            }
            Err(e) => {
                tracing::warn!(target: "broadcaster", %e, "withdrawing the challenge credit");
            }
        }
    }

    pub(super) fn accept(
        &mut self,
        meta: &SegMeta<'_>,
        i: usize,
        answer: &Answer,
        sampled: bool,
    ) -> std::io::Result<()> {
        self.record(meta, i, answer, sampled, ReceiptState::Accepted)?;
        let variants: Vec<(Variant, &[u8])> = answer
            .result
            .renditions
            .iter()
            .zip(&answer.renditions)
            .map(|(r, bytes)| {
                let bandwidth = self
                    .opts
                    .profiles
                    .iter()
                    .find(|p| p.name == r.name)
                    .map_or(0, |p| u64::from(p.bitrate) + u64::from(p.audio_bitrate));
                (
                    Variant {
                        name: r.name.clone(),
                        bandwidth,
                        width: r.width,
                        height: r.height,
                    },
                    bytes.as_slice(),
                )
            })
            .collect();
        let duration = meta.probe.duration_secs;
        self.hls.add(meta.seq, duration, &variants)?;
        self.orchs[i].history.successes += 1;
        let a = self.orchs[i].quoted.candidate.address;
        let e = self.summary.orchestrators.entry(a).or_default();
        e.segments += 1;
        e.winning_tickets += u64::from(answer.result.winning_tickets);
        self.summary.segments_out += 1;
        self.summary.renditions += answer.result.renditions.len() as u64;
        self.summary.pixels += answer
            .result
            .renditions
            .iter()
            .map(|r| r.pixels)
            .sum::<u64>();
        if sampled {
            self.summary.sampled += 1;
        }
        Ok(())
    }
}

pub(super) struct SegMeta<'a> {
    seq: u64,
    probe: &'a ProbeInfo,
    input_hash: B256,
    source_path: &'a std::path::Path,
}

pub(super) fn seg_meta<'a>(
    seq: u64,
    probe: &'a ProbeInfo,
    input_hash: B256,
    source_path: &'a std::path::Path,
) -> SegMeta<'a> {
    SegMeta {
        seq,
        probe,
        input_hash,
        source_path,
    }
}
