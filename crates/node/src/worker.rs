//! The transcoder worker role (`streamflow-node transcoder`): a process that knows nothing of the
//! chain. It connects to an orchestrator's pool with a shared secret, announces how many segments it
//! transcodes at once, long-polls for segments, transcodes them with `streamflow-transcoder`, posts
//! the renditions and their accounting back, and sends heartbeats so the orchestrator can tell it is
//! alive. The protocol is [`crate::pool::protocol`].

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use streamflow_transcoder::transcode::TranscodeOptions;
use tokio::task::JoinSet;

use crate::pool::protocol::{
    HEADER_RESULT, HEADER_TASK, RegisterAnswer, RegisterRequest, TaskHeader, TaskResult,
    is_input_fault,
};
use crate::pool::{PoolError, TranscodeJob, transcode_in_tempdir};
use crate::wire::{ApiError, content_hash, decode_header, encode_header};

/// The environment variable that must be `1` for [`Misbehave`] to be accepted.
pub const ALLOW_MISBEHAVIOUR_ENV: &str = "STREAMFLOW_ALLOW_MISBEHAVIOUR";

/// Deliberate misbehaviour, **for tests and demonstrations of the pool's defences only**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Misbehave {
    /// Alter the first rendition's bytes after transcoding (the claim is left as it was).
    Tamper,
    /// Re-encode the first rendition with its picture blurred: same size, frame count, timing and
    /// bitrate as the honest one (it passes every probe-level check), degraded content that only
    /// decoding and comparing with the source shows. Needs the `ffmpeg` command.
    Degrade,
    /// Take segments and never answer them (heartbeats go on).
    Stall,
}

/// Everything a worker runs with.
#[derive(Clone)]
pub struct WorkerConfig {
    /// The orchestrator's base URL, e.g. `http://10.0.0.5:8935`.
    pub orchestrator: String,
    /// The shared secret.
    pub secret: String,
    /// Segments transcoded at once.
    pub slots: u32,
    /// A name for the orchestrator's logs.
    pub name: String,
    /// Transcoder options.
    pub transcode: TranscodeOptions,
    /// Deliberate misbehaviour (tests and demos only).
    pub misbehave: Option<Misbehave>,
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("orchestrator", &self.orchestrator)
            .field("secret", &"<redacted>")
            .field("slots", &self.slots)
            .field("name", &self.name)
            .field("transcode", &self.transcode)
            .field("misbehave", &self.misbehave)
            .finish()
    }
}

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The orchestrator refused the secret (wrong, or dropped for bad output).
    #[error("Unauthorized: the orchestrator refused this worker: {0}")]
    Unauthorized(String),
    /// The orchestrator refused the registration for another reason.
    #[error("registration refused: {0}")]
    Refused(String),
    /// The configuration is wrong.
    #[error("config: {0}")]
    Config(String),
    /// The HTTP client couldn't be built.
    #[error("http client: {0}")]
    Client(#[from] reqwest::Error),
}

/// How a session's loop ended.
enum End {
    /// The orchestrator forgot the session: register again.
    SessionLost(String),
    /// Stop the worker.
    Fatal(WorkerError),
}

#[derive(Clone)]
struct Ctx {
    http: reqwest::Client,
    base: String,
    auth: String,
    config: WorkerConfig,
}

impl Ctx {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Runs a worker until `shutdown` resolves or the orchestrator refuses it for good. On shutdown it
/// leaves the pool (its unfinished segments are reassigned at once).
pub async fn run(
    config: WorkerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WorkerError> {
    if config.slots == 0 {
        return Err(WorkerError::Config("slots must be at least 1".into()));
    }
    let ctx = Ctx {
        http: reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?,
        base: config.orchestrator.trim_end_matches('/').to_owned(),
        auth: format!("Bearer {}", config.secret),
        config,
    };
    if let Some(m) = ctx.config.misbehave {
        tracing::warn!(target: "worker", misbehave = ?m, "MISBEHAVING ON PURPOSE (test mode)");
    }
    tokio::pin!(shutdown);
    loop {
        let session = tokio::select! {
            r = register(&ctx) => r?,
            _ = &mut shutdown => return Ok(()),
        };
        let id = session.worker_id.clone();
        tracing::info!(target: "worker", session = %id, trust = ?session.trust, slots = ctx.config.slots, "registered with the orchestrator");
        let mut loops = JoinSet::new();
        loops.spawn(heartbeats(
            ctx.clone(),
            id.clone(),
            Duration::from_millis(session.heartbeat_ms.max(50)),
        ));
        let poll_timeout = Duration::from_millis(session.poll_wait_ms) + Duration::from_secs(10);
        for _ in 0..ctx.config.slots {
            loops.spawn(slot_loop(ctx.clone(), id.clone(), poll_timeout));
        }
        let end = tokio::select! {
            _ = &mut shutdown => {
                loops.abort_all();
                let _ = ctx
                    .http
                    .post(ctx.url(&format!("/v1/worker/{id}/leave")))
                    .header(reqwest::header::AUTHORIZATION, &ctx.auth)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                tracing::info!(target: "worker", "left the pool");
                return Ok(());
            }
            e = loops.join_next() => e,
        };
        loops.abort_all();
        match end {
            Some(Ok(End::SessionLost(why))) => {
                tracing::warn!(target: "worker", reason = %why, "session lost; registering again");
            }
            Some(Ok(End::Fatal(e))) => return Err(e),
            Some(Err(e)) => {
                tracing::error!(target: "worker", error = %e, "a worker loop died; registering again");
            }
            None => {}
        }
    }
}

/// The message of an [`ApiError`] answer, or the status.
async fn refusal(resp: reqwest::Response) -> String {
    let status = resp.status();
    match resp.json::<ApiError>().await {
        Ok(e) => e.message,
        Err(_) => status.to_string(),
    }
}

/// Registers, retrying while the orchestrator can't be reached.
async fn register(ctx: &Ctx) -> Result<RegisterAnswer, WorkerError> {
    let req = RegisterRequest {
        name: ctx.config.name.clone(),
        slots: ctx.config.slots,
        node_version: env!("CARGO_PKG_VERSION").into(),
    };
    let mut backoff = Duration::from_millis(250);
    loop {
        let sent = ctx
            .http
            .post(ctx.url("/v1/worker/register"))
            .header(reqwest::header::AUTHORIZATION, &ctx.auth)
            .timeout(Duration::from_secs(10))
            .json(&req)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => match r.json::<RegisterAnswer>().await {
                Ok(a) => return Ok(a),
                Err(e) => tracing::warn!(target: "worker", error = %e, "bad registration answer"),
            },
            Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
                return Err(WorkerError::Unauthorized(refusal(r).await));
            }
            Ok(r) if r.status().is_client_error() => {
                return Err(WorkerError::Refused(refusal(r).await));
            }
            Ok(r) => {
                tracing::warn!(target: "worker", status = %r.status(), "registration failed; retrying")
            }
            Err(e) => {
                tracing::warn!(target: "worker", error = %e, "orchestrator unreachable; retrying")
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// What an answer on the session means for the loop.
fn session_status(status: StatusCode) -> Option<End> {
    (status == StatusCode::NOT_FOUND)
        .then(|| End::SessionLost("the orchestrator forgot this session".into()))
}

async fn heartbeats(ctx: Ctx, id: String, every: Duration) -> End {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sent = ctx
            .http
            .post(ctx.url(&format!("/v1/worker/{id}/heartbeat")))
            .header(reqwest::header::AUTHORIZATION, &ctx.auth)
            .timeout(every.max(Duration::from_secs(2)))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {}
            Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
                return End::Fatal(WorkerError::Unauthorized(refusal(r).await));
            }
            Ok(r) => {
                if let Some(end) = session_status(r.status()) {
                    return end;
                }
                tracing::warn!(target: "worker", status = %r.status(), "heartbeat refused");
            }
            Err(e) => tracing::warn!(target: "worker", error = %e, "heartbeat failed"),
        }
    }
}

async fn slot_loop(ctx: Ctx, id: String, poll_timeout: Duration) -> End {
    loop {
        let sent = ctx
            .http
            .post(ctx.url(&format!("/v1/worker/{id}/poll")))
            .header(reqwest::header::AUTHORIZATION, &ctx.auth)
            .timeout(poll_timeout)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(target: "worker", error = %e, "poll failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NO_CONTENT => continue,
            StatusCode::UNAUTHORIZED => {
                return End::Fatal(WorkerError::Unauthorized(refusal(resp).await));
            }
            s => {
                if let Some(end) = session_status(s) {
                    return end;
                }
                tracing::warn!(target: "worker", status = %s, "poll refused");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        let head: Option<TaskHeader> = resp
            .headers()
            .get(HEADER_TASK)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| decode_header(v).ok());
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(target: "worker", error = %e, "segment download failed");
                continue;
            }
        };
        let Some(head) = head else {
            tracing::warn!(target: "worker", "task without a readable header");
            continue;
        };
        if let Some(end) = do_task(&ctx, &id, head, body.to_vec()).await {
            return end;
        }
    }
}

/// Transcodes one task and posts its result; `Some` ends the session.
async fn do_task(ctx: &Ctx, id: &str, head: TaskHeader, segment: Vec<u8>) -> Option<End> {
    let task_id = head.task_id;
    tracing::info!(target: "worker", task = task_id, bytes = segment.len(), "segment received");
    let (result, body) = if content_hash(&segment) != head.input_hash {
        (
            TaskResult::Failed {
                input_fault: false,
                message: "segment corrupted in transit (hash mismatch)".into(),
            },
            Vec::new(),
        )
    } else {
        if ctx.config.misbehave == Some(Misbehave::Stall) {
            tracing::warn!(target: "worker", task = task_id, "stalling on purpose (test mode)");
            std::future::pending::<()>().await;
        }
        let job = TranscodeJob {
            segment: std::sync::Arc::new(segment),
            profiles: head.profiles,
        };
        let opts = ctx.config.transcode.clone();
        let out = tokio::task::spawn_blocking(move || transcode_in_tempdir(&job, &opts)).await;
        match out {
            Ok(Ok((mut report, mut renditions, ms))) => {
                tracing::info!(target: "worker", task = task_id, ms, pixels = report.total_pixels(), "segment transcoded");
                if ctx.config.misbehave == Some(Misbehave::Tamper)
                    && let Some(r) = renditions.first_mut()
                {
                    tracing::warn!(target: "worker", task = task_id, rendition = %r.report.name, "tampering on purpose (test mode)");
                    tamper(&mut r.data);
                }
                if ctx.config.misbehave == Some(Misbehave::Degrade)
                    && let Some(r) = renditions.first_mut()
                {
                    tracing::warn!(target: "worker", task = task_id, rendition = %r.report.name, "degrading on purpose (test mode)");
                    let (data, bitrate) = (std::mem::take(&mut r.data), r.report.target_bitrate);
                    let blurred =
                        tokio::task::spawn_blocking(move || degrade(&data, bitrate)).await;
                    match blurred {
                        Ok(Ok(d)) => {
                            // The accounting names the bytes sent; the rest of it stays true.
                            if let Some(a) = report
                                .renditions
                                .iter_mut()
                                .find(|a| a.name == r.report.name)
                            {
                                a.bytes = d.len() as u64;
                            }
                            r.report.bytes = d.len() as u64;
                            r.data = d;
                        }
                        Ok(Err(e)) => {
                            tracing::error!(target: "worker", task = task_id, error = %e, "degrading failed")
                        }
                        Err(e) => {
                            tracing::error!(target: "worker", task = task_id, error = %e, "degrading task died")
                        }
                    }
                }
                let mut body = Vec::with_capacity(renditions.iter().map(|r| r.data.len()).sum());
                for r in &renditions {
                    body.extend_from_slice(&r.data);
                }
                (TaskResult::Done { report }, body)
            }
            Ok(Err(PoolError::Transcode(e))) => (
                TaskResult::Failed {
                    input_fault: is_input_fault(&e),
                    message: e.to_string(),
                },
                Vec::new(),
            ),
            Ok(Err(e)) => (
                TaskResult::Failed {
                    input_fault: false,
                    message: e.to_string(),
                },
                Vec::new(),
            ),
            Err(e) => (
                TaskResult::Failed {
                    input_fault: false,
                    message: format!("transcoding task died: {e}"),
                },
                Vec::new(),
            ),
        }
    };
    let header = match encode_header(&result) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(target: "worker", error = %e, "cannot encode a result");
            return None;
        }
    };
    let sent = ctx
        .http
        .post(ctx.url(&format!("/v1/worker/{id}/result/{task_id}")))
        .header(reqwest::header::AUTHORIZATION, &ctx.auth)
        .header(HEADER_RESULT, header)
        .timeout(Duration::from_secs(120))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => None,
        Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
            Some(End::Fatal(WorkerError::Unauthorized(refusal(r).await)))
        }
        Ok(r) if r.status() == StatusCode::GONE => {
            tracing::warn!(target: "worker", task = task_id, "result came too late: the task was reassigned");
            None
        }
        Ok(r) => {
            let end = session_status(r.status());
            if end.is_none() {
                tracing::warn!(target: "worker", task = task_id, status = %r.status(), "result refused");
            }
            end
        }
        Err(e) => {
            tracing::warn!(target: "worker", task = task_id, error = %e, "result not delivered");
            None
        }
    }
}

/// Damages a rendition on purpose: inverts the payload of every third MPEG-TS packet past the
/// first fifth of the file (headers left intact, so it still looks like a transport stream).
fn tamper(data: &mut [u8]) {
    const TS: usize = 188;
    let packets = data.len() / TS;
    for p in (packets / 5..packets).step_by(3) {
        let start = p * TS + 4;
        let end = (p + 1) * TS;
        for b in &mut data[start..end] {
            *b = !*b;
        }
    }
}

/// Re-encodes a rendition with a strong blur (test mode): the timestamps, frames and audio of
/// `data` are kept and the video is encoded at `bitrate`, so only its content differs.
fn degrade(data: &[u8], bitrate: u32) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (input, output) = (dir.path().join("in.ts"), dir.path().join("out.ts"));
    std::fs::write(&input, data).map_err(|e| e.to_string())?;
    let (input, output) = (input.display().to_string(), output.display().to_string());
    let bitrate = bitrate.to_string();
    streamflow_transcoder::testmedia::run_ffmpeg(&[
        "-copyts",
        "-i",
        &input,
        "-map",
        "0:v",
        "-map",
        "0:a?",
        "-c:a",
        "copy",
        "-vf",
        "gblur=sigma=6",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        &bitrate,
        "-maxrate",
        &bitrate,
        "-bufsize",
        &bitrate,
        "-fps_mode",
        "passthrough",
        "-pix_fmt",
        "yuv420p",
        "-muxdelay",
        "0",
        "-f",
        "mpegts",
        &output,
    ])
    .map_err(|e| e.to_string())?;
    std::fs::read(&output).map_err(|e| e.to_string())
}

/// The `streamflow-node transcoder` command: flags, config file and environment.
pub mod cli {
    use super::*;

    /// Run a transcoder worker for an orchestrator's pool.
    ///
    /// Example: `streamflow-node transcoder --orchestrator http://10.0.0.5:8935 --secret-file
    /// /etc/streamflow/worker.secret --slots 2`
    #[derive(Debug, Clone, clap::Args)]
    pub struct Args {
        /// A TOML file with any of `orchestrator`, `secret_file`, `slots`, `name`, `x264_preset`
        /// (flags and environment override it).
        #[arg(long, env = "STREAMFLOW_WORKER_CONFIG")]
        pub config: Option<PathBuf>,
        /// The orchestrator's base URL, e.g. `http://10.0.0.5:8935`.
        #[arg(long, env = "STREAMFLOW_ORCHESTRATOR")]
        pub orchestrator: Option<String>,
        /// File holding the shared secret the orchestrator gave this worker (a path, never the
        /// secret itself; readable by its owner only).
        #[arg(long, env = "STREAMFLOW_WORKER_SECRET_FILE")]
        pub secret_file: Option<PathBuf>,
        /// Segments transcoded at once (default 1).
        #[arg(long, env = "STREAMFLOW_WORKER_SLOTS")]
        pub slots: Option<u32>,
        /// A name for the orchestrator's logs (default: `worker-<pid>`).
        #[arg(long, env = "STREAMFLOW_WORKER_NAME")]
        pub name: Option<String>,
        /// libx264 preset (default `veryfast`).
        #[arg(long, env = "STREAMFLOW_X264_PRESET")]
        pub x264_preset: Option<String>,
        /// TESTING ONLY: misbehave on purpose to exercise the orchestrator's defences. Refused
        /// unless the environment variable STREAMFLOW_ALLOW_MISBEHAVIOUR=1 is set.
        #[arg(long, value_enum, help_heading = "Testing only")]
        pub misbehave: Option<Misbehave>,
    }

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct FileConfig {
        orchestrator: Option<String>,
        secret_file: Option<PathBuf>,
        slots: Option<u32>,
        name: Option<String>,
        x264_preset: Option<String>,
    }

    /// The worker configuration `args` describe (reads the config file and the secret file).
    pub fn config(args: &Args) -> Result<WorkerConfig, WorkerError> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| WorkerError::Config(format!("{}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| WorkerError::Config(format!("{}: {e}", path.display())))?
            }
            None => FileConfig::default(),
        };
        let orchestrator = args
            .orchestrator
            .clone()
            .or(file.orchestrator)
            .ok_or_else(|| WorkerError::Config("--orchestrator is required".into()))?;
        if !orchestrator.starts_with("http://") {
            return Err(WorkerError::Config(format!(
                "orchestrator {orchestrator:?} is not an http:// URL (the worker speaks plain \
                 HTTP: reach the orchestrator over a private network or a tunnel)"
            )));
        }
        let secret_file = args
            .secret_file
            .clone()
            .or(file.secret_file)
            .ok_or_else(|| WorkerError::Config("--secret-file is required".into()))?;
        let secret = crate::pool::protocol::read_secret_file(&secret_file).map_err(|e| {
            WorkerError::Config(format!("secret file {}: {e}", secret_file.display()))
        })?;
        if args.misbehave.is_some() && std::env::var(ALLOW_MISBEHAVIOUR_ENV).as_deref() != Ok("1") {
            return Err(WorkerError::Config(format!(
                "--misbehave is for tests only and needs {ALLOW_MISBEHAVIOUR_ENV}=1"
            )));
        }
        let mut transcode = TranscodeOptions::default();
        if let Some(p) = args.x264_preset.clone().or(file.x264_preset) {
            transcode.x264_preset = p;
        }
        Ok(WorkerConfig {
            orchestrator,
            secret,
            slots: args.slots.or(file.slots).unwrap_or(1),
            name: args
                .name
                .clone()
                .or(file.name)
                .unwrap_or_else(|| format!("worker-{}", std::process::id())),
            transcode,
            misbehave: args.misbehave,
        })
    }

    /// Runs the command until `shutdown` resolves.
    pub async fn run(args: Args, shutdown: impl Future<Output = ()>) -> Result<(), WorkerError> {
        streamflow_transcoder::quiet_ffmpeg(false);
        let config = config(&args)?;
        super::run(config, shutdown).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tamper_changes_payloads_but_not_packet_headers() {
        let mut data = vec![0u8; 188 * 20];
        for p in 0..20 {
            data[p * 188] = 0x47;
        }
        let before = data.clone();
        tamper(&mut data);
        assert_ne!(data, before);
        for p in 0..20 {
            assert_eq!(data[p * 188], 0x47);
        }
    }
}
