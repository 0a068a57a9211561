//! A stream: segments from the input, each sent (with tickets) to the best-ranked orchestrator(s),
//! checked, kept as evidence, and written to HLS in order.
//!
//! Per segment: the source is stored and probed; the `redundancy` best orchestrators not yet tried
//! for it get it at once, and the first answer that passes the checks wins (the others are
//! dropped). An orchestrator that errs, times out or fails a check is marked (it falls behind in the
//! ranking, so the next segment goes elsewhere) and the segment is sent to the next ones. When every
//! known orchestrator has failed the segment (a single orchestrator whose connection closed, say),
//! all are quoted again and retried, after a pause growing from 0.2 s to 2 s, until `max_attempts`
//! attempts have failed: no segment is left out of the output while any orchestrator can do it.
//!
//! Errors an orchestrator answers are acted on: `InsufficientPayment` — send more tickets (the
//! payment is doubled, up to 64× the estimate; unspent value stays as credit there);
//! `TicketParamsExpired` — ask for a new quote and send again; `LowPMBalance` — top up the deposit
//! if configured (then send again), else stop the stream cleanly (playlists closed, receipts kept);
//! `CapacityExceeded` and every other error — the next orchestrator.
//!
//! - `options`: what a stream is asked to do; `summary`: what it did.
//! - `run`: the stream loop (input, servers, shutdown).
//! - `segment`: one segment through the ranked orchestrators (redundancy, failover).
//! - `attempt`: one segment to one orchestrator (payment and the errors it answers).
//! - `outcome`: an answer checked, then accepted into the output or kept as a fault (and challenged).
//! - `roster`: the quoted orchestrators, their ranking and history.
//! - `top_up`: `LowPMBalance` handling.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use alloy::primitives::{B256, I256};

use super::chain::Chain;
use super::discovery::{History, Quoted};
use super::hls::HlsWriter;
use super::payment::TicketMaker;
use super::store::{Evidence, Receipts};

mod attempt;
mod options;
mod outcome;
mod roster;
mod run;
mod segment;
mod summary;
mod top_up;

pub use options::{StreamError, StreamOptions};
pub use run::{OnServing, stream};
pub use segment::expected_pixels;
pub use summary::{ChallengeSummary, OrchestratorSummary, SegmentTiming, Summary};

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
    /// The challenges opened, followed after the last segment.
    opened: Vec<ChallengeSummary>,
}

/// A quoted orchestrator and what this session knows of it.
#[derive(Debug, Clone)]
struct Orch {
    quoted: Quoted,
    history: History,
    credit: I256,
    pay_factor: u64,
}

/// Why a segment made the stream stop.
enum Stop {
    LowBalance(String),
    Exhausted(String),
    Fatal(String),
}
