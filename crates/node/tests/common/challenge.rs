//! The challenge tests' world: a devnet with a committee of verifier processes, a staked
//! orchestrator offering a committee-judged service, and receipts made with the real transcoder.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_arguments
)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::contracts::{IServiceRegistry, ServiceRegistry};
use streamflow_bindings::devnet::{self, Devnet};
use streamflow_node::evidence::{self, EvidenceStore};
use streamflow_node::wire::{SignedReceipt, profile_id, service_id};
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::{
    Rendition, SegmentReceipt, TicketParams, fault_verifier_domain,
};
use streamflow_transcoder::Profile;
use streamflow_transcoder::testmedia::{SegmentSpec, generate_segment, run_ffmpeg};
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};

pub use streamflow_bindings::devnet::ETHER;
/// The service the committee judges in these tests.
pub const SERVICE: &str = "h264-abr-committee";

/// Writes a key file (mode 600) for `key` into `dir`.
pub fn key_file(dir: &Path, name: &str, key: &PrivateKeySigner) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("0x{}", alloy::hex::encode(key.to_bytes()))).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Bonds `stake` LPT of `orch` to itself and registers it for [`SERVICE`] with no verifier of its
/// own (so the service's default, the committee, judges it).
pub async fn stake_and_register(devnet: &Devnet, orch: &PrivateKeySigner, stake: U256) {
    let d = &devnet.deployment;
    let gov = devnet.provider_as(&devnet.governance);
    let o = devnet.provider_as(orch);
    devnet::bond_orchestrator(&gov, &o, orch.address(), d, stake)
        .await
        .unwrap();
    devnet::next_round(&gov, d).await.unwrap();
    let services = vec![IServiceRegistry::Service {
        id: service_id(SERVICE),
        verifier: Address::ZERO,
    }];
    let registry = ServiceRegistry::new(d.service_registry, &o);
    devnet::transact(
        "register",
        registry.register("http://127.0.0.1:1".into(), vec![], services),
    )
    .await
    .unwrap();
}

/// A verifier process (`streamflow-node verifier run`), killed on drop.
pub struct VerifierProcess {
    pub child: Child,
    pub address: Address,
    pub listen: SocketAddr,
    pub log: PathBuf,
}

impl Drop for VerifierProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl VerifierProcess {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Starts one verifier process per key, each knowing the others as peers, and waits until each
/// answers on its ballot box.
pub async fn start_committee(
    devnet: &Devnet,
    members: &[PrivateKeySigner],
    dir: &Path,
) -> Vec<VerifierProcess> {
    let ports: Vec<u16> = members.iter().map(|_| free_port()).collect();
    let mut procs = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let kf = key_file(dir, &format!("member-{i}.key"), m);
        let peers: Vec<String> = ports
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, p)| format!("\"http://127.0.0.1:{p}\""))
            .collect();
        let work = dir.join(format!("member-{i}-work"));
        let config = format!(
            "rpc_url = \"{}\"\ndeployment = \"{}\"\nkey_file = \"{}\"\nlisten = \"127.0.0.1:{}\"\npeers = [{}]\nwork_dir = \"{}\"\npoll_ms = 250\nsubmit_stagger_ms = 1000\nevidence_wait_secs = 8\n",
            devnet.anvil.endpoint(),
            devnet.file.path().display(),
            kf.display(),
            ports[i],
            peers.join(", "),
            work.display(),
        );
        let cfg = dir.join(format!("member-{i}.toml"));
        std::fs::write(&cfg, config).unwrap();
        let log = dir.join(format!("member-{i}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_streamflow-node"))
            .args([
                "--log",
                "info,streamflow_node=debug",
                "verifier",
                "run",
                "--config",
            ])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn streamflow-node verifier");
        procs.push(VerifierProcess {
            child,
            address: m.address(),
            listen: SocketAddr::from(([127, 0, 0, 1], ports[i])),
            log,
        });
    }
    let client = reqwest::Client::new();
    for p in &mut procs {
        let url = format!("http://{}/v1/member", p.listen);
        let ok = wait_until(Duration::from_secs(60), || {
            let client = client.clone();
            let url = url.clone();
            async move {
                client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        if !ok {
            let status = p.child.try_wait();
            panic!(
                "verifier {} did not come up ({status:?}):\n{}",
                p.address,
                p.log_text()
            );
        }
    }
    procs
}

/// Polls `cond` every 200 ms until it holds or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A segment transcoded by the real transcoder, and a tampered copy of its rendition.
pub struct Media {
    pub dir: tempfile::TempDir,
    pub source: Vec<u8>,
    pub profile: Profile,
    pub honest: Vec<u8>,
    pub honest_pixels: u64,
    pub tampered: Vec<u8>,
}

/// A 1 s 720p30 source, its 360p rendition, and that rendition with a white box drawn over it
/// (same size, frames and pixels: only the picture is wrong).
pub fn media() -> Media {
    streamflow_transcoder::quiet_ffmpeg(false);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.ts");
    generate_segment(&SegmentSpec::new(1280, 720, 30, 1.0), &src).unwrap();
    let profile = Profile::preset("360p").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let report = transcode_segment(
        &src,
        std::slice::from_ref(&profile),
        &out,
        &TranscodeOptions::default(),
    )
    .unwrap();
    let r = &report.renditions[0];
    let honest_path = out.join(&r.file);
    let tampered_path = dir.path().join("tampered.ts");
    run_ffmpeg(&[
        "-i",
        &honest_path.display().to_string(),
        "-map",
        "0:v",
        "-map",
        "0:a?",
        "-c:a",
        "copy",
        "-vf",
        "drawbox=x=20:y=20:w=120:h=50:color=white@1:t=fill",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        "800k",
        "-g",
        "60",
        "-f",
        "mpegts",
        &tampered_path.display().to_string(),
    ])
    .unwrap();
    Media {
        source: std::fs::read(&src).unwrap(),
        honest: std::fs::read(&honest_path).unwrap(),
        honest_pixels: r.pixels,
        tampered: std::fs::read(&tampered_path).unwrap(),
        profile,
        dir,
    }
}

/// A receipt for `rendition` of `source`, signed by `orch` under the deployment's FaultVerifier
/// domain, paid by a ticket of `creation_round`.
pub fn signed_receipt(
    devnet: &Devnet,
    orch: &PrivateKeySigner,
    broadcaster: Address,
    seq_no: u64,
    source: &[u8],
    profile: &Profile,
    rendition: &[u8],
    pixels: u64,
    creation_round: u64,
) -> SignedReceipt {
    let receipt = SegmentReceipt {
        broadcaster,
        orchestrator: orch.address(),
        stream_id: keccak256("challenge-test-stream"),
        seq_no: U256::from(seq_no),
        input_hash: keccak256(source),
        service_id: service_id(SERVICE),
        renditions: vec![Rendition {
            profile: profile_id(profile),
            output_hash: keccak256(rendition),
            pixels,
        }],
        ticket: TicketParams {
            face_value: U256::from(ETHER / 100),
            win_prob: U256::MAX,
            sender_nonce: U256::from(seq_no),
            recipient_rand_hash: B256::repeat_byte(7),
            creation_round: U256::from(creation_round),
        },
    };
    let d = &devnet.deployment;
    let sep = fault_verifier_domain(d.chain_id, d.fault_verifier).separator();
    let signer = LocalSigner::from_alloy(orch).unwrap();
    let sig = receipt.sign(&sep, &signer).unwrap();
    SignedReceipt {
        receipt,
        signature: Bytes::copy_from_slice(&sig),
    }
}

/// An evidence server over a fresh store in `dir`, stopped when the sender is dropped.
pub async fn evidence_server(
    dir: &Path,
) -> (EvidenceStore, String, tokio::sync::oneshot::Sender<()>) {
    let store = EvidenceStore::open(dir.join("evidence")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(evidence::serve(store.clone(), listener, async move {
        let _ = rx.await;
    }));
    (store, url, tx)
}
