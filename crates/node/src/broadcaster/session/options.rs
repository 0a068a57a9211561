//! What a stream is asked to do, and why it may not run at all.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use alloy::primitives::{B256, U256};
use streamflow_transcoder::Profile;

use crate::broadcaster::chain::ChainError;
use crate::broadcaster::segmenter::Input;
use crate::wire::Price;

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
    /// Failed attempts (and distinct orchestrators) per segment before the stream stops.
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
    /// After the last segment, how long to follow the challenges opened (the evidence server stays
    /// up meanwhile) before leaving them open on chain; each one settled is resolved if due, and
    /// the bond it credited back is withdrawn.
    pub challenge_follow: Duration,
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
