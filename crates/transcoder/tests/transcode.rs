//! Transcoding a ladder: accounting, IDR start, aspect ratio, audio, frame rate.

mod common;

use streamflow_transcoder::probe::probe;
use streamflow_transcoder::profile::{
    AudioMode, H264Profile, Profile, Upscale, presets_from_names,
};
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_many, transcode_segment};
use streamflow_transcoder::{Limits, TranscodeReport};

fn run(src: &std::path::Path, profiles: &[Profile]) -> (tempfile::TempDir, TranscodeReport) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = transcode_segment(src, profiles, out.path(), &TranscodeOptions::default())
        .expect("transcode");
    (out, report)
}

#[test]
fn ladder_accounting_matches_the_encoded_files() {
    let src = common::source_720p();
    let ladder = presets_from_names("720p,480p,360p,240p").expect("presets");
    let (out, report) = run(&src, &ladder);
    assert_eq!(report.decoded_frames, 30);
    assert_eq!((report.source_width, report.source_height), (1280, 720));
    assert!(
        (report.duration_secs - 1.0).abs() < 1e-6,
        "{}",
        report.duration_secs
    );
    let expect = [(1280, 720), (854, 480), (640, 360), (426, 240)];
    assert_eq!(report.renditions.len(), 4);
    for (r, (w, h)) in report.renditions.iter().zip(expect) {
        assert_eq!((r.width, r.height), (w, h), "{}", r.name);
        assert_eq!(r.frames, 30, "{}", r.name);
        assert_eq!(r.pixels, 30 * u64::from(w) * u64::from(h), "{}", r.name);
        assert!((r.duration_secs - 1.0).abs() < 1e-6);
        let p = probe(&out.path().join(&r.file), &Limits::default()).expect("probe output");
        assert_eq!(p.codec, "h264");
        assert_eq!((p.width, p.height), (w, h));
        assert_eq!(p.frames, 30);
        assert!(
            p.starts_with_keyframe && p.starts_with_idr,
            "{} must start with an IDR",
            r.name
        );
        assert!(p.has_audio, "audio is copied by default");
        assert!(r.audio_packets > 30, "{} audio packets", r.audio_packets);
        assert_eq!(p.video_bytes > 0, r.bytes > p.video_bytes);
    }
    assert_eq!(
        report.total_pixels(),
        report.renditions.iter().map(|r| r.pixels).sum::<u64>()
    );
    let json = serde_json::to_string(&report).expect("serialize");
    assert!(json.contains("\"pixels\":27648000"), "720p pixels in JSON");
}

#[test]
fn aspect_ratio_is_kept_with_even_dimensions() {
    let src = common::segment(640, 480, 30, 0.5);
    let mut ladder = presets_from_names("720p,240p").expect("presets");
    ladder[0].upscale = Upscale::Allow;
    let (_out, report) = run(&src, &ladder);
    let dims: Vec<_> = report
        .renditions
        .iter()
        .map(|r| (r.width, r.height))
        .collect();
    assert_eq!(dims, vec![(960, 720), (320, 240)]);

    let portrait = common::segment(360, 640, 30, 0.5);
    let (_out, report) = run(&portrait, &presets_from_names("360p").expect("presets"));
    assert_eq!(
        (report.renditions[0].width, report.renditions[0].height),
        (360, 640)
    );
}

#[test]
fn rungs_above_a_small_source_are_skipped_or_clamped_and_bill_accordingly() {
    let src = common::segment(176, 144, 30, 0.5);
    // The default ladder would upscale a QCIF source: nothing is produced or billed.
    let (out, report) = run(
        &src,
        &presets_from_names("720p,480p,360p").expect("presets"),
    );
    assert!(report.renditions.is_empty(), "{:?}", report.renditions);
    assert_eq!(report.skipped, vec!["720p", "480p", "360p"]);
    assert_eq!(report.total_pixels(), 0);
    assert_eq!(std::fs::read_dir(out.path()).expect("out dir").count(), 0);
    // Clamped: one rendition at the source's size, billed at that size.
    let mut ladder = presets_from_names("480p,240p").expect("presets");
    ladder[0].upscale = Upscale::Clamp;
    let (_out, report) = run(&src, &ladder);
    assert_eq!(report.skipped, vec!["240p"]);
    let r = &report.renditions[0];
    assert_eq!((r.name.as_str(), r.width, r.height), ("480p", 176, 144));
    assert_eq!(r.pixels, r.frames * 176 * 144);
    assert_eq!(report.total_pixels(), r.pixels);
}

#[test]
fn audio_can_be_copied_encoded_or_dropped_per_rendition() {
    let src = common::segment(640, 360, 30, 1.0);
    let mut a = Profile::preset("240p").expect("preset");
    a.name = "copy".into();
    let mut b = a.clone();
    b.name = "encode".into();
    b.audio = AudioMode::Encode;
    b.audio_bitrate = 64_000;
    let mut c = a.clone();
    c.name = "drop".into();
    c.audio = AudioMode::Drop;
    let (out, report) = run(&src, &[a, b, c]);
    let limits = Limits::default();
    let has_audio = |f: &str| {
        probe(&out.path().join(f), &limits)
            .expect("probe")
            .has_audio
    };
    assert!(report.renditions[0].audio_packets > 40 && has_audio("copy.ts"));
    assert!(report.renditions[1].audio_packets > 40 && has_audio("encode.ts"));
    assert_eq!(report.renditions[2].audio_packets, 0);
    assert!(!has_audio("drop.ts"));
}

#[test]
fn fixed_frame_rates_resample_by_timestamp() {
    let src = common::segment(640, 360, 30, 1.0);
    let mut half = Profile::preset("240p").expect("preset");
    half.name = "fps15".into();
    half.fps = 15;
    let mut double = half.clone();
    double.name = "fps60".into();
    double.fps = 60;
    let (out, report) = run(&src, &[half, double]);
    assert_eq!(report.renditions[0].frames, 15);
    assert_eq!(report.renditions[1].frames, 60);
    assert_eq!(report.renditions[1].pixels, 60 * 426 * 240);
    let p = probe(&out.path().join("fps60.ts"), &Limits::default()).expect("probe");
    assert_eq!(p.frames, 60);
    assert!((p.fps - 60.0).abs() < 0.01, "{}", p.fps);
    assert!(p.starts_with_idr);
}

#[test]
fn several_segments_report_progress_and_keep_going_after_a_failure() {
    let good = common::segment(320, 240, 30, 0.5);
    let bad = common::bytes_file("garbage.ts", &[0x47; 100]);
    let out = tempfile::tempdir().expect("tempdir");
    let inputs = vec![good.clone(), bad, good];
    let mut seen = Vec::new();
    let results = transcode_many(
        &inputs,
        &presets_from_names("240p").expect("presets"),
        out.path(),
        &TranscodeOptions::default(),
        |p| seen.push((p.done, p.total, p.outcome.is_ok())),
    );
    assert_eq!(seen, vec![(1, 3, true), (2, 3, false), (3, 3, true)]);
    assert_eq!(results.len(), 3);
    let stem = inputs[0].file_stem().expect("stem");
    assert!(out.path().join(stem).join("240p.ts").is_file());
}

#[test]
fn gop_length_and_h264_profile_follow_the_profile() {
    let src = common::segment(640, 360, 30, 1.0);
    let mut half_second = Profile::preset("240p").expect("preset");
    half_second.name = "gop05".into();
    half_second.gop_secs = 0.5;
    half_second.h264_profile = H264Profile::Baseline;
    let mut intra = Profile::preset("240p").expect("preset");
    intra.name = "intra".into();
    intra.gop_secs = 0.0;
    intra.h264_profile = H264Profile::Main;
    let (out, _report) = run(&src, &[half_second, intra]);
    let limits = Limits::default();
    let gop = probe(&out.path().join("gop05.ts"), &limits).expect("probe");
    assert_eq!(gop.keyframes, 2, "keyframes at frames 0 and 15");
    assert!(gop.profile.contains("Baseline"), "{}", gop.profile);
    let intra = probe(&out.path().join("intra.ts"), &limits).expect("probe");
    assert_eq!(intra.keyframes, 30);
    assert!(intra.profile.contains("Main"), "{}", intra.profile);
}
