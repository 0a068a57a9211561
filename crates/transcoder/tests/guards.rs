//! Input guards: every malformed or oversized input yields a specific error,
//! never a panic or a hang.

mod common;

use std::time::{Duration, Instant};

use streamflow_transcoder::probe::probe;
use streamflow_transcoder::profile::{Profile, presets_from_names};
use streamflow_transcoder::testmedia::SegmentSpec;
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};
use streamflow_transcoder::{Limits, TranscodeError};

fn transcode_with(input: &std::path::Path, limits: Limits, profiles: &[Profile]) -> TranscodeError {
    let out = tempfile::tempdir().expect("tempdir");
    let opts = TranscodeOptions {
        limits,
        ..TranscodeOptions::default()
    };
    let started = Instant::now();
    let err = transcode_segment(input, profiles, out.path(), &opts).expect_err("must be refused");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "guard took too long"
    );
    // A failed segment leaves no partial renditions behind.
    let left: Vec<_> = std::fs::read_dir(out.path()).expect("read").collect();
    assert!(left.is_empty(), "partial outputs left: {left:?}");
    err
}

fn transcode(input: &std::path::Path) -> TranscodeError {
    transcode_with(
        input,
        Limits::default(),
        &presets_from_names("240p").expect("presets"),
    )
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let src = common::segment(320, 240, 30, 0.5);
    let size = std::fs::metadata(&src).expect("meta").len();
    let limits = Limits {
        max_bytes: size - 1,
        ..Limits::default()
    };
    let err = transcode_with(&src, limits, &presets_from_names("240p").expect("presets"));
    assert!(
        matches!(err, TranscodeError::InputTooLarge { size: s, .. } if s == size),
        "{err}"
    );
}

#[test]
fn overlong_input_is_refused() {
    let src = common::segment(320, 240, 30, 1.0);
    let limits = Limits {
        max_duration_secs: 0.5,
        ..Limits::default()
    };
    let err = transcode_with(
        &src,
        limits.clone(),
        &presets_from_names("240p").expect("presets"),
    );
    assert!(
        matches!(err, TranscodeError::InputTooLong { limit, .. } if limit == 0.5),
        "{err}"
    );
    assert!(matches!(
        probe(&src, &limits),
        Err(TranscodeError::InputTooLong { .. })
    ));
}

#[test]
fn runaway_encode_fails_the_segment() {
    let src = common::segment(320, 240, 30, 0.5);
    let mut p = Profile::preset("240p").expect("preset");
    p.fps = 120;
    let limits = Limits {
        max_frame_ratio: 2.0,
        ..Limits::default()
    };
    let err = transcode_with(&src, limits, &[p]);
    match err {
        TranscodeError::Runaway {
            encoded, decoded, ..
        } => {
            assert!(
                encoded as f64 > 2.0 * decoded as f64,
                "{encoded} vs {decoded}"
            );
        }
        other => panic!("expected Runaway, got {other}"),
    }
}

#[test]
fn random_bytes_are_corrupt() {
    let mut bytes = vec![0u8; 4096];
    let mut x = 0x1234_5678u32;
    for b in &mut bytes {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let path = common::bytes_file("random.ts", &bytes);
    assert!(matches!(transcode(&path), TranscodeError::Corrupt { .. }));
    let empty = common::bytes_file("empty.ts", &[]);
    assert!(matches!(transcode(&empty), TranscodeError::Corrupt { .. }));
}

#[test]
fn truncated_input_is_reported() {
    let src = common::segment(640, 360, 30, 1.0);
    let bytes = std::fs::read(&src).expect("read");
    let cut = common::bytes_file("truncated.ts", &bytes[..bytes.len() * 2 / 5]);
    let err = transcode(&cut);
    assert!(matches!(err, TranscodeError::Truncated { .. }), "{err}");
}

#[test]
fn header_only_input_has_zero_frames() {
    let src = common::segment(320, 240, 30, 0.5);
    let bytes = std::fs::read(&src).expect("read");
    // PAT + PMT and nothing else.
    let head = common::bytes_file("header_only.ts", &bytes[..188 * 3]);
    let err = transcode(&head);
    assert!(matches!(err, TranscodeError::ZeroFrames), "{err}");
    // A segment whose PMT declares H.264 but whose video PID carries nothing:
    // drop every TS packet of the video PID (0x100), keep PAT, PMT and audio.
    let av = common::segment(320, 240, 30, 0.5);
    let bytes = std::fs::read(&av).expect("read");
    let kept: Vec<u8> = bytes
        .chunks(188)
        .filter(|p| p.len() == 188 && ((u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])) != 0x100)
        .flatten()
        .copied()
        .collect();
    assert!(kept.len() < bytes.len() / 2, "video PID was removed");
    let zero = common::bytes_file("zero_video_frames.ts", &kept);
    let err = transcode(&zero);
    assert!(matches!(err, TranscodeError::ZeroFrames), "{err}");
}

#[test]
fn audio_only_input_has_no_video() {
    let path = common::ffmpeg_to(
        "audio_only.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=48000",
            "-t",
            "0.5",
            "-c:a",
            "aac",
            "-f",
            "mpegts",
        ],
    );
    assert!(matches!(transcode(&path), TranscodeError::NoVideo));
    assert!(matches!(
        probe(&path, &Limits::default()),
        Err(TranscodeError::NoVideo)
    ));
}

#[test]
fn absurd_dimensions_are_refused() {
    let wide = common::segment_with(SegmentSpec {
        audio: false,
        source: "color".into(),
        ..SegmentSpec::new(8192, 16, 30, 0.2)
    });
    let err = transcode(&wide);
    assert!(
        matches!(
            err,
            TranscodeError::AbsurdDimensions {
                width: 8192,
                height: 16,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn other_codecs_are_unsupported() {
    let path = common::ffmpeg_to(
        "mpeg2.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-t",
            "0.3",
            "-c:v",
            "mpeg2video",
            "-f",
            "mpegts",
        ],
    );
    assert!(matches!(
        transcode(&path),
        TranscodeError::UnsupportedCodec { .. }
    ));
}

#[test]
fn exhausted_time_budget_times_out() {
    let src = common::segment(320, 240, 30, 0.5);
    let limits = Limits {
        max_wall: Duration::ZERO,
        ..Limits::default()
    };
    let err = transcode_with(&src, limits, &presets_from_names("240p").expect("presets"));
    assert!(matches!(err, TranscodeError::Timeout { .. }), "{err}");
}

#[test]
fn invalid_profiles_are_rejected_up_front() {
    let src = common::segment(320, 240, 30, 0.5);
    let mut p = Profile::preset("240p").expect("preset");
    p.bitrate = 1;
    assert!(matches!(
        transcode_with(&src, Limits::default(), &[p]),
        TranscodeError::InvalidProfile(_)
    ));
    assert!(matches!(
        transcode_with(&src, Limits::default(), &[]),
        TranscodeError::InvalidProfile(_)
    ));
}
