//! What a stream did: per segment, per orchestrator and in total.

use std::collections::BTreeMap;
use std::path::PathBuf;

use alloy::primitives::{Address, B256, U256};
use serde::Serialize;

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
    /// How each challenge opened ended (followed after the last segment).
    pub challenge_outcomes: Vec<ChallengeSummary>,
    /// ETH withdrawn from the FaultVerifier after the challenges (bonds credited back), in wei.
    pub challenge_collected_wei: U256,
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

/// A challenge the stream opened, and how it ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeSummary {
    /// The faulty segment.
    pub seq_no: u64,
    /// The orchestrator challenged.
    pub orchestrator: Address,
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// The bond posted (wei).
    pub bond: U256,
    /// How it ended; `None` when it was still open when following stopped (see `error`).
    pub outcome: Option<crate::challenge::Outcome>,
    /// Why it was not followed to its end.
    pub error: Option<String>,
}
