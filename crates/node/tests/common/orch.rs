//! Test harness for the orchestrator: a real anvil with the protocol deployed, the orchestrator
//! registered by the real `streamflow-node orchestrator register` command, the real
//! `streamflow-node orchestrator run` process, funded broadcasters signing real tickets, segments
//! made by FFmpeg.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::DynProvider;
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::{RoundsManager, ServiceRegistry};
use streamflow_bindings::devnet::{self, Devnet};
use streamflow_keeper::TicketParams;
use streamflow_node::client::OrchestratorClient;
use streamflow_node::wire::{self, Payment, SegmentJob};
use streamflow_protocol::LocalSigner;
use streamflow_protocol::ticket::{SignedTicket, Ticket, broker_domain};
use streamflow_transcoder::Profile;

pub use streamflow_bindings::devnet::ETHER;
/// The expected value per ticket the test orchestrator asks (and, with a face value multiplier of
/// 1, the face value: every ticket wins).
pub const TICKET_EV: u128 = 1_000_000_000_000_000;
pub const SERVICE: &str = "h264-abr";

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_streamflow-node"))
}

/// A chain with the protocol deployed, the service known, and the orchestrator's files.
pub struct Net {
    pub devnet: Devnet,
    pub orch: PrivateKeySigner,
    pub provider: DynProvider,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Net {
    /// Deploys with `round_length` blocks per round, gives the orchestrator 2,000 LPT, makes the
    /// service known, writes the key file (mode 600) and the config.
    pub async fn start(round_length: u64) -> Self {
        let devnet = tokio::task::spawn_blocking(move || Devnet::start(round_length))
            .await
            .unwrap()
            .expect("anvil with the protocol deployed");
        let orch = devnet.key(1);
        let provider = devnet.provider();
        let gov = devnet.provider_as(&devnet.governance);
        let d = &devnet.deployment;
        let stake = U256::from(2_000u64) * U256::from(ETHER);
        devnet::transfer_lpt(&gov, d, orch.address(), stake)
            .await
            .unwrap();
        let registry = ServiceRegistry::new(d.service_registry, &gov);
        let known = registry.setKnownService(wire::service_id(SERVICE), Address::ZERO, true);
        devnet::transact("setKnownService", known).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("orchestrator.key");
        std::fs::write(
            &key_file,
            format!("{:x}\n", devnet.anvil.keys()[1].to_bytes()),
        )
        .unwrap();
        set_mode_600(&key_file);
        let config = dir.path().join("orchestrator.toml");
        std::fs::write(
            &config,
            format!(
                r#"
rpc_url = "{rpc}"
deployment = "{deployment}"
key_file = "{key}"
data_dir = "{data}"
listen = "127.0.0.1:0"
service_uri = "http://127.0.0.1:8935"
regions = ["local"]
max_segment_bytes = 4000000
max_segment_ms = 2500
max_fps = 30
retention_secs = 3600
reward_poll_secs = 1

[[services]]
name = "{SERVICE}"
price_wei_per_unit = "1"
pixels_per_unit = 1000

[keeper]
expected_value_wei = "{TICKET_EV}"
face_value_multiplier = 1
max_cost_bps = 10000
confirmations = 1
poll_ms = 200

[pool]
local_slots = 1
"#,
                rpc = devnet.anvil.endpoint(),
                deployment = devnet.file.path().display(),
                key = key_file.display(),
                data = dir.path().join("data").display(),
            ),
        )
        .unwrap();
        Self {
            devnet,
            orch,
            provider,
            dir,
            config,
        }
    }

    pub fn d(&self) -> &Deployment {
        &self.devnet.deployment
    }

    /// `streamflow-node orchestrator --config <config> <args>`, run to completion.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(bin())
            .arg("orchestrator")
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("STREAMFLOW_LOG", "warn")
            .output()
            .expect("run streamflow-node")
    }

    /// Registers with the real command: bonds 2,000 LPT, cuts, registry entry.
    pub fn register(&self) {
        let out = self.cli(&[
            "register",
            "--bond",
            "2000",
            "--reward-cut",
            "100000",
            "--fee-share",
            "500000",
        ]);
        assert!(
            out.status.success(),
            "register failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let out = self.cli(&["status", "--json"]);
        assert!(
            out.status.success(),
            "status failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("status JSON")
    }

    pub async fn mine(&self, blocks: u64) {
        devnet::mine(&self.provider, blocks).await.unwrap();
    }

    pub async fn round(&self) -> u64 {
        devnet::current_round(&self.provider, self.d())
            .await
            .unwrap()
    }

    /// Mines to the next round and initializes it (unless someone, e.g. the node, already did).
    pub async fn next_round(&self) {
        devnet::mine_into_next_round(&self.provider, self.d())
            .await
            .unwrap();
        self.initialize_round().await;
    }

    pub async fn initialize_round(&self) {
        let rm = RoundsManager::new(self.d().rounds_manager, &self.provider);
        if rm.currentRoundInitialized().call().await.unwrap() {
            return;
        }
        let gov = self.devnet.provider_as(&self.devnet.governance);
        // The node may initialize it at the same time: a revert here is fine if it is done.
        let _ = devnet::initialize_round(&gov, self.d()).await;
        assert!(
            wait_for(Duration::from_secs(30), || async {
                rm.currentRoundInitialized().call().await.unwrap_or(false)
            })
            .await
        );
    }

    /// A broadcaster (anvil dev account `index`), funded with `deposit` and `reserve` wei.
    pub async fn sender(&self, index: usize, deposit: u128, reserve: u128) -> Sender {
        let key = self.devnet.key(index);
        let as_key = self.devnet.provider_as(&key);
        devnet::fund_sender(&as_key, self.d(), U256::from(deposit), U256::from(reserve))
            .await
            .unwrap();
        Sender {
            local: LocalSigner::from_alloy(&key).unwrap(),
            key,
            nonce: AtomicU32::new(1),
            chain_id: self.d().chain_id,
            broker: self.d().ticket_broker,
        }
    }

    pub async fn is_used(&self, ticket_hash: B256) -> bool {
        devnet::is_used_ticket(&self.provider, self.d(), ticket_hash)
            .await
            .unwrap()
    }
}

#[cfg(unix)]
fn set_mode_600(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}
#[cfg(not(unix))]
fn set_mode_600(_: &Path) {}

/// A broadcaster that signs tickets.
pub struct Sender {
    pub key: PrivateKeySigner,
    pub local: LocalSigner,
    nonce: AtomicU32,
    chain_id: u64,
    broker: Address,
}

impl Sender {
    pub fn address(&self) -> Address {
        self.local.address()
    }

    /// A ticket on `p` (the quoted parameters), signed, with a fresh nonce; its packed bytes and
    /// its hash.
    pub fn ticket(&self, p: &TicketParams) -> (Bytes, B256) {
        self.ticket_with(p, |_| {})
    }

    /// A ticket on `p`, changed by `edit` before signing.
    pub fn ticket_with(&self, p: &TicketParams, edit: impl FnOnce(&mut Ticket)) -> (Bytes, B256) {
        let mut t = Ticket {
            recipient: p.recipient,
            sender: self.address(),
            face_value: u128::try_from(p.face_value).unwrap(),
            win_prob: p.win_prob,
            sender_nonce: self.nonce.fetch_add(1, Ordering::Relaxed),
            recipient_rand_hash: p.recipient_rand_hash,
            creation_round: u32::try_from(p.creation_round).unwrap(),
            creation_round_block_hash: p.creation_round_block_hash,
        };
        edit(&mut t);
        let sep = broker_domain(self.chain_id, self.broker).separator();
        let st = SignedTicket {
            ticket: t,
            recipient_rand: U256::ZERO,
            signature: Bytes::copy_from_slice(&t.sign(&sep, &self.local)),
        };
        (Bytes::from(st.pack()), t.digest(&sep))
    }

    pub fn payment(&self, p: &TicketParams, tickets: Vec<Bytes>) -> Payment {
        Payment {
            sender: self.address(),
            seed: p.seed,
            tickets,
        }
    }
}

/// A running `streamflow-node orchestrator run`; stopped with SIGTERM (then killed) on drop.
pub struct Node {
    child: Child,
    pub url: String,
    pub client: OrchestratorClient,
    http: reqwest::Client,
}

impl Node {
    pub async fn start(net: &Net) -> Self {
        let mut child = Command::new(bin())
            .arg("orchestrator")
            .arg("--config")
            .arg(&net.config)
            .arg("run")
            .env("STREAMFLOW_LOG", "info,streamflow_node=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn streamflow-node");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the node prints its address");
        let client = OrchestratorClient::new(&url).unwrap();
        Self {
            child,
            url,
            client,
            http: reqwest::Client::new(),
        }
    }

    /// The node's Prometheus text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn counter(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        streamflow_node::orchestrator::metrics::sample(
            &text,
            &format!("streamflow_orchestrator_{name}"),
        )
        .unwrap_or(0)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// SIGKILL: the process dies where it stands (no shutdown, nothing flushed by it).
    #[allow(dead_code)]
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `cond` up to `timeout`.
pub async fn wait_for<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// An MPEG-TS segment made by FFmpeg (testsrc2 with audio).
pub fn segment(width: u32, height: u32, fps: u32, secs: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.ts");
    let spec = streamflow_transcoder::testmedia::SegmentSpec::new(width, height, fps, secs);
    streamflow_transcoder::testmedia::generate_segment(&spec, &path).expect("ffmpeg");
    std::fs::read(&path).unwrap()
}

/// Two small rungs: 240p (a 426×240 box) and a 256×144 box.
pub fn ladder() -> Vec<Profile> {
    let mut small = Profile::preset("240p").unwrap();
    small.name = "144p".into();
    small.width = 256;
    small.height = 144;
    small.bitrate = 200_000;
    vec![Profile::preset("240p").unwrap(), small]
}

pub fn job(body: &[u8], seq_no: u64, profiles: Vec<Profile>) -> SegmentJob {
    SegmentJob {
        stream_id: B256::repeat_byte(0x5f),
        seq_no,
        service_id: wire::service_id(SERVICE),
        input_hash: wire::content_hash(body),
        size: body.len() as u64,
        format: wire::FORMAT_MPEGTS.into(),
        profiles,
    }
}
