//! Broadcaster verification: honest renditions pass at every rung; tampered
//! ones (produced here with the ffmpeg CLI) are caught.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use streamflow_transcoder::probe::{ProbeInfo, probe};
use streamflow_transcoder::profile::{Profile, presets_from_names};
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};
use streamflow_transcoder::verify::{
    Claim, Item, Level, RenditionVerification, VerifyOptions, overall, verify_rendition,
    verify_segment,
};
use streamflow_transcoder::{Limits, TranscodeReport, Verdict};

struct Honest {
    _dir: tempfile::TempDir,
    out: PathBuf,
    report: TranscodeReport,
    profiles: Vec<Profile>,
}

/// The 1 s 720p source transcoded once into the whole ladder plus a 15 fps rung.
fn honest() -> &'static Honest {
    static CELL: OnceLock<Honest> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut profiles = presets_from_names("240p,360p,480p,720p,1080p").expect("presets");
        let mut low_fps = Profile::preset("360p").expect("preset");
        low_fps.name = "360p15".into();
        low_fps.fps = 15;
        profiles.push(low_fps);
        let report = transcode_segment(
            &common::source_720p(),
            &profiles,
            dir.path(),
            &TranscodeOptions::default(),
        )
        .expect("honest transcode");
        Honest {
            out: dir.path().to_path_buf(),
            _dir: dir,
            report,
            profiles,
        }
    })
}

fn source_probe() -> ProbeInfo {
    probe(&common::source_720p(), &Limits::default()).expect("probe source")
}

/// The honest claim for the 360p rung (what a cheating orchestrator reports).
fn claim_360p() -> Claim {
    Claim {
        width: 640,
        height: 360,
        frames: 30,
        pixels: 30 * 640 * 360,
    }
}

fn verify_at(rendition: &Path, preset: &str, claim: &Claim, level: Level) -> RenditionVerification {
    let opts = VerifyOptions {
        level,
        ..VerifyOptions::default()
    };
    let profile = Profile::preset(preset).expect("preset");
    verify_rendition(
        &common::source_720p(),
        &source_probe(),
        rendition,
        &profile,
        claim,
        &opts,
    )
    .expect("verification runs")
}

fn assert_fails(rendition: &Path, needle: &str) -> RenditionVerification {
    let v = verify_at(rendition, "360p", &claim_360p(), Level::Full);
    match &v.verdict {
        Verdict::Fail { reasons } => assert!(
            reasons.iter().any(|r| r.contains(needle)),
            "expected a reason containing {needle:?}, got {reasons:?}"
        ),
        other => panic!(
            "expected Fail({needle}), got {other:?}; quality {:?}",
            v.quality
        ),
    }
    v
}

fn tamper360(name: &str, filter: &str, bitrate: &str) -> PathBuf {
    common::tamper(
        &common::source_720p(),
        name,
        &format!("scale=640:360,{filter}"),
        bitrate,
    )
}

#[test]
fn honest_renditions_pass_at_every_rung() {
    let h = honest();
    let sp = source_probe();
    let opts = VerifyOptions::default();
    let mut results = Vec::new();
    // The 1080p rung would upscale the 720p source: skipped, not produced.
    assert_eq!(h.report.skipped, vec!["1080p"]);
    for r in &h.report.renditions {
        let profile = h
            .profiles
            .iter()
            .find(|p| p.name == r.name)
            .expect("profile of the rendition");
        let v = verify_rendition(
            &common::source_720p(),
            &sp,
            &h.out.join(&r.file),
            profile,
            &Claim::from(r),
            &opts,
        )
        .expect("verify");
        assert_eq!(
            v.verdict,
            Verdict::Pass,
            "{}: {:?} {:?}",
            r.name,
            v.verdict,
            v.quality
        );
        assert_eq!(v.stage, "quality");
        assert_eq!(v.decoded, Some((r.frames, r.pixels)));
        let q = v.quality.as_ref().expect("quality ran");
        assert!(
            q.compared >= 8 && q.misaligned == 0 && q.temporal_mismatches == 0,
            "{q:?}"
        );
        assert!(
            q.psnr_y > v.thresholds.min_psnr_y + 5.0,
            "{}: {q:?}",
            r.name
        );
        results.push(v);
    }
    assert_eq!(results.len(), 5);
    assert_eq!(overall(&results), Verdict::Pass);
}

#[test]
fn overlay_box_is_caught() {
    let t = tamper360(
        "t_box.ts",
        "drawbox=x=20:y=20:w=120:h=50:color=white@1:t=fill",
        "800k",
    );
    assert_fails(&t, "overlay or watermark");
}

#[test]
fn text_watermark_is_caught() {
    let t = tamper360(
        "t_text.ts",
        "drawtext=text='STREAMFLOW':x=10:y=10:fontsize=24:fontcolor=white",
        "800k",
    );
    assert_fails(&t, "overlay or watermark");
}

#[test]
fn grayscale_is_caught() {
    let t = tamper360("t_gray.ts", "format=gray,format=yuv420p", "800k");
    let v = assert_fails(&t, "chroma PSNR");
    let q = v.quality.expect("quality");
    assert!(
        q.psnr_y > 35.0,
        "luma is intact, only colour is gone: {q:?}"
    );
}

#[test]
fn wrong_resolution_is_caught_by_the_probe() {
    let t = common::tamper(&common::source_720p(), "t_res.ts", "scale=426:240", "800k");
    let v = assert_fails(&t, "wrong resolution 426x240");
    assert_eq!(v.stage, "probe", "no decoding needed");
}

#[test]
fn dropped_frames_are_caught() {
    let t = tamper360(
        "t_drop.ts",
        "select='not(eq(n\\,15))',setpts=N/FRAME_RATE/TB",
        "800k",
    );
    assert_fails(&t, "dropped frames: 29 frames");
}

#[test]
fn duplicated_frames_are_caught() {
    let t = tamper360("t_dup.ts", "fps=60", "800k");
    assert_fails(&t, "duplicated frames");
}

#[test]
fn frames_repeated_to_keep_the_count_are_caught() {
    // Every other frame dropped and the previous one repeated: same count,
    // same duration, only the timestamp-aligned comparison can tell.
    let t = tamper360("t_freeze.ts", "select='not(mod(n\\,2))',fps=30", "800k");
    assert_fails(&t, "neighbouring source frame");
}

#[test]
fn a_different_segment_is_caught() {
    let other = common::ffmpeg_to(
        "t_other.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-ss",
            "5",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "800k",
            "-g",
            "60",
            "-f",
            "mpegts",
        ],
    );
    assert_fails(&other, "luma PSNR");
    let mandel = common::ffmpeg_to(
        "t_mandel.ts",
        &[
            "-f",
            "lavfi",
            "-i",
            "mandelbrot=size=640x360:rate=30",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "800k",
            "-g",
            "60",
            "-f",
            "mpegts",
        ],
    );
    assert_fails(&mandel, "luma PSNR");
}

#[test]
fn low_bitrate_substitution_is_caught() {
    let t = tamper360("t_lowbr.ts", "null", "60k");
    assert_fails(&t, "low-bitrate substitution");
    // Auto escalates on the cheap bitrate suspicion and ends in a Fail.
    let v = verify_at(&t, "360p", &claim_360p(), Level::Auto);
    assert!(v.verdict.is_fail(), "{:?}", v.verdict);
    assert_eq!(v.stage, "quality");
    // Cheap alone only raises suspicion.
    let v = verify_at(&t, "360p", &claim_360p(), Level::Cheap);
    assert!(
        matches!(v.verdict, Verdict::Suspicious { .. }),
        "{:?}",
        v.verdict
    );
}

#[test]
fn inflated_claims_fail_cheaply() {
    let h = honest();
    let r = &h.report.renditions[1];
    let file = h.out.join(&r.file);
    let mut claim = Claim::from(r);
    claim.pixels += 640 * 360;
    let v = verify_at(&file, "360p", &claim, Level::Full);
    assert!(v.verdict.is_fail() && v.stage == "probe", "{v:?}");
    claim = Claim::from(r);
    claim.frames += 1;
    assert!(
        verify_at(&file, "360p", &claim, Level::Cheap)
            .verdict
            .is_fail()
    );
}

#[test]
fn cheap_and_auto_levels_stop_early_on_honest_work() {
    let h = honest();
    let r = &h.report.renditions[1];
    let v = verify_at(&h.out.join(&r.file), "360p", &Claim::from(r), Level::Auto);
    assert_eq!(
        (v.verdict.clone(), v.stage.as_str()),
        (Verdict::Pass, "probe")
    );
    assert!(v.quality.is_none() && v.decoded.is_none());
    let opts = VerifyOptions {
        level: Level::Auto,
        audit: true,
        ..VerifyOptions::default()
    };
    let profile = Profile::preset("360p").expect("preset");
    let v = verify_rendition(
        &common::source_720p(),
        &source_probe(),
        &h.out.join(&r.file),
        &profile,
        &Claim::from(r),
        &opts,
    )
    .expect("verify");
    assert_eq!((v.verdict, v.stage.as_str()), (Verdict::Pass, "quality"));
    // The cheap level cannot see an overlay: that is what audits are for.
    let t = tamper360(
        "t_box.ts",
        "drawbox=x=20:y=20:w=120:h=50:color=white@1:t=fill",
        "800k",
    );
    assert!(
        verify_at(&t, "360p", &claim_360p(), Level::Cheap)
            .verdict
            .is_pass()
    );
}

#[test]
fn unreadable_renditions_fail_instead_of_erroring() {
    let junk = common::bytes_file("junk_rendition.ts", &[0u8; 2000]);
    let v = verify_at(&junk, "360p", &claim_360p(), Level::Full);
    assert!(v.verdict.is_fail(), "{v:?}");
    let audio = common::ffmpeg_to(
        "audio_only_rendition.ts",
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
    assert!(
        verify_at(&audio, "360p", &claim_360p(), Level::Full)
            .verdict
            .is_fail()
    );
    let results = [verify_at(&junk, "360p", &claim_360p(), Level::Cheap)];
    assert!(overall(&results).is_fail());
}

#[test]
fn segment_verification_judges_each_rendition_on_one_source_pass() {
    let h = honest();
    let honest360 = h.out.join(&h.report.renditions[1].file);
    let gray = tamper360("t_gray.ts", "format=gray,format=yuv420p", "800k");
    let res = common::tamper(&common::source_720p(), "t_res.ts", "scale=426:240", "800k");
    let profile = Profile::preset("360p").expect("preset");
    let items = [
        Item {
            rendition: &honest360,
            profile: &profile,
            claim: claim_360p(),
        },
        Item {
            rendition: &gray,
            profile: &profile,
            claim: claim_360p(),
        },
        Item {
            rendition: &res,
            profile: &profile,
            claim: claim_360p(),
        },
    ];
    let v = verify_segment(
        &common::source_720p(),
        &source_probe(),
        &items,
        &VerifyOptions::default(),
    )
    .expect("verify");
    assert_eq!(v[0].verdict, Verdict::Pass, "{:?}", v[0]);
    assert!(
        v[1].verdict.is_fail() && v[1].stage == "quality",
        "{:?}",
        v[1].verdict
    );
    assert!(
        v[2].verdict.is_fail() && v[2].stage == "probe",
        "{:?}",
        v[2].verdict
    );
    assert!(
        overall(&v)
            .reasons()
            .iter()
            .all(|r| !r.starts_with("360p: ") || r.contains("360p"))
    );
    assert_eq!(
        overall(&v).reasons().len(),
        v[1].verdict.reasons().len() + v[2].verdict.reasons().len()
    );
}

#[test]
fn pixels_level_recounts_without_the_quality_pass() {
    let h = honest();
    let r = &h.report.renditions[0];
    let v = verify_at(&h.out.join(&r.file), "240p", &Claim::from(r), Level::Pixels);
    assert_eq!(v.verdict, Verdict::Pass, "{v:?}");
    assert_eq!(v.stage, "pixels");
    assert_eq!(v.decoded, Some((30, 30 * 426 * 240)));
    assert!(v.quality.is_none());
}

#[test]
fn honest_renditions_in_mp4_and_fragmented_mp4_pass() {
    let h = honest();
    let r = &h.report.renditions[1];
    let ts = h.out.join(&r.file);
    let mp4 = common::ffmpeg_to(
        "honest360.mp4",
        &[
            "-i",
            &ts.display().to_string(),
            "-c",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
            "-f",
            "mp4",
        ],
    );
    let fmp4 = common::ffmpeg_to(
        "honest360_frag.mp4",
        &[
            "-i",
            &ts.display().to_string(),
            "-c",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
            "-movflags",
            "frag_keyframe+empty_moov+default_base_moof",
            "-f",
            "mp4",
        ],
    );
    for file in [&ts, &mp4, &fmp4] {
        let p = probe(file, &Limits::default()).expect("probe");
        assert!(p.starts_with_idr, "{}: {p:?}", file.display());
        let v = verify_at(file, "360p", &Claim::from(r), Level::Full);
        assert_eq!(
            v.verdict,
            Verdict::Pass,
            "{}: {:?}",
            file.display(),
            v.verdict
        );
        assert_eq!(v.decoded, Some((r.frames, r.pixels)));
    }
}
