//! Shared helpers of the broadcaster's integration tests: a devnet, key files, the real binary.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::contracts::ServiceRegistry;
use streamflow_bindings::devnet::{self, Devnet};

/// The `streamflow-node` binary built for the tests.
pub fn node_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_streamflow-node"))
}

/// Writes `key` to a mode-600 key file in `dir`.
pub fn key_file(dir: &Path, name: &str, key: &PrivateKeySigner) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("0x{}\n", alloy::hex::encode(key.to_bytes()))).expect("key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// A devnet and a provider on it.
pub struct Chain {
    pub net: Devnet,
    pub provider: DynProvider,
}

impl Chain {
    pub fn start(round_length: u64) -> Self {
        let net = Devnet::start(round_length).expect("anvil with the protocol deployed");
        let provider = net.provider();
        Self { net, provider }
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        self.net.key(i)
    }

    pub fn rpc(&self) -> String {
        self.net.anvil.endpoint()
    }

    pub fn deployment_file(&self) -> &Path {
        self.net.file.path()
    }

    pub async fn mine(&self, blocks: u64) {
        devnet::mine(&self.provider, blocks)
            .await
            .expect("anvil_mine");
    }

    pub async fn sender(&self, who: Address) -> (U256, U256, U256) {
        let s = devnet::sender_funds(&self.provider, &self.net.deployment, who)
            .await
            .expect("getSender");
        (s.deposit, s.reserve, s.withdraw_round)
    }

    pub async fn balance(&self, who: Address) -> U256 {
        self.provider.get_balance(who).await.expect("balance")
    }

    /// Runs `streamflow-node broadcaster <args>` against this chain with `key` (if any).
    /// Dev account `index` as a broadcaster: its key written to `dir/bcast.key` and funded through
    /// the real binary's `fund` with `fund_args` (e.g. `["--deposit", "1eth"]`).
    pub fn funded_broadcaster(
        &self,
        dir: &Path,
        index: usize,
        fund_args: &[&str],
    ) -> (PrivateKeySigner, PathBuf) {
        let me = self.key(index);
        let key = key_file(dir, "bcast.key", &me);
        let mut args = vec!["fund"];
        args.extend_from_slice(fund_args);
        let out = self.broadcaster(Some(&key), &args);
        assert!(out.status.success(), "fund: {}", stderr(&out));
        (me, key)
    }

    pub fn broadcaster(&self, key: Option<&Path>, args: &[&str]) -> Output {
        // No config file (the default path doesn't exist in the temp dir): everything from flags.
        let mut c = Command::new(node_bin());
        c.arg("broadcaster")
            .arg("--rpc-url")
            .arg(self.rpc())
            .arg("--deployment")
            .arg(self.deployment_file())
            .env_remove("STREAMFLOW_BROADCASTER_CONFIG")
            .env_remove("STREAMFLOW_BROADCASTER_KEY_FILE")
            .current_dir(std::env::temp_dir());
        if let Some(k) = key {
            c.arg("--key-file").arg(k);
        }
        c.args(args).output().expect("run streamflow-node")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn b256(s: &str) -> B256 {
    s.parse().expect("b256")
}

/// The service every test streams.
pub const SERVICE: &str = "h264-abr";

/// A free loopback port (bound then released: a small race, fine on a test machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Chain {
    /// A provider that signs as governance.
    pub fn governance(&self) -> DynProvider {
        self.net.provider_as(&self.net.governance)
    }

    /// Governance lists `SERVICE` as known (no verifier).
    pub async fn know_service(&self) {
        let reg = ServiceRegistry::new(self.net.deployment.service_registry, self.governance());
        let id = streamflow_node::wire::service_id(SERVICE);
        devnet::transact(
            "setKnownService",
            reg.setKnownService(id, Address::ZERO, true),
        )
        .await
        .expect("setKnownService");
    }

    /// Governance sends `lpt` whole LPT to `to`.
    pub async fn give_lpt(&self, to: Address, lpt: u64) {
        let amount = U256::from(lpt) * U256::from(devnet::ETHER);
        devnet::transfer_lpt(&self.governance(), &self.net.deployment, to, amount)
            .await
            .expect("transfer");
    }

    pub async fn round(&self) -> u64 {
        devnet::current_round(&self.provider, &self.net.deployment)
            .await
            .expect("round")
    }

    /// Mines into the next round and initializes it.
    pub async fn next_round(&self) {
        devnet::next_round(&self.governance(), &self.net.deployment)
            .await
            .expect("initializeRound");
    }

    /// Writes an orchestrator's config (key `key_index`, listening on a free port, region
    /// `global`, `SERVICE` at `price` wei per pixel) plus `extra` TOML, and returns (config, URL).
    pub fn orchestrator_config(
        &self,
        dir: &Path,
        key_index: usize,
        price: &str,
        extra: &str,
    ) -> (PathBuf, String) {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let key = key_file(dir, &format!("orch{key_index}.key"), &self.key(key_index));
        let data = dir.join(format!("orch{key_index}"));
        let text = format!(
            "rpc_url = \"{rpc}\"\ndeployment = \"{dep}\"\nkey_file = \"{key}\"\ndata_dir = \"{data}\"\nlisten = \"127.0.0.1:{port}\"\nservice_uri = \"{url}\"\nregions = [\"global\"]\nx264_preset = \"ultrafast\"\nreward = false\n{extra}\n[[services]]\nname = \"{SERVICE}\"\nprice_wei_per_unit = \"{price}\"\n\n[pool]\nlocal_slots = 1\n",
            rpc = self.rpc(),
            dep = self.deployment_file().display(),
            key = key.display(),
            data = data.display(),
        );
        let path = dir.join(format!("orch{key_index}.toml"));
        std::fs::write(&path, text).expect("write config");
        (path, url)
    }

    /// Bonds 2000 LPT and registers the orchestrator of `config` (key `key_index`).
    pub async fn register(&self, config: &Path, key_index: usize) {
        self.give_lpt(self.key(key_index).address(), 2000).await;
        let out = Command::new(node_bin())
            .args(["orchestrator", "--config"])
            .arg(config)
            .args([
                "register",
                "--bond",
                "2000",
                "--reward-cut",
                "0",
                "--fee-share",
                "0",
            ])
            .output()
            .expect("run register");
        assert!(out.status.success(), "register: {}", stderr(&out));
    }
}

/// A running `streamflow-node orchestrator run`; killed when dropped.
pub struct Orchestrator {
    pub child: Child,
    pub url: String,
    pub address: Address,
}

impl Orchestrator {
    /// Starts it and waits until it says it is listening.
    pub fn start(config: &Path, url: &str, address: Address, log: &Path) -> Self {
        let mut child = Command::new(node_bin())
            .args(["--log", "info", "orchestrator", "--config"])
            .arg(config)
            .arg("run")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("spawn orchestrator");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = child.kill();
            panic!(
                "orchestrator did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        Self {
            child,
            url: url.to_owned(),
            address,
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Orchestrator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Makes a `secs`-second 25 fps clip of `w`x`h` with a keyframe every second and AAC audio.
pub fn clip(dir: &Path, w: u32, h: u32, secs: u32) -> PathBuf {
    let path = dir.join(format!("clip-{w}x{h}-{secs}s.mp4"));
    streamflow_transcoder::testmedia::run_ffmpeg(&[
        "-f".to_owned(),
        "lavfi".into(),
        "-i".into(),
        format!("testsrc2=size={w}x{h}:rate=25"),
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        "sine=frequency=440:sample_rate=48000".into(),
        "-t".into(),
        secs.to_string(),
        "-c:v".into(),
        "libx264".into(),
        "-preset".into(),
        "ultrafast".into(),
        "-g".into(),
        "25".into(),
        "-pix_fmt".into(),
        "yuv420p".into(),
        "-c:a".into(),
        "aac".into(),
        "-shortest".into(),
        path.display().to_string(),
    ])
    .expect("ffmpeg makes the clip");
    path
}

/// A broadcaster run: stdout's JSON events and the exit status.
pub struct StreamRun {
    pub ok: bool,
    pub summary: serde_json::Value,
    pub stderr: String,
}

/// Spawns `streamflow-node broadcaster ... stream <args>`.
pub fn spawn_stream(chain: &Chain, key: &Path, args: &[&str], log: &Path) -> Child {
    Command::new(node_bin())
        .args([
            "--log",
            "info,streamflow_node=debug",
            "broadcaster",
            "--rpc-url",
        ])
        .arg(chain.rpc())
        .arg("--deployment")
        .arg(chain.deployment_file())
        .arg("--key-file")
        .arg(key)
        .arg("stream")
        .args(args)
        .env_remove("STREAMFLOW_BROADCASTER_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn broadcaster")
}

/// [`finish_stream`] off the async runtime, with the tests' ten-minute limit.
pub async fn wait_stream(child: Child, log: PathBuf) -> StreamRun {
    tokio::task::spawn_blocking(move || finish_stream(child, &log, Duration::from_secs(600)))
        .await
        .expect("join")
}

/// Waits (at most `timeout`) for a spawned stream to end and reads its summary.
pub fn finish_stream(mut child: Child, log: &Path, timeout: Duration) -> StreamRun {
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "stream did not end in {timeout:?}: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        use std::io::Read;
        let _ = o.read_to_string(&mut out);
    }
    let summary = out
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "summary")
        .map(|v| v["summary"].clone())
        .unwrap_or(serde_json::Value::Null);
    StreamRun {
        ok: status.success(),
        summary,
        stderr: std::fs::read_to_string(log).unwrap_or_default(),
    }
}

/// Checks an HLS folder: the master lists `renditions`, each media playlist is closed and lists
/// `segments` segments numbered 0.., and every segment decodes with FFmpeg. Returns the durations.
pub fn check_hls(hls: &Path, renditions: &[&str], segments: usize) -> Vec<f64> {
    let master = std::fs::read_to_string(hls.join("index.m3u8")).expect("master playlist");
    let mut durations = Vec::new();
    for r in renditions {
        assert!(master.contains(&format!("{r}/index.m3u8")), "{master}");
        let media =
            std::fs::read_to_string(hls.join(r).join("index.m3u8")).expect("media playlist");
        assert!(media.trim_end().ends_with("#EXT-X-ENDLIST"), "{media}");
        let segs: Vec<&str> = media.lines().filter(|l| l.ends_with(".ts")).collect();
        let want: Vec<String> = (0..segments).map(|i| format!("seg-{i:06}.ts")).collect();
        assert_eq!(segs, want, "{r}: every segment, in order, none missing");
        durations = media
            .lines()
            .filter_map(|l| l.strip_prefix("#EXTINF:"))
            .map(|d| d.trim_end_matches(',').parse::<f64>().expect("duration"))
            .collect();
        for s in segs {
            let p = hls.join(r).join(s);
            streamflow_transcoder::testmedia::run_ffmpeg(&[
                "-v".to_owned(),
                "error".into(),
                "-xerror".into(),
                "-i".into(),
                p.display().to_string(),
                "-f".into(),
                "null".into(),
                "-".into(),
            ])
            .unwrap_or_else(|e| panic!("{} does not decode: {e}", p.display()));
        }
    }
    durations
}
