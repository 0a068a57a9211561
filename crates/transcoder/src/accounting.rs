//! Work accounting that goes into a signed segment receipt.
//!
//! The rule follows the reference implementation: the pixel count of a
//! rendition is the sum, over every *encoded* frame, of width x height.

use serde::{Deserialize, Serialize};

/// Running totals for one rendition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PixelCounter {
    frames: u64,
    pixels: u64,
}

impl PixelCounter {
    /// Records one encoded frame of the given size.
    pub fn add_frame(&mut self, width: u32, height: u32) {
        self.frames += 1;
        self.pixels += u64::from(width) * u64::from(height);
    }

    /// Frames recorded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Pixels recorded so far.
    pub fn pixels(&self) -> u64 {
        self.pixels
    }
}

/// Accounting for one rendition of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenditionReport {
    /// Profile name.
    pub name: String,
    /// Output file, relative to the output folder.
    pub file: String,
    /// Encoded width.
    pub width: u32,
    /// Encoded height.
    pub height: u32,
    /// Output frame rate (frames per second).
    pub fps: f64,
    /// Number of encoded video frames.
    pub frames: u64,
    /// Sum over encoded frames of width x height.
    pub pixels: u64,
    /// Video duration in seconds (frames / fps).
    pub duration_secs: f64,
    /// Target bitrate in bits per second.
    pub target_bitrate: u32,
    /// Size of the output file in bytes.
    pub bytes: u64,
    /// Audio packets written (copied or encoded).
    pub audio_packets: u64,
}

/// Accounting for one transcoded segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscodeReport {
    /// Input file as given.
    pub input: String,
    /// Source width.
    pub source_width: u32,
    /// Source height.
    pub source_height: u32,
    /// Source frame rate.
    pub source_fps: f64,
    /// Frames decoded from the source.
    pub decoded_frames: u64,
    /// Pixels decoded from the source (sum of width x height).
    pub decoded_pixels: u64,
    /// Source duration in seconds, from the decoded timestamps.
    pub duration_secs: f64,
    /// Whether the source carried audio.
    pub has_audio: bool,
    /// One entry per rendition, in profile order.
    pub renditions: Vec<RenditionReport>,
    /// Profiles not produced because they would have upscaled the source
    /// (see [`Upscale`](crate::profile::Upscale)); they bill no pixels.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// Wall-clock time spent, in seconds.
    pub wall_secs: f64,
}

impl TranscodeReport {
    /// Total encoded pixels over all renditions.
    pub fn total_pixels(&self) -> u64 {
        self.renditions.iter().map(|r| r.pixels).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_counter_sums_width_times_height() {
        let mut c = PixelCounter::default();
        for _ in 0..60 {
            c.add_frame(1280, 720);
        }
        c.add_frame(2, 2);
        assert_eq!(c.frames(), 61);
        assert_eq!(c.pixels(), 60 * 921_600 + 4);
    }

    #[test]
    fn report_round_trips_through_json() {
        let r = TranscodeReport {
            input: "a.ts".into(),
            source_width: 1280,
            source_height: 720,
            source_fps: 30.0,
            decoded_frames: 60,
            decoded_pixels: 55_296_000,
            duration_secs: 2.0,
            has_audio: true,
            renditions: vec![RenditionReport {
                name: "360p".into(),
                file: "360p.ts".into(),
                width: 640,
                height: 360,
                fps: 30.0,
                frames: 60,
                pixels: 13_824_000,
                duration_secs: 2.0,
                target_bitrate: 800_000,
                bytes: 1,
                audio_packets: 94,
            }],
            skipped: vec!["1080p".into()],
            wall_secs: 0.5,
        };
        let json = serde_json::to_string(&r).expect("ser");
        let back: TranscodeReport = serde_json::from_str(&json).expect("de");
        assert_eq!(back, r);
        assert_eq!(back.total_pixels(), 13_824_000);
    }
}
