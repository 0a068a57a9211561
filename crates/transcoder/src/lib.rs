//! # streamflow-transcoder
//!
//! Reference transcoder for Streamflow segments and the broadcaster's
//! verification of the renditions an orchestrator returns.
//!
//! * [`transcode::transcode_segment`] decodes one MPEG-TS segment (H.264,
//!   optional AAC) once and fans every decoded frame out to one worker thread
//!   per rendition, which scales, encodes (libx264) and muxes it, as
//!   Livepeer's LPMS does. Each [`profile::Profile`] has a name, a resolution
//!   box (aspect ratio kept, even sides), bitrate, frame rate or pass-through,
//!   GOP, H.264 profile and an audio mode (copy, encode, drop). The first frame
//!   of every rendition is an IDR.
//! * [`accounting`] holds the serde-serialisable [`TranscodeReport`] /
//!   [`RenditionReport`]: pixels = sum over encoded frames of width x height,
//!   frame counts and durations, for the signed segment receipt.
//! * [`Limits`] bounds input size, duration, dimensions, runaway encodes and
//!   wall time; every malformed input becomes a [`TranscodeError`] variant.
//! * [`probe`], [`compare`], [`quality`] and [`verify`] implement the
//!   broadcaster's escalating checks (container probe of MPEG-TS, MP4 or
//!   fragmented MP4, exact pixel count, then PSNR/SSIM/worst-block, colour
//!   relative to the source and temporal alignment against the source scaled
//!   to the rendition, judged on the worst sampled frame as well as on the
//!   means), ending in a [`Verdict`] per rendition;
//!   [`verify::verify_segment`] decodes the source once for all renditions.
//! * [`sampling`] picks the compared frames with a broadcaster secret, so an
//!   orchestrator cannot predict them, in a number chosen for a target
//!   detection probability, and reports the coverage.
//! * Rungs larger than the source are skipped by default
//!   ([`profile::Upscale`]): nothing is upscaled or billed for it.
//! * [`bench`](mod@bench) compares the transcoder with the `ffmpeg` CLI;
//!   [`testmedia`] makes synthetic segments with FFmpeg's lavfi sources.

pub mod accounting;
pub mod bench;
mod checks;
pub mod compare;
pub mod decode;
pub mod error;
mod fanout;
pub mod probe;
pub mod profile;
pub mod quality;
mod rendition;
pub mod sampling;
pub mod testmedia;
pub mod transcode;
pub mod verdict;
pub mod verify;

pub use accounting::{PixelCounter, RenditionReport, TranscodeReport};
pub use decode::Limits;
pub use error::{Result, TranscodeError};
pub use profile::Profile;
pub use verify::Verdict;

/// Sets FFmpeg's own log level: warnings when `verbose`, fatal errors only
/// otherwise (the library reports every error through [`TranscodeError`]).
pub fn quiet_ffmpeg(verbose: bool) {
    let _ = ffmpeg_next::init();
    ffmpeg_next::log::set_level(if verbose {
        ffmpeg_next::log::Level::Warning
    } else {
        ffmpeg_next::log::Level::Fatal
    });
}
