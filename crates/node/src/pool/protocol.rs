//! The worker protocol: how a remote transcoder worker talks to its orchestrator's pool.
//!
//! Plain HTTP/1.1 under `/v1/worker`, every request authenticated with the worker's shared secret in
//! `Authorization: Bearer <secret>`:
//!
//! | method and path | request | answer |
//! |---|---|---|
//! | `POST /v1/worker/register` | [`RegisterRequest`] (JSON) | [`RegisterAnswer`] |
//! | `POST /v1/worker/{id}/heartbeat` | — | `204` |
//! | `POST /v1/worker/{id}/poll` | — | `200`: header [`HEADER_TASK`] ([`TaskHeader`]), body the segment; `204`: no work within the long-poll wait |
//! | `POST /v1/worker/{id}/result/{task}` | header [`HEADER_RESULT`] ([`TaskResult`]), body the renditions back to back | `204`; `410` when the task was taken back |
//! | `POST /v1/worker/{id}/leave` | — | `204` |
//!
//! Refusals carry a [`crate::wire::ApiError`] body: `401 Unauthorized` for a wrong or banned secret
//! (the worker stops), `404` for an unknown session (the worker registers again).

use alloy::primitives::B256;
use serde::{Deserialize, Serialize};
use streamflow_transcoder::{Profile, TranscodeReport};

/// Header carrying the base64url JSON of a [`TaskHeader`] (answer to a poll).
pub const HEADER_TASK: &str = "streamflow-task";
/// Header carrying the base64url JSON of a [`TaskResult`] (request posting a result).
pub const HEADER_RESULT: &str = "streamflow-result";

/// How far the orchestrator trusts a worker's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Trust {
    /// The operator's own machine: output taken as returned.
    Trusted,
    /// Anyone else's: output spot-checked against the source; a worker caught is dropped for good.
    #[default]
    Public,
}

impl std::fmt::Display for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Trust::Trusted => "trusted",
            Trust::Public => "public",
        })
    }
}

/// `POST /v1/worker/register`: a worker announces itself and its capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// A name for logs and status (the credential's name is what the orchestrator trusts).
    pub name: String,
    /// Segments it transcodes at once (at least one).
    pub slots: u32,
    /// Its software version.
    pub node_version: String,
}

/// The answer to a registration: the session and the timing the worker must keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterAnswer {
    /// The session id, in every later path.
    pub worker_id: String,
    /// The trust the orchestrator gives this secret.
    pub trust: Trust,
    /// Send a heartbeat at least this often (milliseconds).
    pub heartbeat_ms: u64,
    /// A poll waits at most this long for work (milliseconds) before answering `204`.
    pub poll_wait_ms: u64,
}

/// A segment to transcode (the body of the poll answer is the segment's bytes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskHeader {
    /// The task id, in the result's path.
    pub task_id: u64,
    /// `keccak256` of the body, so the worker can check what it received.
    pub input_hash: B256,
    /// The renditions wanted, in order.
    pub profiles: Vec<Profile>,
}

/// What a worker reports for a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum TaskResult {
    /// Transcoded: the body holds the renditions in the report's order, each `bytes` long.
    Done {
        /// The transcoder's report.
        report: TranscodeReport,
    },
    /// Not transcoded.
    Failed {
        /// Whether the segment itself is at fault (corrupt, unsupported, over the limits), as
        /// opposed to the worker (disk, missing encoder, ...): a segment at fault is not retried on a
        /// trusted worker's word.
        input_fault: bool,
        /// What went wrong.
        message: String,
    },
}

/// Whether a transcoder error is the segment's fault rather than the machine's.
pub fn is_input_fault(e: &streamflow_transcoder::TranscodeError) -> bool {
    use streamflow_transcoder::TranscodeError as E;
    matches!(
        e,
        E::InputTooLarge { .. }
            | E::InputTooLong { .. }
            | E::Corrupt { .. }
            | E::Truncated { .. }
            | E::NoVideo
            | E::UnsupportedCodec { .. }
            | E::ZeroFrames
            | E::AbsurdDimensions { .. }
            | E::Runaway { .. }
            | E::InvalidProfile(_)
            | E::Ffmpeg { .. }
    )
}

/// Reads a shared secret from a file (surrounding whitespace ignored). Refuses an empty file, a
/// secret shorter than 16 characters, and (on Unix) a file that others can read.
pub fn read_secret_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind};
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!("readable by others (mode {:o}); chmod 600 it", mode & 0o777),
            ));
        }
    }
    let text = std::fs::read_to_string(path)?;
    let secret = text.trim();
    if secret.len() < 16 {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "the secret must be at least 16 characters",
        ));
    }
    Ok(secret.to_owned())
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
