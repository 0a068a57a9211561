//! Test helpers of the pool suites: a bare axum server mounting a pool's worker routes, real
//! `streamflow-node transcoder` processes, secret files, generated segments.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use streamflow_node::pool::{Pool, PoolOptions, TranscodeJob, Trust, WorkerCredential};
use streamflow_transcoder::Profile;
use streamflow_transcoder::testmedia::{SegmentSpec, generate_segment};
use tokio::process::{Child, Command};

/// The worker binary built with this package.
pub const NODE_BIN: &str = env!("CARGO_BIN_EXE_streamflow-node");

/// A pool served on a random loopback port, stopped on drop.
pub struct Orch {
    pub pool: Pool,
    pub url: String,
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Orch {
    pub async fn start(options: PoolOptions) -> Orch {
        streamflow_transcoder::quiet_ffmpeg(false);
        let pool = Pool::new(options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = pool.worker_router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Orch {
            pool,
            url: format!("http://{addr}"),
            addr,
            stop: Some(tx),
        }
    }

    /// Remote workers registered now.
    pub fn remote_workers(&self) -> Vec<streamflow_node::pool::WorkerStatus> {
        self.pool
            .workers()
            .into_iter()
            .filter(|w| w.id != "local")
            .collect()
    }
}

impl Drop for Orch {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Pool options for tests: no local slot, quick heartbeats.
pub fn options(creds: Vec<WorkerCredential>) -> PoolOptions {
    PoolOptions {
        local_slots: 0,
        workers: creds,
        spot_check: 1.0,
        heartbeat: Duration::from_millis(400),
        worker_timeout: Duration::from_millis(3000),
        task_timeout: Duration::from_secs(120),
        queue_timeout: Duration::from_secs(120),
        poll_wait: Duration::from_secs(5),
        ..PoolOptions::default()
    }
}

pub fn cred(name: &str, secret: &str, trust: Trust) -> WorkerCredential {
    WorkerCredential {
        name: name.into(),
        secret: secret.into(),
        trust,
    }
}

/// Writes `secret` to `dir/name` with mode 600.
pub fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).expect("write secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// A running worker process (killed on drop), its log in `log`.
pub struct WorkerProc {
    pub child: Child,
    pub log: PathBuf,
}

impl WorkerProc {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the process to exit by itself; its status code.
    pub async fn exit_code(&mut self, within: Duration) -> Option<i32> {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(s)) => s.code(),
            _ => None,
        }
    }
}

/// Starts `streamflow-node transcoder` against `url` (`misbehave` sets the test-only option and
/// the variable allowing it).
pub fn spawn_worker(
    dir: &Path,
    url: &str,
    secret: &Path,
    name: &str,
    slots: u32,
    misbehave: Option<&str>,
) -> WorkerProc {
    let log = dir.join(format!("{name}-{}.log", rand_suffix()));
    let file = std::fs::File::create(&log).expect("log file");
    let mut cmd = Command::new(NODE_BIN);
    cmd.args([
        "--log",
        "info,streamflow_node=debug",
        "transcoder",
        "--orchestrator",
        url,
    ])
    .arg("--secret-file")
    .arg(secret)
    .args(["--slots", &slots.to_string(), "--name", name])
    .env_remove("STREAMFLOW_ALLOW_MISBEHAVIOUR")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(file)
    .kill_on_drop(true);
    if let Some(m) = misbehave {
        cmd.args(["--misbehave", m])
            .env("STREAMFLOW_ALLOW_MISBEHAVIOUR", "1");
    }
    WorkerProc {
        child: cmd.spawn().expect("spawn streamflow-node transcoder"),
        log,
    }
}

fn rand_suffix() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Polls `cond` every 50 ms until it holds or `within` passes.
pub async fn wait_until(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Awaits `f` with a timeout, failing the test when it passes.
pub async fn within<T>(limit: Duration, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?}: {what}"))
}

/// A real MPEG-TS segment: 640x360, 25 fps, with audio.
pub fn segment(dir: &Path, secs: f64) -> Arc<Vec<u8>> {
    let path = dir.join(format!("src-{}.ts", rand_suffix()));
    generate_segment(&SegmentSpec::new(640, 360, 25, secs), &path).expect("ffmpeg makes a segment");
    Arc::new(std::fs::read(&path).expect("read segment"))
}

/// The ladder the tests ask for.
pub fn ladder() -> Vec<Profile> {
    vec![
        Profile::preset("360p").expect("preset"),
        Profile::preset("240p").expect("preset"),
    ]
}

pub fn job(segment: &Arc<Vec<u8>>) -> TranscodeJob {
    TranscodeJob {
        segment: segment.clone(),
        profiles: ladder(),
    }
}

/// Checks each rendition with a real probe: the claimed size and frames, pixels = w*h*frames.
pub fn assert_renditions_real(dir: &Path, out: &streamflow_node::pool::TranscodeOutput) {
    assert_eq!(out.renditions.len(), 2, "both rungs of the ladder");
    for r in &out.renditions {
        let path = dir.join(format!("check-{}-{}.ts", r.report.name, rand_suffix()));
        std::fs::write(&path, &r.data).expect("write rendition");
        let p = streamflow_transcoder::probe::probe(&path, &Default::default()).expect("probe");
        assert_eq!((p.width, p.height), (r.report.width, r.report.height));
        assert_eq!(p.frames, r.report.frames, "{}", r.report.name);
        assert_eq!(
            r.report.pixels,
            u64::from(p.width) * u64::from(p.height) * p.frames
        );
        assert_eq!(r.data.len() as u64, r.report.bytes);
    }
}
