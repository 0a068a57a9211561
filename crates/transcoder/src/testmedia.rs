//! Synthetic test segments made with the `ffmpeg` CLI's lavfi sources.
//!
//! Used by the tests and the benchmark so that no media is committed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Result, TranscodeError};

/// Description of a generated segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Duration in seconds.
    pub secs: f64,
    /// Whether to add an AAC sine tone.
    pub audio: bool,
    /// lavfi video source name (`testsrc2`, `mandelbrot`, `smptehdbars`, ...).
    pub source: String,
}

impl SegmentSpec {
    /// A `testsrc2` segment with audio.
    pub fn new(width: u32, height: u32, fps: u32, secs: f64) -> Self {
        Self {
            width,
            height,
            fps,
            secs,
            audio: true,
            source: "testsrc2".into(),
        }
    }
}

/// Runs `ffmpeg -hide_banner -loglevel error -nostdin -y <args>`.
pub fn run_ffmpeg<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Result<()> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| TranscodeError::Command {
            command: "ffmpeg".into(),
            reason: e.to_string(),
        })?;
    if !out.status.success() {
        let cmd: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        return Err(TranscodeError::Command {
            command: format!("ffmpeg {}", cmd.join(" ")),
            reason: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

/// Writes an MPEG-TS segment (H.264 at high quality, optional AAC) to `path`.
pub fn generate_segment(spec: &SegmentSpec, path: &Path) -> Result<()> {
    let video = format!(
        "{}=size={}x{}:rate={}",
        spec.source, spec.width, spec.height, spec.fps
    );
    let secs = format!("{}", spec.secs);
    let gop = (spec.fps * 2).to_string();
    let mut args: Vec<String> = vec!["-f".into(), "lavfi".into(), "-i".into(), video];
    if spec.audio {
        args.extend(
            ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"].map(String::from),
        );
    }
    args.extend(
        [
            "-t", &secs, "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-g", &gop,
            "-pix_fmt", "yuv420p",
        ]
        .map(String::from),
    );
    if spec.audio {
        args.extend(["-c:a", "aac", "-b:a", "96k"].map(String::from));
    }
    args.extend(["-f".into(), "mpegts".into(), path.display().to_string()]);
    run_ffmpeg(&args)
}
