//! A stream: segments from the input, each sent (with tickets) to the best-ranked orchestrator(s),
//! checked, kept as evidence, and written to HLS in order.
//!
//! Per segment: the source is stored and probed; the `redundancy` best orchestrators not yet tried
//! for it get it at once, and the first answer that passes the checks wins (the others are
//! dropped). An orchestrator that errs, times out or fails a check is marked (it falls behind in the
//! ranking, so the next segment goes elsewhere) and the segment is sent to the next ones, until
//! `max_attempts` orchestrators have been tried: no segment is left out of the output while any
//! orchestrator can do it.
//!
//! Errors an orchestrator answers are acted on: `InsufficientPayment` — send more tickets (the
//! payment is doubled, up to 64× the estimate; unspent value stays as credit there);
//! `TicketParamsExpired` — ask for a new quote and send again; `LowPMBalance` — top up the deposit
//! if configured (then send again), else stop the stream cleanly (playlists closed, receipts kept);
//! `CapacityExceeded` and every other error — the next orchestrator.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, I256, U256};
use alloy::providers::Provider;
use serde::Serialize;
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::fault_verifier_domain;
use streamflow_transcoder::probe::ProbeInfo;
use streamflow_transcoder::verify::{Claim, Expected};
use streamflow_transcoder::{Limits, Profile, Verdict};

use super::chain::{Chain, ChainError};
use super::checks::{self, Expectation, RenditionFile};
use super::discovery::{self, Candidate, History, Quoted, Standing, describe};
use super::hls::{self, HlsWriter, Variant};
use super::payment::{self, TicketMaker};
use super::segmenter::{self, Input, Segment};
use super::store::{Evidence, KeptRendition, ReceiptRecord, ReceiptState, Receipts};
use crate::client::{ClientError, OrchestratorClient};
use crate::wire::{
    ErrorKind, FORMAT_MPEGTS, Price, QuoteRequest, SegmentJob, SegmentResult, content_hash,
};

/// Everything a stream needs to know.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// The input.
    pub input: Input,
    /// Where the HLS output (`hls/`), the receipts (`receipts.jsonl`) and the evidence
    /// (`evidence/`) go.
    pub out_dir: PathBuf,
    /// Serve `hls/` here while streaming (port 0 picks one).
    pub http: Option<SocketAddr>,
    /// The service.
    pub service_id: B256,
    /// The region.
    pub region: B256,
    /// Orchestrators below this stake are not asked.
    pub min_stake: U256,
    /// Registry page size.
    pub registry_page: u64,
    /// Service URIs to use instead of the registry.
    pub orchestrators: Vec<String>,
    /// The renditions wanted.
    pub profiles: Vec<Profile>,
    /// Target segment length (s).
    pub segment_secs: f64,
    /// Orchestrators per segment.
    pub redundancy: u32,
    /// The most a quote may ask.
    pub max_price: Option<Price>,
    /// Quote timeout.
    pub quote_timeout: Duration,
    /// Segment timeout.
    pub segment_timeout: Duration,
    /// Orchestrators tried per segment before the stream stops.
    pub max_attempts: u32,
    /// Fraction of segments fully checked.
    pub verify_rate: f64,
    /// Added to the deposit on `LowPMBalance`.
    pub top_up: Option<U256>,
    /// The most top-ups.
    pub max_top_ups: u32,
    /// Stop after this many segments (tests, benchmarks).
    pub max_segments: Option<u64>,
    /// Open a challenge on the FaultVerifier for every fault found, serving the evidence (for
    /// committee members) on this address while streaming; `None` only keeps the receipts.
    pub challenge_http: Option<SocketAddr>,
}

/// Why a stream could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Local files.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The chain.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A bad profile.
    #[error("profile: {0}")]
    Profile(String),
}

/// Timings of one accepted segment (milliseconds).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentTiming {
    /// The segment.
    pub seq_no: u64,
    /// Who did it.
    pub orchestrator: Address,
    /// Source duration (s).
    pub duration_secs: f64,
    /// From the segment's arrival to its acceptance.
    pub wall_ms: f64,
    /// Storing and probing the source.
    pub source_ms: f64,
    /// New quotes asked for it.
    pub quote_ms: f64,
    /// Making and signing the tickets.
    pub pay_ms: f64,
    /// The `POST /v1/segment` round trip (upload, orchestrator's checks, transcode, answer).
    pub request_ms: f64,
    /// What the orchestrator says it spent transcoding.
    pub transcode_ms: f64,
    /// Fetching the renditions.
    pub fetch_ms: f64,
    /// Receipt and media checks.
    pub check_ms: f64,
    /// Orchestrators tried before this one answered well.
    pub failed_attempts: u32,
    /// Tickets sent with the winning request.
    pub tickets: u64,
}

/// One orchestrator's share of the stream.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrchestratorSummary {
    /// Its URI.
    pub uri: String,
    /// Segments it did.
    pub segments: u64,
    /// Attempts that failed.
    pub failures: u64,
    /// Tickets sent to it.
    pub tickets: u64,
    /// Their expected value (wei).
    pub expected_value_wei: U256,
    /// Winning tickets it reported.
    pub winning_tickets: u64,
    /// Faults found in its answers.
    pub faults: u64,
}

/// What a stream did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Why it ended: `end of input`, `shutdown`, `segment limit`, or the reason it stopped.
    pub stopped: String,
    /// Whether it ended normally (`false`: it stopped on an error, cleanly).
    pub complete: bool,
    /// The stream id in the receipts.
    pub stream_id: B256,
    /// Segments read from the input.
    pub segments_in: u64,
    /// Segments in the output.
    pub segments_out: u64,
    /// Renditions in the output.
    pub renditions: u64,
    /// Pixels in the output.
    pub pixels: u64,
    /// Source seconds in the output.
    pub media_secs: f64,
    /// Wall seconds from start to end.
    pub wall_secs: f64,
    /// `media_secs / wall_secs`.
    pub realtime_factor: f64,
    /// Tickets the orchestrators took (not counting payments refused at intake).
    pub tickets: u64,
    /// Their expected value (wei).
    pub expected_value_wei: U256,
    /// Segments that needed more than one orchestrator.
    pub failovers: u64,
    /// Deposit top-ups made.
    pub top_ups: u32,
    /// Segments fully checked.
    pub sampled: u64,
    /// Faults found (receipts kept with `challengePending`).
    pub faults: u64,
    /// Challenges opened on those faults.
    pub challenges: u64,
    /// Per orchestrator.
    pub orchestrators: BTreeMap<Address, OrchestratorSummary>,
    /// The master playlist.
    pub master_playlist: PathBuf,
    /// The receipts file.
    pub receipts: PathBuf,
    /// Where the HLS output was served.
    pub url: Option<String>,
    /// Per accepted segment.
    pub timings: Vec<SegmentTiming>,
}

/// A quoted orchestrator and what this session knows of it.
#[derive(Debug, Clone)]
struct Orch {
    quoted: Quoted,
    history: History,
    credit: I256,
    pay_factor: u64,
}

/// What an attempt needs (owned: attempts run as tasks).
struct AttemptInput {
    index: usize,
    orch: Orch,
    maker: Arc<Mutex<TicketMaker>>,
    provider: alloy::providers::DynProvider,
    sender: Address,
    job: SegmentJob,
    body: Arc<Vec<u8>>,
    estimated_pixels: u64,
    timeout: Duration,
    service_id: B256,
    region: Option<B256>,
    quote_timeout: Duration,
}

/// A well-formed answer, its renditions fetched and stored.
struct Answer {
    result: SegmentResult,
    renditions: Vec<Vec<u8>>,
    tickets: u64,
    quote_ms: f64,
    pay_ms: f64,
    request_ms: f64,
    fetch_ms: f64,
}

enum AttemptError {
    LowBalance(String),
    Failed(String),
}

struct AttemptOutput {
    index: usize,
    orch: Orch,
    outcome: Result<Answer, AttemptError>,
    tickets: u64,
    ev: U256,
}

async fn current_block(provider: &alloy::providers::DynProvider) -> Option<u64> {
    provider.get_block_number().await.ok()
}

async fn requote(i: &mut AttemptInput) -> Result<(), AttemptError> {
    let req = QuoteRequest {
        sender: i.sender,
        service_id: i.service_id,
        region: i.region,
    };
    let failed = |why: String| AttemptError::Failed(format!("re-quote: {why}"));
    match tokio::time::timeout(i.quote_timeout, i.orch.quoted.client.quote(&req)).await {
        Ok(Ok(q)) if q.orchestrator == i.orch.quoted.candidate.address => {
            i.orch.credit = q.balance;
            i.orch.quoted.quote = q;
            Ok(())
        }
        Ok(Ok(q)) => Err(failed(format!("quote from {} instead", q.orchestrator))),
        Ok(Err(e)) if e.kind() == Some(ErrorKind::LowPMBalance) => {
            Err(AttemptError::LowBalance(describe(&e)))
        }
        Ok(Err(e)) => Err(failed(describe(&e))),
        Err(_) => Err(failed("timed out".into())),
    }
}

/// Sends one segment to one orchestrator, acting on the errors it answers, and fetches the
/// renditions of a successful answer.
async fn attempt(mut i: AttemptInput) -> AttemptOutput {
    let (mut tickets, mut ev_sent) = (0u64, U256::ZERO);
    let mut quote_ms = 0.0;
    let mut retries = 0u32;
    let mut skipped = false;
    let outcome = loop {
        retries += 1;
        if retries > 8 {
            break Err(AttemptError::Failed("too many retries".into()));
        }
        // Parameters about to expire: a new quote first.
        let params = &i.orch.quoted.quote.ticket_params;
        if let Some(block) = current_block(&i.provider).await
            && block >= params.expiration_block
        {
            let t = Instant::now();
            if let Err(e) = requote(&mut i).await {
                break Err(e);
            }
            quote_ms += t.elapsed().as_secs_f64() * 1e3;
        }
        let q = &i.orch.quoted.quote;
        let t = Instant::now();
        let ev = payment::expected_value(q.ticket_params.face_value, q.ticket_params.win_prob);
        let fee = TicketMaker::fee(
            &q.price,
            i.estimated_pixels.saturating_mul(i.orch.pay_factor),
        );
        // At least one ticket: the receipt names the ticket that paid for the segment.
        let count = payment::tickets_needed(fee, i.orch.credit, ev).max(1);
        let pay = {
            let mut maker = i.maker.lock().unwrap_or_else(|p| p.into_inner());
            maker.pay(&q.ticket_params, count)
        };
        let pay = match pay {
            Ok(p) => p,
            Err(e) => break Err(AttemptError::Failed(format!("payment: {e}"))),
        };
        let pay_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let sent = tokio::time::timeout(
            i.timeout,
            i.orch
                .quoted
                .client
                .segment(&i.job, &pay, i.body.as_ref().clone()),
        )
        .await;
        let request_ms = t.elapsed().as_secs_f64() * 1e3;
        // Tickets an orchestrator refused at intake were never taken: count only the others.
        let refused = matches!(&sent, Ok(Err(e)) if e.kind().is_some_and(tickets_refused));
        if !refused {
            tickets += count;
            ev_sent = ev_sent.saturating_add(ev.saturating_mul(U256::from(count)));
        }
        match sent {
            Err(_) => {
                break Err(AttemptError::Failed(format!(
                    "no answer within {:?}",
                    i.timeout
                )));
            }
            Ok(Ok(result)) => {
                i.orch.credit = result.balance.credit;
                let t = Instant::now();
                match fetch(&i.orch.quoted.client, &result).await {
                    Ok(renditions) => {
                        break Ok(Answer {
                            result,
                            renditions,
                            tickets: count,
                            quote_ms,
                            pay_ms,
                            request_ms,
                            fetch_ms: t.elapsed().as_secs_f64() * 1e3,
                        });
                    }
                    Err(e) => break Err(AttemptError::Failed(e)),
                }
            }
            Ok(Err(e)) => match e.kind() {
                Some(ErrorKind::InsufficientPayment) if i.orch.pay_factor < 64 => {
                    i.orch.pay_factor *= 2;
                    tracing::info!(target: "broadcaster", orchestrator = %i.orch.quoted.candidate.address, factor = i.orch.pay_factor, "InsufficientPayment: paying more");
                }
                Some(ErrorKind::TicketParamsExpired) => {
                    let t = Instant::now();
                    if let Err(e) = requote(&mut i).await {
                        break Err(e);
                    }
                    quote_ms += t.elapsed().as_secs_f64() * 1e3;
                }
                Some(ErrorKind::LowPMBalance) => {
                    break Err(AttemptError::LowBalance(describe(&e)));
                }
                // A nonce this orchestrator already saw (another stream of this sender used the
                // same commitment): move the sequence ahead and pay again, once.
                Some(ErrorKind::InvalidTicket) if !skipped => {
                    skipped = true;
                    let mut maker = i.maker.lock().unwrap_or_else(|p| p.into_inner());
                    maker.skip(&i.orch.quoted.quote.ticket_params);
                }
                _ => break Err(AttemptError::Failed(describe(&e))),
            },
        }
    };
    AttemptOutput {
        index: i.index,
        orch: i.orch,
        outcome,
        tickets,
        ev: ev_sent,
    }
}

/// Errors an orchestrator answers before it takes a payment's tickets.
fn tickets_refused(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::LowPMBalance
            | ErrorKind::TicketParamsExpired
            | ErrorKind::InvalidTicket
            | ErrorKind::SenderUnlocking
            | ErrorKind::CapacityExceeded
            | ErrorKind::NotSynced
            | ErrorKind::BadRequest
            | ErrorKind::UnknownService
            | ErrorKind::TooLarge
    )
}

/// Fetches every rendition of `result` and checks its bytes against the signed hash.
async fn fetch(
    client: &OrchestratorClient,
    result: &SegmentResult,
) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(result.renditions.len());
    for r in &result.renditions {
        let bytes = client
            .rendition(r.output_hash)
            .await
            .map_err(|e: ClientError| format!("fetching {}: {}", r.name, describe(&e)))?;
        if content_hash(&bytes) != r.output_hash {
            return Err(format!(
                "rendition {}: bytes fetched don't hash to the outputHash signed",
                r.name
            ));
        }
        out.push(bytes);
    }
    Ok(out)
}

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

/// A running stream's state.
struct Session {
    chain: Chain,
    opts: StreamOptions,
    maker: Arc<Mutex<TicketMaker>>,
    orchs: Vec<Orch>,
    evidence: Evidence,
    receipts: Receipts,
    hls: HlsWriter,
    stream_id: B256,
    sample_secret: u64,
    receipt_domain: B256,
    summary: Summary,
    topped_up_at: Option<Instant>,
    /// The challenger and the evidence server's URL, when faults are challenged.
    challenger: Option<(crate::challenge::Challenger, String)>,
}

/// How long after a top-up a `LowPMBalance` is taken for orchestrators not having seen it yet.
const TOP_UP_GRACE: Duration = Duration::from_secs(20);

enum Stop {
    LowBalance(String),
    Exhausted(String),
    Fatal(String),
}

impl Session {
    /// Reads the registry and quotes; `Ok(Some(reason))` when nobody quoted because of the
    /// sender's low balance.
    async fn discover(&mut self) -> Result<Option<String>, ChainError> {
        let candidates = if self.opts.orchestrators.is_empty() {
            discovery::from_registry(
                &self.chain,
                self.opts.service_id,
                self.opts.region,
                self.opts.min_stake,
                self.opts.registry_page,
            )
            .await?
        } else {
            self.opts
                .orchestrators
                .iter()
                .map(|uri| Candidate {
                    address: Address::ZERO,
                    uri: uri.clone(),
                    stake: U256::ZERO,
                })
                .collect()
        };
        let request = QuoteRequest {
            sender: self.chain.sender(),
            service_id: self.opts.service_id,
            region: Some(self.opts.region),
        };
        let (quoted, low) = discovery::quote_all(
            candidates,
            &request,
            self.opts.quote_timeout,
            self.opts.max_price,
        )
        .await;
        for mut q in quoted {
            if q.candidate.stake.is_zero() {
                q.candidate.stake = self.chain.stake_of(q.candidate.address).await?;
                if q.candidate.stake < self.opts.min_stake {
                    continue;
                }
            }
            let address = q.candidate.address;
            let credit = q.quote.balance;
            match self
                .orchs
                .iter_mut()
                .find(|o| o.quoted.candidate.address == address)
            {
                Some(o) => {
                    o.quoted = q;
                    o.credit = credit;
                }
                None => {
                    self.summary
                        .orchestrators
                        .entry(address)
                        .or_default()
                        .uri
                        .clone_from(&q.candidate.uri);
                    self.orchs.push(Orch {
                        quoted: q,
                        history: History::default(),
                        credit,
                        pay_factor: 1,
                    });
                }
            }
        }
        tracing::info!(target: "broadcaster", orchestrators = self.orchs.len(), "quoted");
        Ok(if self.orchs.is_empty() { low } else { None })
    }

    /// `LowPMBalance`: within the grace after a top-up, wait a little; else top up if configured
    /// and allowed; else stop.
    async fn low_balance(&mut self, why: String) -> Result<(), Stop> {
        if let Some(at) = self.topped_up_at
            && at.elapsed() < TOP_UP_GRACE
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Ok(());
        }
        match self.opts.top_up {
            Some(amount) if self.summary.top_ups < self.opts.max_top_ups => {
                let tx = self
                    .chain
                    .fund(amount, U256::ZERO)
                    .await
                    .map_err(|e| Stop::LowBalance(format!("{why}; top-up failed: {e}")))?;
                self.summary.top_ups += 1;
                self.topped_up_at = Some(Instant::now());
                tracing::info!(target: "broadcaster", %tx, %amount, "deposit topped up");
                Ok(())
            }
            _ => Err(Stop::LowBalance(why)),
        }
    }

    fn ranked(&self, exclude: &HashSet<Address>) -> Vec<usize> {
        let standings: Vec<Standing> = self
            .orchs
            .iter()
            .map(|o| Standing {
                price: o.quoted.quote.price,
                rtt: o.quoted.rtt,
                stake: o.quoted.candidate.stake,
                history: o.history,
            })
            .collect();
        discovery::rank(&standings)
            .into_iter()
            .filter(|&i| !exclude.contains(&self.orchs[i].quoted.candidate.address))
            .collect()
    }

    async fn process(&mut self, seg: Segment) -> Result<(), Stop> {
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
        let mut rediscovered = false;
        loop {
            if tried.len() as u32 >= self.opts.max_attempts {
                return Err(Stop::Exhausted(format!(
                    "segment {}: {} orchestrators tried, none answered well",
                    seg.seq,
                    tried.len()
                )));
            }
            let mut picks = self.ranked(&tried);
            if picks.is_empty() {
                if rediscovered {
                    return Err(Stop::Exhausted(format!(
                        "segment {}: no orchestrator left to try",
                        seg.seq
                    )));
                }
                rediscovered = true;
                if let Some(why) = self
                    .discover()
                    .await
                    .map_err(|e| Stop::Fatal(e.to_string()))?
                {
                    self.low_balance(why).await?;
                    rediscovered = false;
                }
                // A fresh quote gives everyone a fresh chance for this segment.
                tried.retain(|a| !self.orchs.iter().any(|o| o.quoted.candidate.address == *a));
                continue;
            }
            let room = (self.opts.max_attempts as usize).saturating_sub(tried.len());
            picks.truncate((self.opts.redundancy.max(1) as usize).min(room.max(1)));
            let mut set = tokio::task::JoinSet::new();
            for &i in &picks {
                tried.insert(self.orchs[i].quoted.candidate.address);
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
                let entry = self.summary.orchestrators.entry(address).or_default();
                entry.tickets += out.tickets;
                entry.expected_value_wei = entry.expected_value_wei.saturating_add(out.ev);
                self.summary.tickets += out.tickets;
                self.summary.expected_value_wei =
                    self.summary.expected_value_wei.saturating_add(out.ev);
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
                        self.fail(i);
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
                        set.abort_all();
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
                        self.fail(i);
                        failed_attempts += 1;
                    }
                }
            }
            if let Some(why) = low_balance {
                self.low_balance(why).await?;
            }
        }
    }

    fn fail(&mut self, i: usize) {
        self.orchs[i].history.failures += 1;
        let a = self.orchs[i].quoted.candidate.address;
        self.summary.orchestrators.entry(a).or_default().failures += 1;
    }

    async fn check(
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

    fn fault(
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
    async fn challenge(
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

    fn accept(
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

struct SegMeta<'a> {
    seq: u64,
    probe: &'a ProbeInfo,
    input_hash: B256,
    source_path: &'a std::path::Path,
}

fn seg_meta<'a>(
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

/// Called once the HLS server listens, with its base URL.
pub type OnServing = Box<dyn FnOnce(&str) + Send>;

/// Runs a stream until the input ends, `shutdown` resolves, or it must stop; always closes the
/// playlists and returns what it did.
pub async fn stream(
    chain: Chain,
    signer: LocalSigner,
    opts: StreamOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_serving: Option<OnServing>,
) -> Result<Summary, StreamError> {
    let started = Instant::now();
    for p in &opts.profiles {
        p.validate()
            .map_err(|e| StreamError::Profile(e.to_string()))?;
    }
    streamflow_transcoder::quiet_ffmpeg(false);
    std::fs::create_dir_all(&opts.out_dir)?;
    let hls_dir = opts.out_dir.join("hls");
    let hls = HlsWriter::create(&hls_dir)?;
    let evidence = Evidence::open(opts.out_dir.join("evidence"))?;
    let receipts = Receipts::open(opts.out_dir.join("receipts.jsonl"))?;
    let d = chain.deployment().clone();
    let maker = TicketMaker::new(signer, d.chain_id, d.ticket_broker);
    let stream_id = B256::from(rand::random::<[u8; 32]>());
    let mut session = Session {
        receipt_domain: fault_verifier_domain(d.chain_id, d.fault_verifier).separator(),
        chain,
        maker: Arc::new(Mutex::new(maker)),
        orchs: Vec::new(),
        evidence,
        hls,
        stream_id,
        sample_secret: rand::random(),
        summary: Summary {
            stream_id,
            master_playlist: hls_dir.join("index.m3u8"),
            receipts: receipts.path().to_path_buf(),
            ..Summary::default()
        },
        receipts,
        opts,
        topped_up_at: None,
        challenger: None,
    };

    // Stop flag: set by the shutdown future; read by the segmenter and the loop.
    let stop = Arc::new(AtomicBool::new(false));
    let (server_stop_tx, server_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = match session.opts.http {
        Some(addr) => {
            let listener = hls::bind(addr).await?;
            let url = format!("http://{}", listener.local_addr()?);
            tracing::info!(target: "broadcaster", %url, "serving HLS at {url}/index.m3u8");
            if let Some(f) = on_serving {
                f(&url);
            }
            session.summary.url = Some(url);
            Some(tokio::spawn(hls::serve(listener, hls_dir.clone(), async {
                let _ = server_stop_rx.await;
            })))
        }
        None => None,
    };
    let (evidence_stop_tx, evidence_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let evidence_server = match session.opts.challenge_http {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let url = format!("http://{}", listener.local_addr()?);
            let store = crate::evidence::EvidenceStore::open(session.opts.out_dir.join("evidence"))
                .map_err(|e| StreamError::Io(std::io::Error::other(e.to_string())))?;
            let d = session.chain.deployment().clone();
            session.challenger = Some((
                crate::challenge::Challenger::new(
                    session.chain.provider().clone(),
                    session.chain.sender(),
                    &d,
                ),
                url,
            ));
            Some(tokio::spawn(crate::evidence::serve(
                store,
                listener,
                async {
                    let _ = evidence_stop_rx.await;
                },
            )))
        }
        None => None,
    };
    let user_stop = Arc::new(AtomicBool::new(false));
    {
        let (stop, user_stop) = (stop.clone(), user_stop.clone());
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!(target: "broadcaster", "shutting down: finishing the segments read");
            user_stop.store(true, Ordering::Relaxed);
            stop.store(true, Ordering::Relaxed);
        });
    }

    // The input, cut in a blocking thread; a small queue gives back-pressure.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Segment>(2);
    let reader = {
        let input = session.opts.input.clone();
        let target = session.opts.segment_secs;
        let work = session.opts.out_dir.join("work");
        let stop = stop.clone();
        tokio::task::spawn_blocking(move || {
            segmenter::segment(&input, target, &work, stop, |s| tx.blocking_send(s).is_ok())
        })
    };

    let mut stopped = None;
    loop {
        match session.discover().await {
            Ok(None) => break,
            Ok(Some(why)) => match session.low_balance(why).await {
                Ok(()) => continue,
                Err(Stop::LowBalance(why)) => {
                    stopped = Some((format!("LowPMBalance: {why}"), false));
                    break;
                }
                Err(Stop::Exhausted(why) | Stop::Fatal(why)) => {
                    stopped = Some((why, false));
                    break;
                }
            },
            Err(e) => {
                stopped = Some((format!("discovery: {e}"), false));
                break;
            }
        }
    }
    while stopped.is_none() {
        // On shutdown the segmenter stops reading and closes the queue: what it read is finished.
        let Some(seg) = rx.recv().await else {
            break;
        };
        session.summary.segments_in += 1;
        match session.process(seg).await {
            Ok(()) => {}
            Err(Stop::LowBalance(why)) => stopped = Some((format!("LowPMBalance: {why}"), false)),
            Err(Stop::Exhausted(why)) => stopped = Some((why, false)),
            Err(Stop::Fatal(why)) => stopped = Some((why, false)),
        }
        if let Some(max) = session.opts.max_segments
            && session.summary.segments_in >= max
            && stopped.is_none()
        {
            stopped = Some(("segment limit".into(), true));
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(rx);
    let read = reader.await;
    if stopped.is_none() {
        stopped = Some(match read {
            Ok(Ok(_)) if user_stop.load(Ordering::Relaxed) => ("shutdown".into(), true),
            Ok(Ok(_)) => ("end of input".into(), true),
            Ok(Err(e)) => (format!("input: {e}"), false),
            Err(e) => (format!("input task: {e}"), false),
        });
    }
    session.hls.finish()?;
    let _ = server_stop_tx.send(());
    if let Some(s) = server {
        let _ = s.await;
    }
    let _ = evidence_stop_tx.send(());
    if let Some(s) = evidence_server {
        let _ = s.await;
    }
    let (why, complete) = stopped.unwrap_or_default();
    let mut summary = session.summary;
    summary.stopped = why;
    summary.complete = complete;
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.realtime_factor = if summary.wall_secs > 0.0 {
        summary.media_secs / summary.wall_secs
    } else {
        0.0
    };
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

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
