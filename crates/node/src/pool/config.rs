//! What a pool is built from: the worker credentials, [`PoolOptions`], and the `[pool]` section of
//! the orchestrator's TOML configuration ([`PoolConfig`]) with its secret files.

use std::path::PathBuf;
use std::time::Duration;

use streamflow_transcoder::transcode::TranscodeOptions;

use super::{PoolError, Trust, protocol};

/// A secret a remote worker may connect with, and the trust it carries.
#[derive(Clone)]
pub struct WorkerCredential {
    /// Name in logs, status and [`TranscodeOutput::worker`].
    pub name: String,
    /// The shared secret (compared in constant time).
    pub secret: String,
    /// How far its output is trusted.
    pub trust: Trust,
}

impl std::fmt::Debug for WorkerCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerCredential")
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("trust", &self.trust)
            .finish()
    }
}

/// Everything a [`Pool`] is built from.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// In-process transcoding slots (0: remote workers only).
    pub local_slots: u32,
    /// Options of the in-process transcoder.
    pub transcode: TranscodeOptions,
    /// The secrets remote workers may connect with (none: no remote worker is accepted).
    pub workers: Vec<WorkerCredential>,
    /// Fraction of a public worker's segments fully verified (pixels and quality), in `[0, 1]`.
    pub spot_check: f64,
    /// How often a worker must send a heartbeat.
    pub heartbeat: Duration,
    /// A worker silent for this long is declared dead and its segments reassigned.
    pub worker_timeout: Duration,
    /// A remote attempt at a segment that takes longer than this is abandoned and redone elsewhere.
    pub task_timeout: Duration,
    /// How long a segment waits for an executor when none is free (e.g. every worker gone).
    pub queue_timeout: Duration,
    /// How long a worker's poll waits for work before answering `204`.
    pub poll_wait: Duration,
    /// Attempts per segment before giving up.
    pub max_attempts: u32,
    /// The largest result a worker may post (all renditions of a segment), in bytes.
    pub max_result_bytes: usize,
    /// The SQLite file where bans are kept so that they survive a restart (the node's `node.db`);
    /// read by [`Pool::open`]. `None`: bans last as long as the process.
    pub state_db: Option<PathBuf>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            local_slots: 1,
            transcode: TranscodeOptions::default(),
            workers: Vec::new(),
            spot_check: 0.1,
            heartbeat: Duration::from_secs(1),
            worker_timeout: Duration::from_secs(5),
            task_timeout: Duration::from_secs(60),
            queue_timeout: Duration::from_secs(30),
            poll_wait: Duration::from_secs(20),
            max_attempts: 3,
            max_result_bytes: 256 * 1024 * 1024,
            state_db: None,
        }
    }
}

/// One remote worker's entry in the pool's TOML configuration.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerEntry {
    /// Its name.
    pub name: String,
    /// The file holding its shared secret (readable by the owner only).
    pub secret_file: PathBuf,
    /// `trusted` or `public` (the default).
    #[serde(default)]
    pub trust: Trust,
}

/// The pool's section of the orchestrator's TOML configuration (every field has a default).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// In-process transcoding slots.
    #[serde(default = "default_local_slots")]
    pub local_slots: u32,
    /// Fraction of public workers' segments fully verified.
    #[serde(default = "default_spot_check")]
    pub spot_check: f64,
    /// Heartbeat period asked of workers, in milliseconds.
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// Silence after which a worker is dead, in milliseconds.
    #[serde(default = "default_worker_timeout_ms")]
    pub worker_timeout_ms: u64,
    /// Time allowed to a remote attempt at one segment, in milliseconds.
    #[serde(default = "default_task_timeout_ms")]
    pub task_timeout_ms: u64,
    /// Time a segment waits for a free executor, in milliseconds.
    #[serde(default = "default_queue_timeout_ms")]
    pub queue_timeout_ms: u64,
    /// Attempts per segment.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The remote workers allowed to connect.
    #[serde(default)]
    pub workers: Vec<WorkerEntry>,
}

fn default_local_slots() -> u32 {
    1
}
fn default_spot_check() -> f64 {
    0.1
}
fn default_heartbeat_ms() -> u64 {
    1000
}
fn default_worker_timeout_ms() -> u64 {
    5000
}
fn default_task_timeout_ms() -> u64 {
    60_000
}
fn default_queue_timeout_ms() -> u64 {
    30_000
}
fn default_max_attempts() -> u32 {
    3
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            local_slots: default_local_slots(),
            spot_check: default_spot_check(),
            heartbeat_ms: default_heartbeat_ms(),
            worker_timeout_ms: default_worker_timeout_ms(),
            task_timeout_ms: default_task_timeout_ms(),
            queue_timeout_ms: default_queue_timeout_ms(),
            max_attempts: default_max_attempts(),
            workers: Vec::new(),
        }
    }
}

impl PoolConfig {
    /// The pool options it describes, reading every worker's secret file.
    pub fn options(&self, transcode: TranscodeOptions) -> Result<PoolOptions, PoolError> {
        if !(0.0..=1.0).contains(&self.spot_check) {
            return Err(PoolError::Config(format!(
                "spot_check {} is not a fraction in [0, 1]",
                self.spot_check
            )));
        }
        if self.heartbeat_ms == 0 || self.worker_timeout_ms <= self.heartbeat_ms {
            return Err(PoolError::Config(
                "worker_timeout_ms must exceed heartbeat_ms (> 0)".into(),
            ));
        }
        let mut workers = Vec::with_capacity(self.workers.len());
        for w in &self.workers {
            let secret = protocol::read_secret_file(&w.secret_file).map_err(|e| {
                PoolError::Config(format!(
                    "worker {}: secret file {}: {e}",
                    w.name,
                    w.secret_file.display()
                ))
            })?;
            if workers
                .iter()
                .any(|c: &WorkerCredential| c.secret == secret)
            {
                return Err(PoolError::Config(format!(
                    "worker {}: the same secret is given to two entries",
                    w.name
                )));
            }
            workers.push(WorkerCredential {
                name: w.name.clone(),
                secret,
                trust: w.trust,
            });
        }
        Ok(PoolOptions {
            local_slots: self.local_slots,
            transcode,
            workers,
            spot_check: self.spot_check,
            heartbeat: Duration::from_millis(self.heartbeat_ms),
            worker_timeout: Duration::from_millis(self.worker_timeout_ms),
            task_timeout: Duration::from_millis(self.task_timeout_ms),
            queue_timeout: Duration::from_millis(self.queue_timeout_ms),
            max_attempts: self.max_attempts.max(1),
            ..PoolOptions::default()
        })
    }
}
