//! `streamflow-node broadcaster ...`: the command line of the broadcaster role.

use std::path::PathBuf;

use alloy::primitives::Address;
use alloy::primitives::utils::format_ether;

use std::time::Duration;

use streamflow_transcoder::Profile;

use super::chain::{Chain, parse_amount};
use super::config::{Config, id_from, parse_price};
use super::segmenter::Input;
use super::session::{self, StreamOptions};

/// The broadcaster: funds on the TicketBroker, and streams paid with tickets.
///
/// Settings come from the config file (see docs/broadcaster.md), then the environment, then flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The TOML config file (optional at its default path).
    #[arg(
        long,
        short,
        env = "STREAMFLOW_BROADCASTER_CONFIG",
        default_value = "broadcaster.toml"
    )]
    pub config: PathBuf,
    /// Ethereum JSON-RPC URL.
    #[arg(long, env = "STREAMFLOW_RPC_URL", help_heading = "Chain")]
    pub rpc_url: Option<String>,
    /// The deployment file (addresses of the contracts).
    #[arg(long, env = "STREAMFLOW_DEPLOYMENT", help_heading = "Chain")]
    pub deployment: Option<PathBuf>,
    /// File holding the broadcaster's private key in hex (a path, never the key; mode 600).
    #[arg(long, env = "STREAMFLOW_BROADCASTER_KEY_FILE", help_heading = "Chain")]
    pub key_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The broadcaster's subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Adds to the deposit (pays tickets) and the reserve (guarantees them), in one transaction.
    ///
    /// Example: `streamflow-node broadcaster fund --deposit 1eth --reserve 0.5eth`
    Fund {
        /// Amount added to the deposit (`1.5eth`, `100gwei`, `123wei` or plain wei).
        #[arg(long, default_value = "0")]
        deposit: String,
        /// Amount added to the reserve.
        #[arg(long, default_value = "0")]
        reserve: String,
    },
    /// Shows deposit, reserve and unlock state.
    Show {
        /// Whose funds (default: the key file's account; no key needed then).
        #[arg(long)]
        address: Option<Address>,
        /// Prints JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Starts the unlock period, after which `withdraw` pays everything back (`--cancel` stops it).
    Unlock {
        /// Cancels an unlock in progress instead.
        #[arg(long)]
        cancel: bool,
    },
    /// Withdraws deposit and reserve once the unlock period is over.
    Withdraw,
    /// Streams a file or a live push through orchestrators, paying with tickets, into HLS.
    ///
    /// Examples: `streamflow-node broadcaster stream --input clip.mp4 --out-dir out`;
    /// `streamflow-node broadcaster stream --input rtmp://127.0.0.1:1935/live --http 127.0.0.1:8080`
    /// then `ffmpeg -re -i clip.mp4 -c copy -f flv rtmp://127.0.0.1:1935/live`.
    Stream(Box<StreamArgs>),
}

/// `broadcaster stream` flags (each overrides the config file's `[stream]` table).
#[derive(Debug, clap::Args)]
pub struct StreamArgs {
    /// A video file, or `rtmp://HOST:PORT/APP` / `srt://HOST:PORT` to listen for a live push.
    #[arg(long, env = "STREAMFLOW_INPUT")]
    pub input: String,
    /// Output folder: `hls/`, `receipts.jsonl`, `evidence/`.
    #[arg(long, env = "STREAMFLOW_OUT_DIR")]
    pub out_dir: Option<PathBuf>,
    /// Serve the HLS output over HTTP at this address while streaming (port 0 picks one).
    #[arg(long, env = "STREAMFLOW_HTTP")]
    pub http: Option<std::net::SocketAddr>,
    /// Orchestrator service URIs to use instead of the registry (repeatable).
    #[arg(long = "orchestrator", value_name = "URI")]
    pub orchestrators: Vec<String>,
    /// Comma-separated rendition presets, e.g. `240p,360p`.
    #[arg(long)]
    pub profiles: Option<String>,
    /// Orchestrators per segment (first good answer wins).
    #[arg(long)]
    pub redundancy: Option<u32>,
    /// Fraction of segments given the full metric check (0..=1).
    #[arg(long)]
    pub verify_rate: Option<f64>,
    /// On LowPMBalance, add this to the deposit and go on (e.g. `0.1eth`).
    #[arg(long)]
    pub top_up: Option<String>,
    /// Target segment length in seconds.
    #[arg(long)]
    pub segment_secs: Option<f64>,
    /// Stop after this many segments.
    #[arg(long)]
    pub max_segments: Option<u64>,
    /// Segment timeout in milliseconds.
    #[arg(long)]
    pub segment_timeout_ms: Option<u64>,
    /// Open a challenge on the FaultVerifier for every fault found, serving the evidence to the
    /// committee at this address (e.g. `0.0.0.0:8936`) while streaming.
    #[arg(long, value_name = "ADDR")]
    pub challenge: Option<std::net::SocketAddr>,
    /// With `--challenge`: after the last segment, follow the challenges opened to their verdict
    /// (serving the evidence meanwhile) for at most this many seconds, then withdraw the bonds
    /// credited back.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub challenge_follow_secs: u64,
}

impl StreamArgs {
    /// The stream options from the config file and these flags.
    pub fn options(&self, config: &Config) -> anyhow::Result<StreamOptions> {
        let mut c = config.stream.clone();
        if let Some(v) = &self.out_dir {
            c.out_dir = v.clone();
        }
        if self.http.is_some() {
            c.http = self.http;
        }
        if !self.orchestrators.is_empty() {
            c.orchestrators = self.orchestrators.clone();
        }
        if let Some(v) = &self.profiles {
            c.profiles = v
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = self.redundancy {
            c.redundancy = v;
        }
        if let Some(v) = self.verify_rate {
            c.verify_rate = v;
        }
        if self.top_up.is_some() {
            c.top_up = self.top_up.clone();
        }
        if let Some(v) = self.segment_secs {
            c.segment_secs = v;
        }
        if let Some(v) = self.segment_timeout_ms {
            c.segment_timeout_ms = v;
        }
        let profiles = c
            .profiles
            .iter()
            .map(|n| Profile::preset(n))
            .collect::<Result<Vec<_>, _>>()?;
        if profiles.is_empty() {
            anyhow::bail!("no rendition profiles");
        }
        if !(0.0..=1.0).contains(&c.verify_rate) {
            anyhow::bail!("verify_rate must be within 0..=1");
        }
        Ok(StreamOptions {
            input: Input::parse(&self.input),
            out_dir: c.out_dir,
            http: c.http,
            service_id: id_from(&c.service),
            region: id_from(c.region.as_deref().unwrap_or(DEFAULT_REGION)),
            min_stake: parse_lpt(&c.min_stake_lpt)?,
            registry_page: c.registry_page,
            orchestrators: c.orchestrators,
            profiles,
            segment_secs: c.segment_secs,
            redundancy: c.redundancy.max(1),
            max_price: c.max_price.as_deref().map(parse_price).transpose()?,
            quote_timeout: Duration::from_millis(c.quote_timeout_ms),
            segment_timeout: Duration::from_millis(c.segment_timeout_ms),
            max_attempts: c.max_attempts.max(1),
            verify_rate: c.verify_rate,
            top_up: c
                .top_up
                .as_deref()
                .map(parse_amount)
                .transpose()
                .map_err(anyhow::Error::msg)?,
            max_top_ups: c.max_top_ups,
            max_segments: self.max_segments,
            challenge_http: self.challenge,
            challenge_follow: Duration::from_secs(self.challenge_follow_secs),
        })
    }
}

/// The region asked when none is configured.
pub const DEFAULT_REGION: &str = "global";

fn parse_lpt(s: &str) -> anyhow::Result<alloy::primitives::U256> {
    alloy::primitives::utils::parse_units(s.trim(), "ether")
        .map(|v| v.get_absolute())
        .map_err(|e| anyhow::anyhow!("min_stake_lpt {s:?}: {e}"))
}

impl Args {
    /// The config file with this command line's overrides applied.
    pub fn config(&self) -> anyhow::Result<Config> {
        let explicit = std::env::var_os("STREAMFLOW_BROADCASTER_CONFIG").is_some()
            || self.config != std::path::Path::new("broadcaster.toml");
        let mut c = Config::load(&self.config, explicit)?;
        if let Some(v) = &self.rpc_url {
            c.rpc_url = v.clone();
        }
        if let Some(v) = &self.deployment {
            c.deployment = v.clone();
        }
        if let Some(v) = &self.key_file {
            c.key_file = Some(v.clone());
        }
        Ok(c)
    }
}

/// Connects with the key file's account.
pub async fn connect(
    config: &Config,
) -> anyhow::Result<(Chain, alloy::signers::local::PrivateKeySigner)> {
    let key_file = config.key_file.as_ref().ok_or_else(|| {
        anyhow::anyhow!("no key file: set key_file, --key-file or STREAMFLOW_BROADCASTER_KEY_FILE")
    })?;
    let signer = streamflow_keeper::daemon::load_key(key_file)?;
    let deployment = streamflow_bindings::Deployment::load(&config.deployment)?;
    let chain = Chain::connect(&config.rpc_url, deployment, signer.clone()).await?;
    Ok((chain, signer))
}

/// Runs the broadcaster command until it is done or `shutdown` resolves.
pub async fn run(
    args: Args,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = args.config()?;
    match args.command {
        Command::Fund { deposit, reserve } => {
            let (d, r) = (
                parse_amount(&deposit).map_err(anyhow::Error::msg)?,
                parse_amount(&reserve).map_err(anyhow::Error::msg)?,
            );
            if d.is_zero() && r.is_zero() {
                anyhow::bail!("nothing to fund: give --deposit and/or --reserve");
            }
            let (chain, _) = connect(&config).await?;
            let tx = chain.fund(d, r).await?;
            tracing::info!(target: "broadcaster", %tx, deposit = %d, reserve = %r, "funded");
            print_funds(&chain.funds().await?, false);
        }
        Command::Show { address, json } => {
            let funds = if let Some(a) = address {
                let deployment = streamflow_bindings::Deployment::load(&config.deployment)?;
                // A read needs no key: this throwaway signer never sends anything.
                let reader = alloy::signers::local::PrivateKeySigner::random();
                let chain = Chain::connect(&config.rpc_url, deployment, reader).await?;
                chain.funds_of(a).await?
            } else {
                connect(&config).await?.0.funds().await?
            };
            print_funds(&funds, json);
        }
        Command::Unlock { cancel } => {
            let (chain, _) = connect(&config).await?;
            let tx = if cancel {
                chain.cancel_unlock().await?
            } else {
                chain.unlock().await?
            };
            tracing::info!(target: "broadcaster", %tx, cancel, "unlock");
            print_funds(&chain.funds().await?, false);
        }
        Command::Stream(stream) => {
            let opts = stream.options(&config)?;
            let (chain, signer) = connect(&config).await?;
            let signer = streamflow_protocol::LocalSigner::from_alloy(&signer)?;
            let on_serving: session::OnServing = Box::new(|url: &str| {
                println!("{}", serde_json::json!({"event": "serving", "url": url}));
            });
            let summary = session::stream(chain, signer, opts, shutdown, Some(on_serving)).await?;
            println!(
                "{}",
                serde_json::json!({"event": "summary", "summary": summary})
            );
            if !summary.complete {
                anyhow::bail!("stream stopped: {}", summary.stopped);
            }
            return Ok(());
        }
        Command::Withdraw => {
            let (chain, _) = connect(&config).await?;
            let before = chain.funds().await?;
            let tx = chain.withdraw().await?;
            tracing::info!(target: "broadcaster", %tx, "withdrawn");
            println!(
                "withdrew {} ETH",
                format_ether(before.deposit.saturating_add(before.reserve))
            );
            print_funds(&chain.funds().await?, false);
        }
    }
    drop(shutdown);
    Ok(())
}

fn print_funds(f: &super::chain::Funds, json: bool) {
    if json {
        println!("{}", serde_json::to_string(f).unwrap_or_default());
        return;
    }
    let state = match f.withdraw_round {
        0 => "locked".to_owned(),
        w if w <= f.current_round => format!("unlocked: withdraw now (since round {w})"),
        w => format!(
            "unlocking: withdraw from round {w} (now {})",
            f.current_round
        ),
    };
    println!("sender   {}", f.sender);
    println!(
        "deposit  {} ETH ({} wei)",
        format_ether(f.deposit),
        f.deposit
    );
    println!(
        "reserve  {} ETH ({} wei)",
        format_ether(f.reserve),
        f.reserve
    );
    println!("state    {state}");
}
