//! # streamflow-transcoder
//!
//! Reference transcoder for Streamflow segments and the broadcaster's
//! verification of the renditions an orchestrator returns.
//!
//! * [`transcode::transcode_segment`] decodes one MPEG-TS segment (H.264,
//!   optional AAC) once, then scales and encodes every rendition of a ladder
//!   ([`profile::Profile`]), forcing an IDR on the first frame and copying or
//!   encoding the audio per rendition.
//! * [`accounting`] holds the serde-serialisable [`accounting::TranscodeReport`]
//!   (pixels = sum over encoded frames of width x height) that goes into a
//!   signed receipt.
//! * [`decode::Limits`] bounds size, duration, dimensions, runaway encodes and
//!   wall time; every malformed input becomes a [`error::TranscodeError`].
//! * [`probe`] and [`verify`] implement the broadcaster's escalating checks:
//!   container probe, exact pixel count, then PSNR/SSIM ([`quality`]) against
//!   the source scaled to the rendition, ending in a [`verify::Verdict`].
//! * [`bench`] compares the transcoder against the `ffmpeg` CLI.

pub mod accounting;
pub mod bench;
pub mod compare;
pub mod decode;
pub mod error;
mod fanout;
pub mod probe;
pub mod profile;
pub mod quality;
mod rendition;
pub mod testmedia;
pub mod transcode;
pub mod verdict;
pub mod verify;

pub use accounting::{PixelCounter, RenditionReport, TranscodeReport};
pub use decode::Limits;
pub use error::{Result, TranscodeError};
pub use profile::Profile;
pub use verify::Verdict;

/// Sets FFmpeg's own log level: warnings when `verbose`, errors only otherwise.
pub fn quiet_ffmpeg(verbose: bool) {
    let _ = ffmpeg_next::init();
    ffmpeg_next::log::set_level(if verbose {
        ffmpeg_next::log::Level::Warning
    } else {
        ffmpeg_next::log::Level::Fatal
    });
}
