//! `streamflow-node orchestrator ...`: the operator's commands (`run`, `register`, `status`), their
//! TOML config file and environment overrides. This is the binary's edge: errors are `anyhow`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use anyhow::{Context as _, bail};
use streamflow_bindings::Deployment;
use streamflow_keeper::daemon;
use streamflow_protocol::LocalSigner;
use streamflow_transcoder::transcode::TranscodeOptions;

use super::content::ContentStore;
use super::{Orchestrator, Settings, chain};
use crate::pool::{Pool, PoolConfig};
use crate::wire::{self, Price, ServiceOffer};

/// The orchestrator role: serve paid segments, redeem winning tickets, call `reward()` each round.
///
/// Example: `streamflow-node orchestrator --config orchestrator.toml run`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The TOML config file (see docs/orchestrator.md).
    #[arg(
        long,
        short,
        env = "STREAMFLOW_ORCHESTRATOR_CONFIG",
        default_value = "orchestrator.toml"
    )]
    pub config: PathBuf,
    /// Overrides of the config file.
    #[command(flatten)]
    pub overrides: Overrides,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings that override the config file (flags or environment).
#[derive(Debug, Default, clap::Args)]
#[command(next_help_heading = "Overrides")]
pub struct Overrides {
    /// Ethereum JSON-RPC URL.
    #[arg(long, env = "STREAMFLOW_RPC_URL")]
    pub rpc_url: Option<String>,
    /// The deployment file written by the deploy script.
    #[arg(long, env = "STREAMFLOW_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,
    /// Path of the file holding the orchestrator's private key (a path, never the key itself).
    #[arg(long, env = "STREAMFLOW_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Where the API listens, e.g. 0.0.0.0:8935 (port 0: any free port, printed at start).
    #[arg(long, env = "STREAMFLOW_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Folder for the keeper's database and the content store.
    #[arg(long, env = "STREAMFLOW_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The orchestrator's commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serves the API, redeems winning tickets and calls `reward()` once per round, until SIGTERM
    /// or Ctrl-C.
    Run,
    /// Becomes an orchestrator: bonds LPT to itself, announces its cuts, and registers its service
    /// URI, regions and services (from the config file) in the ServiceRegistry.
    ///
    /// Example: `streamflow-node orchestrator register --bond 2000 --reward-cut 100000 --fee-share 500000`
    Register(RegisterArgs),
    /// Shows stake, activity, cuts, pending rewards and fees, and the registry entry.
    Status {
        /// Prints JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `register`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// LPT to bond to itself now, in LPT (decimals allowed, e.g. `2000` or `0.5`); 0 bonds nothing.
    #[arg(long, default_value = "0")]
    pub bond: String,
    /// Parts per million of inflationary rewards the orchestrator keeps (0..=1000000).
    #[arg(long)]
    pub reward_cut: u32,
    /// Parts per million of fees that go to its delegators (0..=1000000).
    #[arg(long)]
    pub fee_share: u32,
    /// Overrides `service_uri` of the config file.
    #[arg(long)]
    pub service_uri: Option<String>,
}

/// A service in the config file.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Its name; the id is `keccak256(name)` (e.g. `h264-abr`).
    pub name: String,
    /// Price: wei per `pixels_per_unit` output pixels (a decimal string).
    pub price_wei_per_unit: String,
    /// Pixels per price unit.
    #[serde(default = "one")]
    pub pixels_per_unit: u64,
    /// The verifier named for it in the registry (default zero: the service's default).
    #[serde(default)]
    pub verifier: Address,
}

fn one() -> u64 {
    1
}

/// The config file.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Ethereum node's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file written by the deploy script.
    pub deployment: PathBuf,
    /// The orchestrator's private key file (hex; mode 600).
    pub key_file: PathBuf,
    /// Folder for `keeper.db`, `node.db` (balances, worker bans) and `content/`.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Where the API listens.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The URI registered for broadcasters (`register`).
    #[serde(default)]
    pub service_uri: Option<String>,
    /// Region names served (ids are `keccak256(name)`); empty: any region.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Services offered, with prices.
    pub services: Vec<ServiceConfig>,
    /// The transcoder pool: in-process slots and remote workers (docs/transcoder-pools.md).
    #[serde(default)]
    pub pool: PoolConfig,
    /// libx264 preset.
    #[serde(default = "default_preset")]
    pub x264_preset: String,
    /// Largest segment accepted, bytes.
    #[serde(default = "default_max_bytes")]
    pub max_segment_bytes: u64,
    /// Longest segment accepted, milliseconds.
    #[serde(default = "default_max_ms")]
    pub max_segment_ms: u64,
    /// Highest source frame rate accepted.
    #[serde(default = "default_max_fps")]
    pub max_fps: u32,
    /// How long sources and renditions are kept for fetching (seconds).
    #[serde(default = "default_retention")]
    pub retention_secs: u64,
    /// Call `reward()` once per round while running.
    #[serde(default = "yes")]
    pub reward: bool,
    /// Initialize a round nobody initialized yet (needed before `reward()`).
    #[serde(default = "yes")]
    pub initialize_rounds: bool,
    /// Seconds between reward checks.
    #[serde(default = "default_reward_poll")]
    pub reward_poll_secs: u64,
    /// The embedded keeper's settings: the `streamflow-keeper` config keys (docs/keeper.md) but
    /// `rpc_url`, `deployment`, `key_file`, `db` and `listen`, which come from here.
    #[serde(default)]
    pub keeper: toml::Table,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("orchestrator-data")
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8935))
}
fn default_preset() -> String {
    "veryfast".into()
}
fn default_max_bytes() -> u64 {
    16 * 1024 * 1024
}
fn default_max_ms() -> u64 {
    4_000
}
fn default_max_fps() -> u32 {
    60
}
fn default_retention() -> u64 {
    3 * 24 * 3600
}
fn yes() -> bool {
    true
}
fn default_reward_poll() -> u64 {
    5
}

impl Config {
    /// Reads the file and applies the overrides.
    pub fn load(path: &Path, o: &Overrides) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut c: Config =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if let Some(v) = &o.rpc_url {
            c.rpc_url = v.clone();
        }
        if let Some(v) = &o.deployment {
            c.deployment = v.clone();
        }
        if let Some(v) = &o.key_file {
            c.key_file = v.clone();
        }
        if let Some(v) = o.listen {
            c.listen = v;
        }
        if let Some(v) = &o.data_dir {
            c.data_dir = v.clone();
        }
        if c.services.is_empty() {
            bail!("{}: no [[services]] offered", path.display());
        }
        Ok(c)
    }

    /// The embedded keeper's config (its own defaults for what `[keeper]` doesn't set).
    pub fn keeper_config(&self) -> anyhow::Result<daemon::Config> {
        let mut t = self.keeper.clone();
        for k in ["rpc_url", "deployment", "key_file", "db", "listen"] {
            if t.contains_key(k) {
                bail!("[keeper] may not set {k}: it comes from the orchestrator's settings");
            }
        }
        t.insert("rpc_url".into(), self.rpc_url.clone().into());
        t.insert(
            "deployment".into(),
            self.deployment.display().to_string().into(),
        );
        t.insert(
            "key_file".into(),
            self.key_file.display().to_string().into(),
        );
        t.insert(
            "db".into(),
            self.data_dir.join("keeper.db").display().to_string().into(),
        );
        toml::Value::Table(t)
            .try_into()
            .context("the [keeper] table")
    }

    /// The services as offered on the API.
    pub fn offers(&self) -> anyhow::Result<Vec<ServiceOffer>> {
        self.services
            .iter()
            .map(|s| {
                let wei: U256 = s
                    .price_wei_per_unit
                    .parse()
                    .with_context(|| format!("service {}: price_wei_per_unit", s.name))?;
                if s.pixels_per_unit == 0 {
                    bail!("service {}: pixels_per_unit is zero", s.name);
                }
                Ok(ServiceOffer {
                    service_id: wire::service_id(&s.name),
                    name: s.name.clone(),
                    verifier: s.verifier,
                    price: Price {
                        wei_per_unit: wei,
                        pixels_per_unit: s.pixels_per_unit,
                    },
                })
            })
            .collect()
    }

    /// Region ids.
    pub fn region_ids(&self) -> Vec<B256> {
        self.regions.iter().map(|r| wire::service_id(r)).collect()
    }

    fn provider(
        &self,
        key: &alloy::signers::local::PrivateKeySigner,
    ) -> anyhow::Result<DynProvider> {
        let url = self.rpc_url.parse().context("rpc_url")?;
        Ok(ProviderBuilder::new()
            .wallet(key.clone())
            .connect_http(url)
            .erased())
    }
}

/// Parses an LPT amount in decimal (`2000`, `0.25`) into wei.
pub fn parse_lpt(s: &str) -> anyhow::Result<U256> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 18
    {
        bail!("{s:?} is not an LPT amount (e.g. 2000 or 0.5, at most 18 decimals)");
    }
    let digits = format!("{int}{frac:0<18}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(U256::ZERO);
    }
    digits.parse().context("LPT amount too large")
}

/// Runs the command until done, or (for `run`) until `shutdown` resolves.
pub async fn run(
    args: Args,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = Config::load(&args.config, &args.overrides)?;
    match args.command {
        Command::Run => run_node(config, shutdown).await,
        Command::Register(r) => register(config, r).await,
        Command::Status { json } => status(config, json).await,
    }
}

async fn register(config: Config, r: RegisterArgs) -> anyhow::Result<()> {
    let key = daemon::load_key(&config.key_file)?;
    let d = Deployment::load(&config.deployment)?;
    let provider = config.provider(&key)?;
    let service_uri = r
        .service_uri
        .or(config.service_uri.clone())
        .context("no service URI: set service_uri in the config or pass --service-uri")?;
    let reg = chain::Registration {
        bond: parse_lpt(&r.bond)?,
        reward_cut: r.reward_cut,
        fee_share: r.fee_share,
        service_uri,
        regions: config.region_ids(),
        services: config
            .offers()?
            .iter()
            .map(|o| (o.service_id, o.verifier))
            .collect(),
    };
    let done = chain::register(&provider, &d, key.address(), &reg).await?;
    println!(
        "registered {} ({} services, {} regions)",
        key.address(),
        reg.services.len(),
        reg.regions.len()
    );
    if let Some((a, b)) = done.bond {
        println!("  approve {a}\n  bond    {b}");
    }
    println!("  cuts    {}\n  registry {}", done.cuts, done.registry);
    Ok(())
}

async fn status(config: Config, json: bool) -> anyhow::Result<()> {
    let key = daemon::load_key(&config.key_file)?;
    let d = Deployment::load(&config.deployment)?;
    let provider = config.provider(&key)?;
    let s = chain::status(&provider, &d, key.address()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    let names: std::collections::HashMap<B256, String> = config
        .services
        .iter()
        .map(|x| (wire::service_id(&x.name), x.name.clone()))
        .chain(
            config
                .regions
                .iter()
                .map(|r| (wire::service_id(r), r.clone())),
        )
        .collect();
    let name = |id: &B256| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    println!("orchestrator       {}", s.address);
    println!("round              {}", s.round);
    println!("registered         {}", s.registered);
    println!(
        "active             {} (active stake {} wei)",
        s.active, s.active_stake
    );
    println!("total stake        {} wei", s.total_stake);
    println!(
        "reward cut         {} ppm (fee share {} ppm)",
        s.reward_cut, s.fee_share
    );
    println!(
        "announced cuts     {} / {} ppm from round {}",
        s.next_cuts.0, s.next_cuts.1, s.next_cuts.2
    );
    println!("last reward round  {}", s.last_reward_round);
    println!("pending rewards    {} LPT wei", s.pending_rewards);
    println!("pending fees       {} wei", s.pending_fees);
    println!("service URI        {}", s.service_uri);
    println!(
        "regions            {}",
        s.regions.iter().map(name).collect::<Vec<_>>().join(", ")
    );
    for (id, verifier) in &s.services {
        println!("service            {} (verifier {verifier})", name(id));
    }
    Ok(())
}

async fn run_node(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // FFmpeg logs fatal errors only: the node reports failures through tracing.
    streamflow_transcoder::quiet_ffmpeg(false);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let keeper_config = config.keeper_config()?;
    let (keeper, redeemer) = daemon::open(&keeper_config).await?;
    if let Err(e) = redeemer.refresh().await {
        tracing::warn!(target: "orchestrator", error = %e, "initial chain read failed; serving once synced");
    }
    let key = daemon::load_key(&config.key_file)?;
    let signer = LocalSigner::from_alloy(&key).context("the orchestrator key")?;
    let d = Deployment::load(&config.deployment)?;
    let mut options = TranscodeOptions {
        x264_preset: config.x264_preset.clone(),
        ..TranscodeOptions::default()
    };
    options.limits.max_bytes = config.max_segment_bytes;
    options.limits.max_duration_secs = config.max_segment_ms as f64 / 1000.0;
    // The node's own state (balances, worker bans) next to the keeper's database.
    let node_db = config.data_dir.join("node.db");
    let mut pool_options = config.pool.options(options)?;
    pool_options.state_db = Some(node_db.clone());
    let pool = Pool::open(pool_options)?;
    let ledger = super::ledger::Ledger::open(&node_db)
        .with_context(|| format!("opening {}", node_db.display()))?;
    let store = ContentStore::open(
        config.data_dir.join("content"),
        Duration::from_secs(config.retention_secs),
    )?;
    let settings = Settings {
        chain_id: d.chain_id,
        fault_verifier: d.fault_verifier,
        services: config.offers()?,
        regions: config.region_ids(),
        max_segment_bytes: config.max_segment_bytes,
        max_segment_ms: config.max_segment_ms,
        max_fps: config.max_fps,
    };
    let orchestrator =
        Orchestrator::with_ledger(keeper, pool, signer, store.clone(), settings, ledger);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(target: "orchestrator", %addr, address = %orchestrator.address(), "orchestrator running");
    // One line on stdout that scripts and tests wait for.
    println!(
        "orchestrator {} listening on http://{addr}",
        orchestrator.address()
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    let poll = Duration::from_millis(keeper_config.poll_ms);
    // One owner of the account's nonce: reward() goes through the keeper's sender.
    let tx_sender = redeemer.tx_sender();
    tasks.spawn(redeemer.run(poll, stopped()));
    if config.reward {
        let url = config.rpc_url.parse().context("rpc_url")?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        tasks.spawn(chain::reward_loop(
            provider,
            d.clone(),
            tx_sender,
            config.initialize_rounds,
            Duration::from_secs(config.reward_poll_secs.max(1)),
            stopped(),
        ));
    }
    {
        let stop = stopped();
        tasks.spawn(async move {
            tokio::pin!(stop);
            loop {
                match store.sweep() {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(target: "orchestrator", deleted = n, "content past retention deleted"),
                    Err(e) => tracing::warn!(target: "orchestrator", error = %e, "content sweep failed"),
                }
                tokio::select! {
                    _ = &mut stop => break,
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                }
            }
        });
    }
    let server = tokio::spawn(super::serve(orchestrator, listener, stopped()));
    shutdown.await;
    tracing::info!(target: "orchestrator", "shutting down");
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    server.await.context("server task")??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpt_amounts_parse_to_wei() {
        let e18 = U256::from(10u64).pow(U256::from(18u8));
        assert_eq!(parse_lpt("2000").expect("int"), U256::from(2000u64) * e18);
        assert_eq!(parse_lpt("0.5").expect("frac"), e18 / U256::from(2u8));
        assert_eq!(parse_lpt("0").expect("zero"), U256::ZERO);
        assert_eq!(
            parse_lpt("0.000000000000000001").expect("1 wei"),
            U256::from(1u8)
        );
        for bad in ["", ".", "1e18", "-1", "0.0000000000000000001", "1.2.3"] {
            assert!(parse_lpt(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn keeper_settings_come_from_the_orchestrator_config() {
        let c: Config = toml::from_str(
            r#"
            rpc_url = "http://127.0.0.1:8545"
            deployment = "d.json"
            key_file = "k"
            data_dir = "/tmp/o"
            [[services]]
            name = "h264-abr"
            price_wei_per_unit = "3"
            pixels_per_unit = 2
            [keeper]
            expected_value_wei = "1000"
            "#,
        )
        .expect("config");
        let k = c.keeper_config().expect("keeper");
        assert_eq!(k.db, PathBuf::from("/tmp/o/keeper.db"));
        assert_eq!(k.expected_value_wei, "1000");
        assert_eq!(k.max_cost_bps, 100);
        let offers = c.offers().expect("offers");
        assert_eq!(offers[0].service_id, wire::service_id("h264-abr"));
        assert_eq!(offers[0].price.fee_for(3), Some(U256::from(5u8)));
        let mut bad = c.clone();
        bad.keeper.insert("db".into(), "x".into());
        assert!(bad.keeper_config().is_err());
        let mut unknown = c;
        unknown.keeper.insert("nope".into(), 1.into());
        assert!(unknown.keeper_config().is_err());
    }
}
