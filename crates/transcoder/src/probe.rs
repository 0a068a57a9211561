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
    if width == 0 || height == 0 {
        return Err(TranscodeError::AbsurdDimensions {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
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

/// Whether an H.264 access unit contains an IDR slice (NAL type 5).
///
/// Understands both framings: Annex B start codes (MPEG-TS) and the
/// length-prefixed NAL units of MP4 and fragmented MP4 (4-, 2- or 1-byte
/// lengths, recognised by the lengths tiling the packet exactly).
pub fn has_idr_nal(data: &[u8]) -> bool {
    // Exact tiling by 4-byte lengths first: a length of 256..511 starts with
    // the bytes of an Annex B start code.
    if let Some(types) = length_prefixed_nal_types(data, 4) {
        return types.contains(&5);
    }
    if data.starts_with(&[0, 0, 1]) || data.starts_with(&[0, 0, 0, 1]) {
        return data
            .windows(4)
            .any(|w| w[0] == 0 && w[1] == 0 && w[2] == 1 && w[3] & 0x1f == 5);
    }
    [2usize, 1]
        .into_iter()
        .any(|len| length_prefixed_nal_types(data, len).is_some_and(|types| types.contains(&5)))
}

/// NAL unit types of a length-prefixed access unit, or `None` when lengths
/// of `len` bytes do not tile `data` exactly.
fn length_prefixed_nal_types(data: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut types = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let size = data
            .get(pos..pos + len)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = pos + len;
        if size == 0 || start + size > data.len() {
            return None;
        }
        types.push(data[start] & 0x1f);
        pos = start + size;
    }
    (!types.is_empty()).then_some(types)
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

    #[test]
    fn idr_nal_detection_in_length_prefixed_units() {
        // MP4 framing, 4-byte lengths: SEI (type 6) then an IDR slice.
        let idr = [0, 0, 0, 3, 0x06, 0x05, 0x01, 0, 0, 0, 2, 0x65, 0x88];
        assert!(has_idr_nal(&idr));
        // A non-IDR slice only.
        let p = [0, 0, 0, 2, 0x41, 0x9a];
        assert!(!has_idr_nal(&p));
        // 2-byte lengths.
        assert!(has_idr_nal(&[0, 2, 0x65, 0x88]));
        // A 300-byte IDR slice: its length prefix looks like a start code.
        let mut long = vec![0, 0, 1, 44, 0x65];
        long.resize(4 + 300, 0x11);
        assert!(has_idr_nal(&long));
        long[4] = 0x41;
        assert!(!has_idr_nal(&long));
        // Lengths that do not tile the packet are not NAL units.
        assert!(!has_idr_nal(&[0, 0, 0, 9, 0x65, 0x88]));
    }
}
