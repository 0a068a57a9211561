//! The main job of a Streamflow network, end to end, on a local chain: `make demo`.
//!
//! Given a chain with the protocol deployed (anvil and `script/Deploy.s.sol`), [`run`] sets up a
//! committee of three verifiers (threshold 2) judging the `h264-abr` service, registers three
//! orchestrators with stake (one of them dishonest: its pool's only worker is *trusted* and tampers
//! with a rendition of every segment it does), starts their pools (two use a remote
//! `streamflow-node transcoder` worker process), their embedded keepers, the verifier processes,
//! and a broadcaster that streams a generated clip through them, paying with tickets. It prints a
//! line per segment while the stream runs, then challenges the fault the broadcaster caught, follows
//! the challenge to the committee's verdict and the slash, waits for the winning tickets to be
//! redeemed, and returns a [`Report`] (printed by [`Report::print`]) built from the broadcaster's
//! summary and from the chain.
//!
//! Every role is the real `streamflow-node` binary run as a process; this crate only drives them and
//! reads the chain. Everything it starts is stopped when [`run`] returns, unless
//! [`Options::keep_running`] is set (then it prints the summary, serves the HLS output and waits
//! for the shutdown future first).

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use alloy::network::EthereumWallet;
use alloy::primitives::utils::format_ether;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::{BondingManager, LivepeerToken, RoundsManager, TicketBroker};
use streamflow_node::broadcaster::store::{ReceiptRecord, ReceiptState};
use streamflow_node::challenge::{Outcome, Status};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

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
const ETHER: u128 = 1_000_000_000_000_000_000;

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

trait Step<T> {
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

fn fail<T>(step: &str, reason: impl Into<String>) -> Result<T> {
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

/// One orchestrator as the demo set it up and as the chain saw it.
#[derive(Debug, Clone)]
pub struct OrchestratorReport {
    /// Its name in the demo (`orch-a`, …).
    pub name: String,
    /// Its account.
    pub address: Address,
    /// Its service URI.
    pub uri: String,
    /// How its pool transcodes.
    pub pool: String,
    /// Whether its worker tampers.
    pub dishonest: bool,
    /// Segments of the output it did (from the broadcaster's summary).
    pub segments: u64,
    /// Tickets the broadcaster sent it.
    pub tickets_sent: u64,
    /// Winning tickets among them (as the orchestrator reported them).
    pub tickets_won: u64,
    /// Winning tickets redeemed on chain (`TicketRedeemed`).
    pub tickets_redeemed: u64,
    /// Wei paid to it by redeemed tickets (their face values, credited as fees in the
    /// BondingManager).
    pub paid_wei: U256,
    /// Wei its account spent on gas (registration, rewards, redemptions).
    pub gas_wei: U256,
    /// LPT (wei) slashed from its stake.
    pub slashed_lpt: U256,
    /// Its bonded stake at the end (LPT wei).
    pub stake_after: U256,
}

/// The challenge the broadcaster opened against a fault it caught (from its summary).
#[derive(Debug, Clone)]
pub struct ChallengeReport {
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// Who opened it (the broadcaster's account).
    pub challenger: Address,
    /// The orchestrator challenged.
    pub orchestrator: Address,
    /// The segment.
    pub seq_no: u64,
    /// Which check caught it (see [`caught_by`]).
    pub caught_by: String,
    /// Why the broadcaster's check failed it.
    pub reasons: Vec<String>,
    /// How it ended.
    pub status: Status,
    /// LPT (wei) slashed.
    pub slashed: U256,
    /// The challenger's finder fee (LPT wei).
    pub finder_fee: U256,
    /// Bond posted (wei) and refunded.
    pub bond: U256,
    /// Bond refunded.
    pub bond_refunded: U256,
    /// Wei the broadcaster withdrew from the FaultVerifier afterwards.
    pub collected: U256,
    /// Why it was not followed to a verdict, if it was not.
    pub error: Option<String>,
    /// Seconds from opening to settlement.
    pub secs: f64,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Segments read from the clip.
    pub segments_in: u64,
    /// Segments in the output.
    pub segments_out: u64,
    /// Renditions in the output.
    pub renditions: u64,
    /// Pixels in the output.
    pub pixels: u64,
    /// Seconds of media and wall seconds of the stream.
    pub media_secs: f64,
    /// Wall seconds of the stream.
    pub stream_secs: f64,
    /// Segments checked in full by the broadcaster.
    pub sampled: u64,
    /// Faults it found.
    pub faults: u64,
    /// Segments that needed another orchestrator.
    pub failovers: u64,
    /// Tickets sent, won and redeemed, over all orchestrators.
    pub tickets_sent: u64,
    /// Won.
    pub tickets_won: u64,
    /// Redeemed.
    pub tickets_redeemed: u64,
    /// Per orchestrator.
    pub orchestrators: Vec<OrchestratorReport>,
    /// The challenge, if a fault was caught.
    pub challenge: Option<ChallengeReport>,
    /// The HLS folder.
    pub hls_dir: PathBuf,
    /// The master playlist.
    pub master_playlist: PathBuf,
    /// The URL it was served at while the stream ran (and after it, with
    /// [`Options::keep_running`]).
    pub url: Option<String>,
    /// Streams of the clip it took to catch the cheater (the output is the last one's).
    pub passes: u32,
    /// Verification samples the committee members ran (one per member per challenge).
    pub committee_size: usize,
    /// Wall seconds of the whole demo.
    pub total_secs: f64,
}

impl Report {
    /// Writes the summary for a person.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let eth = |w: &U256| short_units(*w);
        let lpt = |w: &U256| short_units(*w);
        writeln!(out)?;
        writeln!(out, "Summary")?;
        writeln!(
            out,
            "  stream       {} segments in, {} out, {} renditions, {:.1} Mpixels; {:.1} s of video in {:.1} s",
            self.segments_in,
            self.segments_out,
            self.renditions,
            self.pixels as f64 / 1e6,
            self.media_secs,
            self.stream_secs
        )?;
        writeln!(
            out,
            "  checks       every segment cheap-checked; {} checked in full (sampled); {} fault(s); {} failover(s)",
            self.sampled, self.faults, self.failovers
        )?;
        writeln!(
            out,
            "  tickets      {} sent, {} won, {} redeemed on chain",
            self.tickets_sent, self.tickets_won, self.tickets_redeemed
        )?;
        writeln!(out, "  orchestrators")?;
        for o in &self.orchestrators {
            writeln!(
                out,
                "    {} {} {}{}",
                o.name,
                o.address,
                o.pool,
                if o.dishonest { "  [DISHONEST]" } else { "" }
            )?;
            writeln!(
                out,
                "      {} segments, tickets {} sent / {} won / {} redeemed, paid {} ETH, gas {} ETH, stake {} LPT{}",
                o.segments,
                o.tickets_sent,
                o.tickets_won,
                o.tickets_redeemed,
                eth(&o.paid_wei),
                eth(&o.gas_wei),
                lpt(&o.stake_after),
                if o.slashed_lpt.is_zero() {
                    String::new()
                } else {
                    format!(" (slashed {} LPT)", lpt(&o.slashed_lpt))
                }
            )?;
        }
        match &self.challenge {
            Some(c) => {
                let who = self
                    .orchestrators
                    .iter()
                    .find(|o| o.address == c.orchestrator)
                    .map_or_else(|| c.orchestrator.to_string(), |o| o.name.clone());
                writeln!(
                    out,
                    "  challenge    #{} opened by the broadcaster {} against {who} (segment {})",
                    c.challenge_id, c.challenger, c.seq_no
                )?;
                writeln!(
                    out,
                    "               caught by {}: {}",
                    c.caught_by,
                    c.reasons.join("; ")
                )?;
                writeln!(
                    out,
                    "               verdict {:?} by the committee ({} members, threshold 2) in {:.0} s: slashed {} LPT, challenger's reward {} LPT, bond {} ETH back of {} (collected {} ETH){}",
                    c.status,
                    self.committee_size,
                    c.secs,
                    lpt(&c.slashed),
                    lpt(&c.finder_fee),
                    eth(&c.bond_refunded),
                    eth(&c.bond),
                    eth(&c.collected),
                    c.error
                        .as_deref()
                        .map(|e| format!("; {e}"))
                        .unwrap_or_default()
                )?;
            }
            None => writeln!(out, "  challenge    none (no fault caught)")?,
        }
        if self.passes > 1 {
            writeln!(
                out,
                "  passes       {} streams of the clip before the cheater was caught (the output is the last one)",
                self.passes
            )?;
        }
        writeln!(out, "  output       {}", self.master_playlist.display())?;
        writeln!(
            out,
            "               play it: ffplay {}   (or any HLS player; served at {}/index.m3u8 while the stream ran)",
            self.master_playlist.display(),
            self.url.as_deref().unwrap_or("-")
        )?;
        writeln!(out, "  total        {:.0} s", self.total_secs)?;
        Ok(())
    }
}

/// An 18-decimal amount without its trailing zeros (`0.1`, `100`).
fn short_units(w: U256) -> String {
    let s = format_ether(w);
    match s.split_once('.') {
        Some((int, frac)) if frac.trim_end_matches('0').is_empty() => int.to_owned(),
        Some((int, frac)) => format!("{int}.{}", frac.trim_end_matches('0')),
        None => s,
    }
}

/// The processes the demo started; each is stopped (SIGTERM, then SIGKILL) by [`Procs::stop_all`],
/// and killed if dropped.
#[derive(Default)]
struct Procs {
    children: Vec<(String, Child)>,
}

impl Procs {
    fn spawn(&mut self, name: &str, mut cmd: Command, logs: &Path) -> Result<()> {
        let log = std::fs::File::create(logs.join(format!("{name}.log"))).step("log file")?;
        let out = log.try_clone().step("log file")?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(log)
            .kill_on_drop(true);
        let child = cmd.spawn().step(&format!("starting {name}"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    fn push(&mut self, name: &str, child: Child) {
        self.children.push((name.to_owned(), child));
    }

    /// Fails if a process exited early.
    fn check_alive(&mut self) -> Result<()> {
        for (name, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                return fail(
                    "processes",
                    format!("{name} exited early ({status}); see its log"),
                );
            }
        }
        Ok(())
    }

    async fn stop_all(&mut self) {
        // Last started first: the broadcaster, verifiers and workers before the orchestrators.
        while let Some((name, mut child)) = self.children.pop() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
            if tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
            {
                tracing::warn!(target: "demo", %name, "did not stop on SIGTERM; killed");
                let _ = child.kill().await;
            }
        }
    }
}

fn provider_as(rpc: &str, key: &PrivateKeySigner) -> Result<DynProvider> {
    let url = rpc.parse().step("rpc url")?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url)
        .erased())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).step("writing a key file")?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .step("chmod 600 a key file")
}

fn key_file(dir: &Path, name: &str, key: &PrivateKeySigner) -> Result<PathBuf> {
    let path = dir.join(name);
    write_private(&path, &format!("0x{}", alloy::hex::encode(key.to_bytes())))?;
    Ok(path)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").step("free port")?;
    Ok(l.local_addr().step("free port")?.port())
}

async fn mine(p: &DynProvider, blocks: u64) -> Result<()> {
    let _: serde_json::Value = p
        .raw_request("anvil_mine".into(), (format!("0x{blocks:x}"),))
        .await
        .step("anvil_mine")?;
    Ok(())
}

/// Mines to the start of the next round and initializes it.
async fn next_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    let rounds = RoundsManager::new(d.rounds_manager, gov);
    let r = rounds
        .currentRoundAndEnd()
        .call()
        .await
        .step("next round")?;
    let end = u64::try_from(r.endBlock).step("next round")?;
    let now = gov.get_block_number().await.step("next round")?;
    if end > now {
        mine(gov, end - now).await?;
    }
    // Views run at the latest block: mine until it is in the next round, so that the
    // initialization (and every quote after it) is of the round the new stake is active in.
    for _ in 0..100 {
        let round = rounds.currentRound().call().await.step("next round")?;
        if round > r.round {
            return initialize_round(d, gov).await;
        }
        mine(gov, 1).await?;
    }
    fail("next round", "the round did not change")
}

async fn initialize_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    let rounds = RoundsManager::new(d.rounds_manager, gov);
    if rounds
        .currentRoundInitialized()
        .call()
        .await
        .step("round")?
    {
        return Ok(());
    }
    let r = rounds
        .initializeRound()
        .send()
        .await
        .step("initializeRound")?
        .get_receipt()
        .await
        .step("initializeRound")?;
    if !r.status() {
        return fail("initializeRound", "reverted");
    }
    Ok(())
}

async fn wait_http(url: &str, timeout: Duration, procs: &mut Procs, what: &str) -> Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        procs.check_alive()?;
        if Instant::now() > deadline {
            return fail(what, format!("{url} did not answer within {timeout:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn metric(client: &reqwest::Client, base: &str, name: &str) -> Option<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    streamflow_node::orchestrator::metrics::sample(&text, name)
}

async fn run_to_end(mut cmd: Command, step: &str, log: &Path) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().await.step(step)?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::write(log, &text);
    if !out.status.success() {
        return fail(step, format!("{} failed: {}", step, text.trim()));
    }
    Ok(text)
}

struct Orch {
    name: &'static str,
    key: PrivateKeySigner,
    port: u16,
    pool: &'static str,
    dishonest: bool,
    balance_before: U256,
}

impl Orch {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn progress(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

/// Runs the demo (see the crate's docs). `shutdown` ends it early, and ends the wait of
/// `keep_running`.
pub async fn run(
    opts: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Report> {
    let started = Instant::now();
    if opts.keys.len() < 8 {
        return fail("options", "at least 8 dev keys are needed");
    }
    let mut shutdown = Box::pin(shutdown);
    let mut procs = Procs::default();
    let result = tokio::select! {
        r = demo(&opts, &mut procs, started) => r,
        _ = &mut shutdown => fail("demo", "interrupted"),
    };
    // `select!` gave `procs` back: stop everything unless asked to keep it.
    if opts.keep_running
        && let Ok(report) = &result
    {
        // The summary now, not after Ctrl-C.
        let _ = report.print(&mut std::io::stdout());
        // The broadcaster has exited: its output is served from here, at the same address.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = match serve_hls(report, async {
            let _ = stop_rx.await;
        })
        .await
        {
            Ok(url) => {
                progress(&format!(
                    "\nThe output is served at {url}/index.m3u8 (e.g. ffplay {url}/index.m3u8); every process is still running (--keep-running): Ctrl-C stops it."
                ));
                true
            }
            Err(e) => {
                progress(&format!(
                    "\nEverything is still running (--keep-running): Ctrl-C stops it. The output could not be served: {e}"
                ));
                false
            }
        };
        shutdown.await;
        if server {
            let _ = stop_tx.send(());
        }
    }
    procs.stop_all().await;
    result
}

/// Serves the report's HLS folder at the address it was served at while streaming, until
/// `shutdown`; returns the base URL.
pub async fn serve_hls(
    report: &Report,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<String> {
    let addr: SocketAddr = match report
        .url
        .as_deref()
        .and_then(|u| u.strip_prefix("http://"))
        .and_then(|a| a.parse().ok())
    {
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let listener = streamflow_node::broadcaster::hls::bind(addr)
        .await
        .step("serving the output")?;
    let url = format!(
        "http://{}",
        listener.local_addr().step("serving the output")?
    );
    let dir = report.hls_dir.clone();
    tokio::spawn(async move {
        if let Err(e) = streamflow_node::broadcaster::hls::serve(listener, dir, shutdown).await {
            tracing::warn!(target: "demo", %e, "the HLS server stopped");
        }
    });
    Ok(url)
}

async fn demo(opts: &Options, procs: &mut Procs, started: Instant) -> Result<Report> {
    let dir = &opts.work_dir;
    if dir.exists() {
        std::fs::remove_dir_all(dir).step("clearing the work folder")?;
    }
    let logs = dir.join("logs");
    let keys_dir = dir.join("keys");
    std::fs::create_dir_all(&logs).step("work folder")?;
    std::fs::create_dir_all(&keys_dir).step("work folder")?;
    let d = Deployment::load(&opts.deployment).step("deployment")?;
    let gov_key = opts.keys[0].clone();
    let gov = provider_as(&opts.rpc_url, &gov_key)?;
    let start_block = gov.get_block_number().await.step("chain")?;
    initialize_round(&d, &gov).await?;
    let node = |args: &[&str]| {
        let mut c = Command::new(&opts.node_bin);
        c.args(args).env("STREAMFLOW_LOG", "info");
        c
    };

    // --- the committee
    let members: Vec<PrivateKeySigner> = opts.keys[5..8].to_vec();
    let gov_file = key_file(&keys_dir, "governance.key", &gov_key)?;
    progress(&format!(
        "[demo] committee: {} members, threshold 2, judging {SERVICE}",
        members.len()
    ));
    let mut setup = node(&["verifier", "setup"]);
    setup
        .arg("--rpc-url")
        .arg(&opts.rpc_url)
        .arg("--deployment")
        .arg(&opts.deployment)
        .arg("--governance-key-file")
        .arg(&gov_file)
        .args([
            "--threshold",
            "2",
            "--verdict-period-blocks",
            "200",
            "--service",
            SERVICE,
        ]);
    for m in &members {
        setup.arg("--member").arg(m.address().to_string());
    }
    run_to_end(setup, "verifier setup", &logs.join("verifier-setup.log")).await?;
    // The setup process sent governance transactions: a fresh provider reads the nonce anew.
    let gov = provider_as(&opts.rpc_url, &gov_key)?;

    // --- three orchestrators
    let mut orchs = Vec::new();
    let plans: [(&str, &str, bool, &str); 3] = [
        ("orch-a", "1 in-process slot", false, "1200"),
        (
            "orch-b",
            "a remote worker (public, spot-checked)",
            false,
            "1100",
        ),
        (
            "orch-c",
            "a remote worker, TRUSTED, that blurs a rendition",
            true,
            "900",
        ),
    ];
    for (i, (name, pool, dishonest, price)) in plans.into_iter().enumerate() {
        let key = opts.keys[1 + i].clone();
        let port = free_port()?;
        let balance_before = gov.get_balance(key.address()).await.step("balance")?;
        let o = Orch {
            name,
            key,
            port,
            pool,
            dishonest,
            balance_before,
        };
        let kf = key_file(&keys_dir, &format!("{name}.key"), &o.key)?;
        let data = dir.join(name);
        std::fs::create_dir_all(&data).step("orchestrator folder")?;
        let pool_toml = if i == 0 {
            "[pool]\nlocal_slots = 1\n".to_owned()
        } else {
            let secret = keys_dir.join(format!("{name}-worker.secret"));
            write_private(&secret, &format!("demo-worker-secret-of-{name}-0123456789"))?;
            let trust = if dishonest { "trusted" } else { "public" };
            format!(
                "[pool]\nlocal_slots = 0\nspot_check = 0.1\n\n[[pool.workers]]\nname = \"{name}-worker\"\nsecret_file = {:?}\ntrust = \"{trust}\"\n",
                secret.display().to_string()
            )
        };
        // Prices are gwei per thousand pixels; keeper tickets are worth 0.005 ETH each and win
        // often (face value = 200 × a redemption's cost), so a short stream has winners.
        let config = format!(
            "rpc_url = {:?}\ndeployment = {:?}\nkey_file = {:?}\ndata_dir = {:?}\nlisten = \"127.0.0.1:{port}\"\nservice_uri = \"http://127.0.0.1:{port}\"\nregions = [\"global\"]\nreward_poll_secs = 2\n\n[[services]]\nname = \"{SERVICE}\"\nprice_wei_per_unit = \"{price}000000000\"\npixels_per_unit = 1000\n\n[keeper]\nexpected_value_wei = \"5000000000000000\"\nface_value_multiplier = 200\nmax_cost_bps = 10000\nconfirmations = 1\npoll_ms = 500\n\n{pool_toml}",
            opts.rpc_url,
            opts.deployment.display().to_string(),
            kf.display().to_string(),
            data.display().to_string(),
        );
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, config).step("orchestrator config")?;
        let ok = LivepeerToken::new(d.livepeer_token, &gov)
            .transfer(o.key.address(), U256::from(STAKE_LPT) * U256::from(ETHER))
            .send()
            .await
            .step("LPT transfer")?
            .get_receipt()
            .await
            .step("LPT transfer")?;
        if !ok.status() {
            return fail("LPT transfer", "reverted");
        }
        let mut reg = node(&["orchestrator", "--config"]);
        reg.arg(&cfg).args([
            "register",
            "--bond",
            &STAKE_LPT.to_string(),
            "--reward-cut",
            "100000",
            "--fee-share",
            "500000",
        ]);
        run_to_end(
            reg,
            "orchestrator register",
            &logs.join(format!("{name}-register.log")),
        )
        .await?;
        progress(&format!(
            "[demo] {name} {} registered, {STAKE_LPT} LPT bonded, {price} gwei per 1000 pixels, pool: {pool}",
            o.key.address()
        ));
        orchs.push((o, cfg));
    }
    // Stake bonded in a round counts from the next one.
    next_round(&d, &gov).await?;

    for (o, cfg) in &orchs {
        let mut c = node(&["orchestrator", "--config"]);
        c.arg(cfg).arg("run");
        procs.spawn(o.name, c, &logs)?;
    }
    for (o, _) in &orchs {
        wait_http(
            &format!("{}/v1/info", o.url()),
            Duration::from_secs(60),
            procs,
            "orchestrator start",
        )
        .await?;
    }
    for (o, _) in orchs.iter().skip(1) {
        let secret = keys_dir.join(format!("{}-worker.secret", o.name));
        let mut c = node(&["transcoder", "--orchestrator"]);
        c.arg(o.url()).arg("--secret-file").arg(&secret).args([
            "--slots",
            "1",
            "--name",
            &format!("{}-worker", o.name),
        ]);
        if o.dishonest {
            c.env("STREAMFLOW_ALLOW_MISBEHAVIOUR", "1")
                .args(["--misbehave", "degrade"]);
        }
        procs.spawn(&format!("{}-worker", o.name), c, &logs)?;
    }
    let client = reqwest::Client::new();
    for (o, _) in orchs.iter().skip(1) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while metric(&client, &o.url(), "streamflow_orchestrator_slots")
            .await
            .unwrap_or(0)
            < 1
        {
            procs.check_alive()?;
            if Instant::now() > deadline {
                return fail(
                    "worker start",
                    format!("{}'s worker never registered", o.name),
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    progress("[demo] 3 orchestrators serving, 2 remote transcoder workers connected");

    // --- the committee members
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect::<Result<_>>()?;
    for (i, m) in members.iter().enumerate() {
        let kf = key_file(&keys_dir, &format!("member-{i}.key"), m)?;
        let peers: Vec<String> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("\"http://127.0.0.1:{p}\""))
            .collect();
        let config = format!(
            "rpc_url = {:?}\ndeployment = {:?}\nkey_file = {:?}\nlisten = \"127.0.0.1:{}\"\npeers = [{}]\nwork_dir = {:?}\npoll_ms = 500\nsubmit_stagger_ms = 1000\nevidence_wait_secs = 30\nfrom_block = {start_block}\n",
            opts.rpc_url,
            opts.deployment.display().to_string(),
            kf.display().to_string(),
            ports[i],
            peers.join(", "),
            dir.join(format!("member-{i}-work")).display().to_string(),
        );
        let cfg = dir.join(format!("member-{i}.toml"));
        std::fs::write(&cfg, config).step("verifier config")?;
        let mut c = node(&["verifier", "run", "--config"]);
        c.arg(&cfg);
        procs.spawn(&format!("verifier-{i}"), c, &logs)?;
    }
    for p in &ports {
        wait_http(
            &format!("http://127.0.0.1:{p}/v1/member"),
            Duration::from_secs(60),
            procs,
            "verifier start",
        )
        .await?;
    }
    progress("[demo] 3 committee members watching for challenges");

    // --- the broadcaster
    let bkey = opts.keys[4].clone();
    let bfile = key_file(&keys_dir, "broadcaster.key", &bkey)?;
    let chain_args = |c: &mut Command| {
        c.arg("--rpc-url")
            .arg(&opts.rpc_url)
            .arg("--deployment")
            .arg(&opts.deployment)
            .arg("--key-file")
            .arg(&bfile)
            .arg("--config")
            .arg(dir.join("broadcaster.toml"));
    };
    std::fs::write(
        dir.join("broadcaster.toml"),
        format!("[stream]\nservice = \"{SERVICE}\"\nregion = \"global\"\nmin_stake_lpt = \"100\"\nmax_attempts = 4\n"),
    )
    .step("broadcaster config")?;
    let mut fund = node(&["broadcaster"]);
    chain_args(&mut fund);
    fund.args(["fund", "--deposit", "2eth", "--reserve", "1eth"]);
    run_to_end(fund, "broadcaster fund", &logs.join("broadcaster-fund.log")).await?;
    progress(&format!(
        "[demo] broadcaster {} funded: deposit 2 ETH, reserve 1 ETH",
        bkey.address()
    ));
    let clip = match &opts.clip {
        Some(c) => c.clone(),
        None => {
            let clip = dir.join("clip.ts");
            let mut spec =
                streamflow_transcoder::testmedia::SegmentSpec::new(640, 360, 30, opts.clip_secs);
            spec.source = "testsrc2".into();
            let path = clip.clone();
            tokio::task::spawn_blocking(move || {
                streamflow_transcoder::testmedia::generate_segment(&spec, &path)
            })
            .await
            .step("clip")?
            .step("generating the clip")?;
            progress(&format!(
                "[demo] clip: {} s of 640x360 at 30 fps (lavfi testsrc2 + a tone), {}",
                opts.clip_secs,
                clip.display()
            ));
            clip
        }
    };
    let names: BTreeMap<Address, &str> = orchs
        .iter()
        .map(|(o, _)| (o.key.address(), o.name))
        .collect();
    let cheater = orchs
        .iter()
        .find(|(o, _)| o.dishonest)
        .map(|(o, _)| o.key.address())
        .unwrap_or_default();
    // A fixed HLS address, so that `--keep-running` serves the output at the URL shown while
    // streaming.
    let http = if opts.http.port() == 0 {
        SocketAddr::new(opts.http.ip(), free_port()?)
    } else {
        opts.http
    };
    let mut passes: Vec<Pass> = Vec::new();
    let mut challenge = None;
    for n in 1..=MAX_PASSES {
        let out_dir = if n == 1 {
            dir.join("broadcast")
        } else {
            dir.join(format!("broadcast-pass{n}"))
        };
        let mut stream = node(&["broadcaster"]);
        chain_args(&mut stream);
        let evidence_port = free_port()?;
        stream
            .arg("stream")
            .arg("--input")
            .arg(&clip)
            .arg("--out-dir")
            .arg(&out_dir)
            .arg("--http")
            .arg(http.to_string())
            .arg("--profiles")
            .arg(&opts.profiles)
            .arg("--verify-rate")
            .arg(opts.verify_rate.to_string())
            .arg("--top-up")
            .arg("0.5eth")
            .arg("--challenge")
            .arg(format!("127.0.0.1:{evidence_port}"));
        progress(&format!(
            "[demo] streaming{} through the registry's orchestrators: {} renditions, {:.0} % of segments checked in full; faults challenged by the broadcaster",
            if n > 1 {
                format!(" again (pass {n})")
            } else {
                String::new()
            },
            opts.profiles,
            opts.verify_rate * 100.0
        ));
        let pass = stream_pass(stream, procs, &logs, &out_dir, &names, n).await?;
        let found = pass
            .challenges
            .iter()
            .find(|c| c.orchestrator == cheater)
            .cloned();
        let cheater_stats = pass.orchestrator(cheater);
        let faults_on_cheater = cheater_stats.faults;
        passes.push(pass);
        if let Some(c) = found {
            challenge = Some(c);
            break;
        }
        if faults_on_cheater > 0 {
            return fail(
                "challenge",
                "the broadcaster caught the cheater but did not open a challenge; see logs/broadcaster.log",
            );
        }
        let why = if cheater_stats.segments > 0 {
            format!(
                "it did {} segment(s), none drawn for the full check",
                cheater_stats.segments
            )
        } else {
            format!(
                "it did no segment ({} failed attempt(s))",
                cheater_stats.failures
            )
        };
        progress(&format!(
            "[demo] pass {n}: the cheater was not caught ({why}); the broadcaster streams the clip again"
        ));
    }
    let Some(last) = passes.last() else {
        return fail("stream", "no stream ran");
    };
    let out_dir = last.out_dir.clone();
    let summary = last.summary.clone();
    let last_url = last.url.clone();
    if let Some(c) = &mut challenge {
        c.challenger = bkey.address();
    }
    if challenge.is_none() {
        return fail(
            "challenge",
            format!("the cheater was not caught in {MAX_PASSES} streams"),
        );
    }

    // --- redemptions
    let mut won = BTreeMap::new();
    for (o, _) in &orchs {
        won.insert(
            o.key.address(),
            metric(
                &client,
                &o.url(),
                "streamflow_orchestrator_tickets_won_total",
            )
            .await
            .unwrap_or(0),
        );
    }
    let total_won: u64 = won.values().sum();
    progress(&format!(
        "[demo] waiting for the keepers to redeem {total_won} winning ticket(s)"
    ));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut redeemed = redemptions(&gov, &d, start_block).await?;
    while (redeemed.values().map(|(n, _)| n).sum::<u64>()) < total_won && Instant::now() < deadline
    {
        // Keepers wait for confirmations: give them blocks.
        mine(&gov, 1).await?;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        redeemed = redemptions(&gov, &d, start_block).await?;
    }
    let slashes = slashes(&gov, &d, start_block).await?;

    // --- the report
    let bm = BondingManager::new(d.bonding_manager, &gov);
    let mut reports = Vec::new();
    for (o, _) in &orchs {
        let a = o.key.address();
        // Every pass paid this orchestrator: its segments and tickets add up.
        let (segments, tickets) = passes.iter().fold((0, 0), |(s, t), p| {
            let o = p.orchestrator(a);
            (s + o.segments, t + o.tickets)
        });
        let balance = gov.get_balance(a).await.step("balance")?;
        let (n, paid) = redeemed.get(&a).copied().unwrap_or((0, U256::ZERO));
        let stake_after = bm
            .delegatorInfo(a)
            .call()
            .await
            .map(|i| i.stake)
            .unwrap_or_default();
        reports.push(OrchestratorReport {
            name: o.name.into(),
            address: a,
            uri: o.url(),
            pool: o.pool.into(),
            dishonest: o.dishonest,
            segments,
            tickets_sent: tickets,
            tickets_won: won.get(&a).copied().unwrap_or(0),
            tickets_redeemed: n,
            paid_wei: paid,
            gas_wei: o.balance_before.saturating_sub(balance),
            slashed_lpt: slashes.get(&a).copied().unwrap_or_default(),
            stake_after,
        });
    }
    let f = |k: &str| summary.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let u = |k: &str| summary.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let hls_dir = out_dir.join("hls");
    Ok(Report {
        segments_in: u("segmentsIn"),
        segments_out: u("segmentsOut"),
        renditions: u("renditions"),
        pixels: u("pixels"),
        media_secs: f("mediaSecs"),
        stream_secs: f("wallSecs"),
        sampled: u("sampled"),
        faults: u("faults"),
        failovers: u("failovers"),
        tickets_sent: passes.iter().map(|p| p.orchestrators_tickets()).sum(),
        tickets_won: total_won,
        tickets_redeemed: reports.iter().map(|r| r.tickets_redeemed).sum(),
        orchestrators: reports,
        challenge,
        master_playlist: hls_dir.join("index.m3u8"),
        hls_dir,
        url: last_url,
        passes: passes.len() as u32,
        committee_size: members.len(),
        total_secs: started.elapsed().as_secs_f64(),
    })
}

/// Streams before the demo gives up on catching the cheater (see [`run`]).
pub const MAX_PASSES: u32 = 3;

/// One stream of the clip by the broadcaster process.
struct Pass {
    out_dir: PathBuf,
    url: Option<String>,
    summary: serde_json::Value,
    challenges: Vec<ChallengeReport>,
}

/// An orchestrator's share of a pass, from the broadcaster's summary.
#[derive(Debug, Clone, Copy, Default)]
struct PassStats {
    segments: u64,
    tickets: u64,
    failures: u64,
    faults: u64,
}

impl Pass {
    fn orchestrator(&self, a: Address) -> PassStats {
        let per = self.summary.get("orchestrators");
        let s = per.and_then(|p| {
            p.get(a.to_string())
                .or_else(|| p.get(a.to_string().to_lowercase()))
        });
        let num = |k: &str| {
            s.and_then(|s| s.get(k))
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        };
        PassStats {
            segments: num("segments"),
            tickets: num("tickets"),
            failures: num("failures"),
            faults: num("faults"),
        }
    }

    fn orchestrators_tickets(&self) -> u64 {
        self.summary
            .get("tickets")
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    }
}

/// Runs one broadcaster stream process to its end (its challenges settled), showing its progress.
async fn stream_pass(
    mut stream: Command,
    procs: &mut Procs,
    logs: &Path,
    out_dir: &Path,
    names: &BTreeMap<Address, &str>,
    n: u32,
) -> Result<Pass> {
    let log = if n == 1 {
        logs.join("broadcaster.log")
    } else {
        logs.join(format!("broadcaster-pass{n}.log"))
    };
    let blog = std::fs::File::create(&log).step("log file")?;
    stream
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(blog)
        .kill_on_drop(true);
    let mut child = stream.spawn().step("starting the broadcaster")?;
    let stdout = child.stdout.take();
    procs.push("broadcaster", child);
    let (url, summary) = follow_stream(stdout, &out_dir.join("receipts.jsonl"), names).await?;
    // The broadcaster exits after its summary.
    if let Some((_, mut c)) = procs.children.pop() {
        let _ = tokio::time::timeout(Duration::from_secs(10), c.wait()).await;
    }
    let Some(summary) = summary else {
        return fail(
            "stream",
            format!(
                "the broadcaster ended without a summary; see {}",
                log.display()
            ),
        );
    };
    if summary.get("complete").and_then(|c| c.as_bool()) != Some(true) {
        let why = summary
            .get("stopped")
            .and_then(|c| c.as_str())
            .unwrap_or("unknown");
        return fail(
            "stream",
            format!(
                "the broadcaster stopped early: {why}; see {}",
                log.display()
            ),
        );
    }
    let challenges = summary
        .get("challengeOutcomes")
        .and_then(|c| c.as_array())
        .map(|a| a.iter().filter_map(challenge_report).collect())
        .unwrap_or_default();
    Ok(Pass {
        out_dir: out_dir.to_owned(),
        url,
        summary,
        challenges,
    })
}

/// A challenge from the broadcaster's summary (`challengeOutcomes`).
fn challenge_report(v: &serde_json::Value) -> Option<ChallengeReport> {
    let u256 = |v: Option<&serde_json::Value>| {
        v.and_then(|x| x.as_str())
            .and_then(|x| x.parse::<U256>().ok())
            .unwrap_or_default()
    };
    let outcome: Option<Outcome> = v
        .get("outcome")
        .and_then(|o| serde_json::from_value(o.clone()).ok());
    let reasons: Vec<String> = v
        .get("reasons")
        .and_then(|r| serde_json::from_value(r.clone()).ok())
        .unwrap_or_default();
    let sampled = v.get("sampled").and_then(|s| s.as_bool()).unwrap_or(false);
    Some(ChallengeReport {
        challenge_id: u256(v.get("challengeId")),
        challenger: Address::ZERO,
        orchestrator: v.get("orchestrator")?.as_str()?.parse().ok()?,
        seq_no: v.get("seqNo").and_then(|s| s.as_u64()).unwrap_or(0),
        caught_by: caught_by(sampled, &reasons).into(),
        reasons,
        status: outcome.as_ref().map_or(Status::Pending, |o| o.status),
        slashed: outcome.as_ref().map_or(U256::ZERO, |o| o.slashed),
        finder_fee: outcome.as_ref().map_or(U256::ZERO, |o| o.finder_fee),
        bond: u256(v.get("bond")),
        bond_refunded: outcome.as_ref().map_or(U256::ZERO, |o| o.bond_refunded),
        collected: u256(v.get("collectedWei")),
        error: v.get("error").and_then(|e| e.as_str()).map(str::to_owned),
        secs: v.get("secs").and_then(|s| s.as_f64()).unwrap_or(0.0),
    })
}

/// Which of the broadcaster's checks a fault's reasons come from: the probe-level checks every
/// segment gets, or the full check (decode, exact pixels, comparison with the source) that only
/// sampled segments get.
pub fn caught_by(sampled: bool, reasons: &[String]) -> &'static str {
    // Phrases of the receipt and probe checks (streamflow-node's broadcaster::checks and the
    // transcoder's probe stage).
    const CHEAP: [&str; 15] = [
        "receipt",
        "renditions returned",
        "differs from what",
        "is not profile",
        "codec ",
        "wrong resolution",
        "claimed resolution",
        "frame rate",
        "dropped frames",
        "duplicated frames",
        "duration ",
        "claimed ",
        "IDR",
        "unreadable",
        "must be skipped",
    ];
    let cheap = reasons.iter().any(|r| CHEAP.iter().any(|c| r.contains(c)));
    if sampled && !cheap {
        "the full check (segment drawn for the sample)"
    } else {
        "the cheap checks (every segment)"
    }
}

fn read_records(path: &Path) -> Vec<ReceiptRecord> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(|l| l.ok())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

/// Prints a line per segment answer the broadcaster keeps, until it prints its summary.
async fn follow_stream(
    stdout: Option<tokio::process::ChildStdout>,
    receipts: &Path,
    names: &BTreeMap<Address, &str>,
) -> Result<(Option<String>, Option<serde_json::Value>)> {
    let Some(stdout) = stdout else {
        return fail("stream", "no stdout");
    };
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut url = None;
    let mut shown = 0usize;
    let show = |shown: &mut usize| {
        let records = read_records(receipts);
        for r in records.iter().skip(*shown) {
            let who = names.get(&r.orchestrator).copied().unwrap_or("?");
            let rends: Vec<&str> = r.renditions.iter().map(|x| x.name.as_str()).collect();
            let pixels: u64 = r.renditions.iter().map(|x| x.pixels).sum();
            match &r.state {
                ReceiptState::Accepted => progress(&format!(
                    "  segment {:>3}  ok     {who}  {}  {:.1} Mpx{}",
                    r.seq_no,
                    rends.join(","),
                    pixels as f64 / 1e6,
                    if r.sampled { "  (checked in full)" } else { "" }
                )),
                ReceiptState::ChallengePending { reasons } => progress(&format!(
                    "  segment {:>3}  FAULT  {who}  caught by {}: {}  -> receipt kept, segment sent elsewhere",
                    r.seq_no,
                    caught_by(r.sampled, reasons),
                    reasons.join("; ")
                )),
                ReceiptState::Challenged { challenge_id, .. } => progress(&format!(
                    "  segment {:>3}  CHALLENGED  the broadcaster opened challenge #{challenge_id} against {who} on the FaultVerifier, serves the evidence and waits for the committee's verdict",
                    r.seq_no,
                )),
            }
        }
        *shown = records.len().max(*shown);
    };
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let line = match line {
                    Ok(Some(l)) => l,
                    Ok(None) | Err(_) => { show(&mut shown); return Ok((url, None)); }
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                match v.get("event").and_then(|e| e.as_str()) {
                    Some("serving") => {
                        let u = v.get("url").and_then(|u| u.as_str()).unwrap_or_default().to_owned();
                        progress(&format!("[demo] HLS output served at {u}/index.m3u8 while the stream runs"));
                        url = Some(u);
                    }
                    Some("summary") => {
                        show(&mut shown);
                        return Ok((url, v.get("summary").cloned()));
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => show(&mut shown),
        }
    }
}

/// Redeemed tickets per recipient since `from`: count and face value.
async fn redemptions(
    p: &DynProvider,
    d: &Deployment,
    from: u64,
) -> Result<BTreeMap<Address, (u64, U256)>> {
    let filter = Filter::new()
        .address(d.ticket_broker)
        .event_signature(TicketBroker::TicketRedeemed::SIGNATURE_HASH)
        .from_block(from);
    let logs = p.get_logs(&filter).await.step("TicketRedeemed logs")?;
    let mut out: BTreeMap<Address, (u64, U256)> = BTreeMap::new();
    for log in logs {
        if let Ok(e) = log.log_decode::<TicketBroker::TicketRedeemed>() {
            let e = e.inner.data;
            let entry = out.entry(e.recipient).or_default();
            entry.0 += 1;
            entry.1 += e.faceValue;
        }
    }
    Ok(out)
}

/// LPT slashed per orchestrator since `from`.
async fn slashes(p: &DynProvider, d: &Deployment, from: u64) -> Result<BTreeMap<Address, U256>> {
    let filter = Filter::new()
        .address(d.bonding_manager)
        .event_signature(BondingManager::Slashed::SIGNATURE_HASH)
        .from_block(from);
    let logs = p.get_logs(&filter).await.step("Slashed logs")?;
    let mut out: BTreeMap<Address, U256> = BTreeMap::new();
    for log in logs {
        if let Ok(e) = log.log_decode::<BondingManager::Slashed>() {
            let e = e.inner.data;
            *out.entry(e.orchestrator).or_default() += e.penalty;
        }
    }
    Ok(out)
}

/// Checks the HLS output: a master playlist naming every rendition, each media playlist closed
/// (`#EXT-X-ENDLIST`) with `segments` entries, and every segment probing as H.264 video with frames.
/// Returns the number of segment files checked.
pub fn check_output(hls_dir: &Path, segments: u64) -> Result<u64> {
    let master = std::fs::read_to_string(hls_dir.join("index.m3u8")).step("master playlist")?;
    let media: Vec<&str> = master
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    if media.is_empty() {
        return fail("output", "the master playlist names no rendition");
    }
    let limits = streamflow_transcoder::Limits::default();
    let mut checked = 0;
    for m in media {
        let path = hls_dir.join(m);
        let text = std::fs::read_to_string(&path).step("media playlist")?;
        if !text.contains("#EXT-X-ENDLIST") {
            return fail("output", format!("{} is not closed", path.display()));
        }
        let dir = path.parent().unwrap_or(hls_dir);
        let segs: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        if segs.len() as u64 != segments {
            return fail(
                "output",
                format!(
                    "{} lists {} segments, not {segments}",
                    path.display(),
                    segs.len()
                ),
            );
        }
        for s in segs {
            let info = streamflow_transcoder::probe::probe(&dir.join(s), &limits)
                .step(&format!("probing {s}"))?;
            if info.codec != "h264" || info.frames == 0 {
                return fail(
                    "output",
                    format!("{s}: {} with {} frames", info.codec, info.frames),
                );
            }
            checked += 1;
        }
    }
    Ok(checked)
}
