//! Error type shared by the transcoder, the prober and the verifier.

use std::path::PathBuf;

/// Everything that can go wrong while probing, transcoding or verifying a segment.
///
/// Every malformed-input condition maps to a dedicated variant so that callers
/// (an orchestrator, a broadcaster) can tell a bad segment from a local fault.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// A filesystem operation failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// File or directory involved.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// FFmpeg reported an error during a named step.
    #[error("ffmpeg error while {step}: {source}")]
    Ffmpeg {
        /// What the library was doing.
        step: &'static str,
        /// FFmpeg's error.
        #[source]
        source: ffmpeg_next::Error,
    },
    /// The input file is larger than the configured limit.
    #[error("input is {size} bytes, over the {limit}-byte limit")]
    InputTooLarge {
        /// Actual size in bytes.
        size: u64,
        /// Configured limit in bytes.
        limit: u64,
    },
    /// The input lasts longer than the configured limit.
    #[error("input lasts {duration:.3} s, over the {limit:.3} s limit")]
    InputTooLong {
        /// Observed duration in seconds.
        duration: f64,
        /// Configured limit in seconds.
        limit: f64,
    },
    /// The input could not be parsed as a media container.
    #[error("input is not a readable media segment: {reason}")]
    Corrupt {
        /// Human readable explanation.
        reason: String,
    },
    /// The input ends early or contains damaged frames.
    #[error("input is truncated or damaged: {reason}")]
    Truncated {
        /// Human readable explanation.
        reason: String,
    },
    /// The input has no video stream (for example an audio-only segment).
    #[error("input has no video stream")]
    NoVideo,
    /// The input's video codec is not supported.
    #[error("unsupported video codec {codec}; expected H.264")]
    UnsupportedCodec {
        /// Codec name reported by FFmpeg.
        codec: String,
    },
    /// The input has a video stream but not a single decodable frame.
    #[error("input contains no decodable video frames")]
    ZeroFrames,
    /// The input's dimensions are zero, odd-ball or beyond the limits.
    #[error("absurd input dimensions {width}x{height} (limit {max_width}x{max_height})")]
    AbsurdDimensions {
        /// Coded width.
        width: u32,
        /// Coded height.
        height: u32,
        /// Largest width accepted.
        max_width: u32,
        /// Largest height accepted.
        max_height: u32,
    },
    /// An encoder produced far more frames than were decoded.
    #[error(
        "runaway encode for rendition {rendition}: {encoded} frames encoded from {decoded} decoded (limit x{ratio})"
    )]
    Runaway {
        /// Rendition name.
        rendition: String,
        /// Frames encoded so far.
        encoded: u64,
        /// Frames decoded so far.
        decoded: u64,
        /// Configured ratio.
        ratio: f64,
    },
    /// The wall-clock budget for a segment ran out.
    #[error("segment processing exceeded the {limit_secs} s time budget")]
    Timeout {
        /// Budget in seconds.
        limit_secs: u64,
    },
    /// Processing stopped early (another rendition failed, or a worker died).
    #[error("aborted: {0}")]
    Aborted(String),
    /// A profile or profile list is invalid.
    #[error("invalid profile: {0}")]
    InvalidProfile(String),
    /// A required encoder is missing from the FFmpeg build.
    #[error("encoder {0} is not available in this FFmpeg build")]
    EncoderMissing(&'static str),
    /// JSON (de)serialisation failed.
    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),
    /// An external command (the ffmpeg CLI) failed.
    #[error("command `{command}` failed: {reason}")]
    Command {
        /// The program and its arguments, abbreviated.
        command: String,
        /// What went wrong.
        reason: String,
    },
}

impl TranscodeError {
    /// Wraps an FFmpeg error with the step that produced it.
    pub(crate) fn ffmpeg(step: &'static str) -> impl FnOnce(ffmpeg_next::Error) -> Self {
        move |source| Self::Ffmpeg { step, source }
    }

    /// Wraps an I/O error with the path involved.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// Result alias used throughout the crate.
pub type Result<T, E = TranscodeError> = std::result::Result<T, E>;
