//! `streamflow-node verifier`: run a committee member, or set up a committee on a dev chain.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use alloy::primitives::Address;
use clap::{Args as ClapArgs, Subcommand};
use streamflow_bindings::Deployment;

use super::setup::{CommitteeSetup, check_chain, setup_committee};
use super::{Config, VerifierError};

/// Committee member: judges challenges of committee-verified services.
///
/// Examples:
/// `streamflow-node verifier --config verifier.toml run`;
/// `streamflow-node verifier setup --rpc-url http://127.0.0.1:8545 --deployment deployments/local.json
/// --governance-key-file gov.key --member 0xA… --member 0xB… --member 0xC… --threshold 2 --service h264-abr`
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: VerifierCommand,
}

#[derive(Debug, Subcommand)]
enum VerifierCommand {
    /// Runs the member until SIGTERM or Ctrl-C.
    Run(RunArgs),
    /// Sets the committee (members, threshold, verdict period) and the services it judges, as the
    /// single-key governance of a dev chain.
    Setup(SetupArgs),
}

/// `verifier run`: the TOML config file, and overrides of its fields.
#[derive(Debug, ClapArgs)]
struct RunArgs {
    /// The TOML config file (see docs/fault-challenges.md).
    #[arg(
        long,
        short,
        env = "STREAMFLOW_VERIFIER_CONFIG",
        default_value = "verifier.toml"
    )]
    config: PathBuf,
    /// Ethereum JSON-RPC URL.
    #[arg(long, env = "STREAMFLOW_VERIFIER_RPC_URL", help_heading = "Overrides")]
    rpc_url: Option<String>,
    /// The deployment file.
    #[arg(
        long,
        env = "STREAMFLOW_VERIFIER_DEPLOYMENT",
        help_heading = "Overrides"
    )]
    deployment: Option<PathBuf>,
    /// Path of the file holding the member's key (a path, never the key itself).
    #[arg(long, env = "STREAMFLOW_VERIFIER_KEY_FILE", help_heading = "Overrides")]
    key_file: Option<PathBuf>,
    /// Where the ballot box listens, e.g. 0.0.0.0:8945.
    #[arg(long, env = "STREAMFLOW_VERIFIER_LISTEN", help_heading = "Overrides")]
    listen: Option<SocketAddr>,
    /// Another member's ballot box (repeat; replaces the file's list), e.g. http://10.0.0.2:8945.
    #[arg(
        long = "peer",
        env = "STREAMFLOW_VERIFIER_PEERS",
        value_delimiter = ',',
        help_heading = "Overrides"
    )]
    peers: Vec<String>,
    /// Scratch directory for evidence.
    #[arg(long, env = "STREAMFLOW_VERIFIER_WORK_DIR", help_heading = "Overrides")]
    work_dir: Option<PathBuf>,
    /// Milliseconds between looks for new reviews.
    #[arg(long, env = "STREAMFLOW_VERIFIER_POLL_MS", help_heading = "Overrides")]
    poll_ms: Option<u64>,
}

/// `verifier setup`.
#[derive(Debug, ClapArgs)]
struct SetupArgs {
    /// Ethereum JSON-RPC URL.
    #[arg(
        long,
        env = "STREAMFLOW_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc_url: String,
    /// The deployment file.
    #[arg(
        long,
        env = "STREAMFLOW_DEPLOYMENT",
        default_value = "deployments/local.json"
    )]
    deployment: PathBuf,
    /// File holding governance's key (the deployer's, in single-key mode).
    #[arg(long, env = "STREAMFLOW_GOVERNANCE_KEY_FILE")]
    governance_key_file: PathBuf,
    /// A committee member (repeat; the committee becomes exactly these).
    #[arg(long = "member", required = true, value_delimiter = ',')]
    members: Vec<Address>,
    /// Signatures needed for a verdict (M).
    #[arg(long)]
    threshold: u64,
    /// Blocks the committee has per review.
    #[arg(long)]
    verdict_period_blocks: Option<u64>,
    /// A service name to declare known and judged by the committee (repeat), e.g. h264-abr.
    #[arg(long = "service", value_delimiter = ',')]
    services: Vec<String>,
}

fn load(a: RunArgs) -> Result<Config, VerifierError> {
    let mut c = if a.config.exists() || a.rpc_url.is_none() {
        Config::load(&a.config)?
    } else {
        // Everything on the command line / in the environment: no file needed.
        Config {
            rpc_url: String::new(),
            deployment: PathBuf::new(),
            key_file: PathBuf::new(),
            listen: super::default_listen(),
            peers: Vec::new(),
            work_dir: super::default_work_dir(),
            poll_ms: super::default_poll(),
            from_block: None,
            evidence_wait_secs: super::default_evidence_wait(),
            submit_stagger_ms: super::default_stagger(),
        }
    };
    if let Some(v) = a.rpc_url {
        c.rpc_url = v;
    }
    if let Some(v) = a.deployment {
        c.deployment = v;
    }
    if let Some(v) = a.key_file {
        c.key_file = v;
    }
    if let Some(v) = a.listen {
        c.listen = v;
    }
    if !a.peers.is_empty() {
        c.peers = a.peers;
    }
    if let Some(v) = a.work_dir {
        c.work_dir = v;
    }
    if let Some(v) = a.poll_ms {
        c.poll_ms = v;
    }
    if c.key_file.as_os_str().is_empty() || c.deployment.as_os_str().is_empty() {
        return Err(VerifierError::Config(
            "key_file and deployment are required".into(),
        ));
    }
    Ok(c)
}

/// Runs `streamflow-node verifier …` until `shutdown` resolves (for `run`).
pub async fn run(
    args: Args,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), VerifierError> {
    match args.command {
        VerifierCommand::Run(a) => super::run(load(a)?, shutdown).await,
        VerifierCommand::Setup(a) => {
            let key = streamflow_keeper::daemon::load_key(&a.governance_key_file)?;
            let governance = key.address();
            let d = Deployment::load(&a.deployment)?;
            let url = a
                .rpc_url
                .parse()
                .map_err(|e| VerifierError::Config(format!("rpc_url: {e}")))?;
            let provider = streamflow_bindings::signing_provider(url, &key);
            check_chain(&provider, &d).await?;
            let report = setup_committee(
                &provider,
                governance,
                &d,
                &CommitteeSetup {
                    members: a.members,
                    threshold: a.threshold,
                    verdict_period_blocks: a.verdict_period_blocks,
                    services: a.services,
                },
            )
            .await?;
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| VerifierError::Config(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
    }
}
