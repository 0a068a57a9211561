//! Cheap container probe: demux only, no decoding.
//!
//! For H.264 in MPEG-TS each PES packet carries one access unit, so the
//! packet count is the frame count.

use std::path::Path;

use ffmpeg_next::codec;
use serde::{Deserialize, Serialize};

use crate::decode::{self, Limits, q2f, ts_secs};
use crate::error::{Result, TranscodeError};

/// What a probe learns about a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeInfo {
    /// Video codec name.
    pub codec: String,
    /// Coded width.
    pub width: u32,
    /// Coded height.
    pub height: u32,
    /// Frame rate (average, falling back to the stream's base rate).
    pub fps: f64,
    /// Number of video packets (= frames).
    pub frames: u64,
    /// Video duration in seconds: span of the timestamps plus one frame.
    pub duration_secs: f64,
    /// Bytes of video payload.
    pub video_bytes: u64,
    /// Video bitrate in bits per second over `duration_secs`.
    pub video_bitrate: f64,
    /// Whether the first video packet is a keyframe.
    pub starts_with_keyframe: bool,
    /// Whether the first video packet carries an IDR slice (NAL type 5).
    pub starts_with_idr: bool,
    /// Number of keyframe packets (GOP structure).
    pub keyframes: u64,
    /// Codec profile as FFmpeg names it (e.g. `H264(High)`).
    pub profile: String,
    /// Whether the segment carries AAC audio.
    pub has_audio: bool,
}

/// Probes `path` within `limits`.
pub fn probe(path: &Path, limits: &Limits) -> Result<ProbeInfo> {
    let mut input = decode::open_input(path, limits)?;
    let (width, height, codec, profile) = {
        let stream = input
            .ictx
            .stream(input.video_index)
            .ok_or(TranscodeError::NoVideo)?;
        let ctx = codec::context::Context::from_parameters(stream.parameters())
            .map_err(TranscodeError::ffmpeg("reading the video parameters"))?;
        let name = ctx.id().name().to_owned();
        let dec = ctx
            .decoder()
            .video()
            .map_err(TranscodeError::ffmpeg("opening the video decoder"))?;
        (
            dec.width(),
            dec.height(),
            name,
            format!("{:?}", dec.profile()),
        )
    };
    input.check_dimensions(width, height)?;
    let fps = q2f(input.fps);
    let (mut frames, mut bytes, mut first_key, mut first_idr) = (0u64, 0u64, None, false);
    let (mut min_ts, mut max_ts) = (i64::MAX, i64::MIN);
    let mut keyframes = 0u64;
    let mut errors = 0;
    while let Some(packet) = input.next_packet(&mut errors)? {
        if packet.stream() != input.video_index {
            continue;
        }
        frames += 1;
        keyframes += u64::from(packet.is_key());
        bytes += packet.size() as u64;
        if first_key.is_none() {
            first_key = Some(packet.is_key());
            first_idr = packet.data().is_some_and(has_idr_nal);
        }
        if let Some(ts) = packet.pts().or(packet.dts()) {
            min_ts = min_ts.min(ts);
            max_ts = max_ts.max(ts);
        }
    }
    if frames == 0 {
        return Err(TranscodeError::ZeroFrames);
    }
    let frame_dur = if fps > 0.0 { 1.0 / fps } else { 0.0 };
    let span = if max_ts >= min_ts {
        ts_secs(max_ts - min_ts, input.video_tb)
    } else {
        0.0
    };
    let duration_secs = span + frame_dur;
    if duration_secs > limits.max_duration_secs {
        return Err(TranscodeError::InputTooLong {
            duration: duration_secs,
            limit: limits.max_duration_secs,
        });
    }
    Ok(ProbeInfo {
        codec,
        width,
        height,
        fps,
        frames,
        duration_secs,
        video_bytes: bytes,
        video_bitrate: if duration_secs > 0.0 {
            bytes as f64 * 8.0 / duration_secs
        } else {
            0.0
        },
        starts_with_keyframe: first_key.unwrap_or(false),
        starts_with_idr: first_idr,
        keyframes,
        profile,
        has_audio: input.audio_index.is_some(),
    })
}

/// Whether an Annex B H.264 access unit contains an IDR slice (NAL type 5).
pub fn has_idr_nal(data: &[u8]) -> bool {
    data.windows(4)
        .any(|w| w[0] == 0 && w[1] == 0 && w[2] == 1 && w[3] & 0x1f == 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idr_nal_detection() {
        // AUD, SPS, then an IDR slice.
        let idr = [
            0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x65, 0x88,
        ];
        assert!(has_idr_nal(&idr));
        // Non-IDR slice only.
        let p = [0, 0, 0, 1, 9, 0xf0, 0, 0, 1, 0x41, 0x9a];
        assert!(!has_idr_nal(&p));
        assert!(!has_idr_nal(&[]));
    }
}
