//! The main job of a Streamflow network, end to end, on a local chain: `make demo`.
//!
//! Given a chain with the protocol deployed (anvil and `script/Deploy.s.sol`), [`run`] sets up a
//! committee of three verifiers (threshold 2) judging the `h264-abr` service, registers three
//! orchestrators with stake (one of them dishonest: its pool's only worker is *trusted* and blurs
//! a rendition of every segment it does, which only the broadcaster's sampled full check sees),
//! starts their pools (two use a remote `streamflow-node transcoder` worker process), their
//! embedded keepers, the verifier processes, and a broadcaster that streams a generated clip
//! through them, paying with tickets, with `--challenge`: it opens the challenge on the fault it
//! catches, serves the evidence to the committee, follows the challenge to its verdict and
//! collects its bond. The demo prints a line per segment while the stream runs, streams the clip
//! again (up to [`MAX_PASSES`] times) if a stream did not catch the cheater, waits for the winning
//! tickets to be redeemed, and returns a [`Report`] (printed by [`Report::print`]) built from the
//! broadcaster's summary and from the chain.
//!
//! Every role is the real `streamflow-node` binary run as a process; this crate only drives them and
//! reads the chain. Everything it starts is stopped when [`run`] returns, unless
//! [`Options::keep_running`] is set (then it prints the summary, serves the HLS output and waits
//! for the shutdown future first).
//!
//! Modules: `flow` (the steps, in order), `procs` (processes, key and config files), `chain`
//! (providers, rounds, events), `stream` (one broadcaster stream and its summary), `progress` (the
//! live display), `report` (the summary), `output` (serving and checking the HLS output).

use alloy::signers::local::PrivateKeySigner;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod chain;
mod flow;
mod output;
mod procs;
mod progress;
mod report;
mod stream;

pub use flow::run;
pub use output::{check_output, serve_hls};
pub use report::{ChallengeReport, OrchestratorReport, Report, caught_by};

/// The private keys of anvil's ten default dev accounts (mnemonic `test test … junk`): public test
/// keys, used only against a local dev chain. Account 0 deployed the protocol and is governance.
pub const ANVIL_DEV_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// The service the demo streams and the committee judges.
pub const SERVICE: &str = "h264-abr";
/// LPT each orchestrator bonds to itself.
pub const STAKE_LPT: u64 = 1_000;
pub(crate) use streamflow_bindings::devnet::ETHER;

/// What went wrong, and in which step.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {reason}")]
pub struct DemoError {
    /// The step that failed.
    pub step: String,
    /// Why.
    pub reason: String,
}

/// `Result` of this crate.
pub type Result<T> = std::result::Result<T, DemoError>;

pub(crate) trait Step<T> {
    fn step(self, step: &str) -> Result<T>;
}

impl<T, E: std::fmt::Display> Step<T> for std::result::Result<T, E> {
    fn step(self, step: &str) -> Result<T> {
        self.map_err(|e| DemoError {
            step: step.to_owned(),
            reason: e.to_string(),
        })
    }
}

pub(crate) fn fail<T>(step: &str, reason: impl Into<String>) -> Result<T> {
    Err(DemoError {
        step: step.to_owned(),
        reason: reason.into(),
    })
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The chain's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file of the protocol on it.
    pub deployment: PathBuf,
    /// The dev accounts' keys: 0 governance, 1–3 orchestrators, 4 the broadcaster, 5–7 the
    /// committee members (at least 8).
    pub keys: Vec<PrivateKeySigner>,
    /// The `streamflow-node` binary.
    pub node_bin: PathBuf,
    /// Folder for every config, key, log, database and output (created; its old content is
    /// replaced).
    pub work_dir: PathBuf,
    /// A video file to stream; `None`: a clip of [`Options::clip_secs`] is generated.
    pub clip: Option<PathBuf>,
    /// Seconds of the generated clip (2 s per segment).
    pub clip_secs: f64,
    /// Fraction of segments the broadcaster checks in full.
    pub verify_rate: f64,
    /// Renditions asked, e.g. `240p,360p`.
    pub profiles: String,
    /// Where the broadcaster serves its HLS output (port 0: any free port).
    pub http: SocketAddr,
    /// Leave everything running after the summary until the shutdown future resolves.
    pub keep_running: bool,
}

impl Options {
    /// The demo on `rpc_url` with anvil's dev keys and the defaults of `make demo`.
    pub fn new(rpc_url: &str, deployment: &Path, node_bin: &Path, work_dir: &Path) -> Result<Self> {
        let keys = ANVIL_DEV_KEYS
            .iter()
            .map(|k| k.parse::<PrivateKeySigner>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .step("dev keys")?;
        Ok(Self {
            rpc_url: rpc_url.to_owned(),
            deployment: deployment.to_owned(),
            keys,
            node_bin: node_bin.to_owned(),
            work_dir: work_dir.to_owned(),
            clip: None,
            clip_secs: 20.0,
            verify_rate: 0.5,
            profiles: "240p,360p".into(),
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            keep_running: false,
        })
    }
}

/// Streams before the demo gives up on catching the cheater (see [`run`]).
pub const MAX_PASSES: u32 = 3;
