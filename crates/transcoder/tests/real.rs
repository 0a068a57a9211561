//! The verifier on real footage (clips fetched by `tools/fetch-media.sh`):
//! honest renditions from other encoders, presets and scalers pass with a
//! margin, and the tamper suite is caught at the level claimed.
//!
//! CI runs a representative set; `make transcoder-calibration` runs
//! the ignored `calibration_*` tests, which print the full tables.

mod common;

use std::path::{Path, PathBuf};

use streamflow_transcoder::Limits;
use streamflow_transcoder::probe::probe;
use streamflow_transcoder::profile::{Profile, profiles_from_json};
use streamflow_transcoder::sampling::{
    SampleKey, SamplingPolicy, coverage, positions, sample_count,
};
use streamflow_transcoder::testmedia::run_ffmpeg;
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};
use streamflow_transcoder::verify::{
    Claim, Level, RenditionVerification, VerifyOptions, verify_rendition,
};

/// A real source segment and the ladder used on it.
struct Source {
    key: &'static str,
    path: PathBuf,
    profiles: Vec<Profile>,
}

fn preset(name: &str) -> Profile {
    Profile::preset(name).expect("preset")
}

/// The rung for QCIF sources (the presets would all upscale them).
fn small_profile() -> Profile {
    let json = r#"[{"name":"120p","width":160,"height":120,"bitrate":150000}]"#;
    profiles_from_json(json).expect("profile").remove(0)
}

/// 720p with camera motion (Big Buck Bunny, 25 fps, 2 s).
fn bbb() -> Source {
    Source {
        key: "bbb720",
        path: common::real_segment("r_bbb.ts", "bigbuckbunny.mp4", 0.8, 2.0, "null"),
        profiles: vec![preset("360p"), preset("240p")],
    }
}

/// 640x272, low saturation, cyclists in motion (25 fps, 2 s).
fn bikes() -> Source {
    Source {
        key: "bikes272",
        path: common::real_segment("r_bikes.ts", "bikes.mp4", 4.0, 2.0, "null"),
        profiles: vec![preset("360p"), preset("240p")],
    }
}

/// The bikes footage darkened to a night scene (mean luma about 35).
fn dark() -> Source {
    Source {
        key: "bikes-dark",
        path: common::real_segment(
            "r_dark.ts",
            "bikes.mp4",
            6.0,
            2.0,
            "eq=brightness=-0.22:gamma=0.7",
        ),
        profiles: vec![preset("240p")],
    }
}

/// 176x144 head-and-shoulders in a moving car (29.97 fps, 2 s).
fn carphone() -> Source {
    Source {
        key: "carphone144",
        path: common::real_segment("r_car.ts", "carphone_pristine.mp4", 0.0, 2.0, "null"),
        profiles: vec![small_profile()],
    }
}

fn dims(src: &Source, p: &Profile) -> (u32, u32) {
    let sp = probe(&src.path, &Limits::default()).expect("probe source");
    p.output_size(sp.width, sp.height)
        .expect("rung fits the source")
}

/// Encodes `src` with the ffmpeg CLI: `pre` filters before scaling, `post`
/// after, x264 `preset`, scaler `flags`, bitrate = rung bitrate / `starve`.
#[allow(clippy::too_many_arguments)]
fn cli(
    src: &Source,
    p: &Profile,
    name: &str,
    pre: &str,
    post: &str,
    x264: &str,
    flags: &str,
    starve: u32,
) -> PathBuf {
    let (w, h) = dims(src, p);
    let mut vf = String::new();
    if !pre.is_empty() {
        vf.push_str(pre);
        vf.push(',');
    }
    vf.push_str(&format!("scale={w}:{h}:flags={flags}"));
    if !post.is_empty() {
        vf.push(',');
        vf.push_str(post);
    }
    // The arguments are part of the name, so an edited filter never reuses a stale file.
    let bitrate = p.bitrate / starve;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&(&vf, x264, bitrate), &mut h);
    let file = format!(
        "{}_{}_{name}_{:08x}.ts",
        src.key,
        p.name,
        std::hash::Hasher::finish(&h) as u32
    );
    common::cached(&file, |out| {
        let args = [
            "-i",
            &src.path.display().to_string(),
            "-map",
            "0:v",
            "-map",
            "0:a?",
            "-c:a",
            "copy",
            "-vf",
            &vf,
            "-c:v",
            "libx264",
            "-preset",
            x264,
            "-b:v",
            &bitrate.to_string(),
            "-g",
            "50",
            "-f",
            "mpegts",
            &out.display().to_string(),
        ];
        run_ffmpeg(&args).expect("ffmpeg rendition");
    })
}

/// Our transcoder with x264 `preset`.
fn ours(src: &Source, p: &Profile, x264: &str) -> PathBuf {
    let file = format!("{}_{}_ours_{x264}.ts", src.key, p.name);
    common::cached(&file, |out| {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = TranscodeOptions {
            x264_preset: x264.into(),
            ..TranscodeOptions::default()
        };
        let r = transcode_segment(&src.path, std::slice::from_ref(p), dir.path(), &opts)
            .expect("transcode");
        std::fs::copy(dir.path().join(&r.renditions[0].file), out).expect("copy");
    })
}

/// The self-consistent claim of a file: what it really contains.
fn claim_of(file: &Path) -> Claim {
    let p = probe(file, &Limits::default()).expect("probe rendition");
    Claim {
        width: p.width,
        height: p.height,
        frames: p.frames,
        pixels: p.frames * u64::from(p.width) * u64::from(p.height),
    }
}

fn verify_with(
    src: &Source,
    p: &Profile,
    file: &Path,
    level: Level,
    key: u8,
) -> RenditionVerification {
    let opts = VerifyOptions {
        level,
        key: Some(SampleKey::new([key; 32], src.key.as_bytes())),
        ..VerifyOptions::default()
    };
    let sp = probe(&src.path, &opts.limits).expect("probe source");
    verify_rendition(&src.path, &sp, file, p, &claim_of(file), &opts).expect("verify runs")
}

fn verdict_word(v: &RenditionVerification) -> &'static str {
    match v.verdict {
        streamflow_transcoder::Verdict::Pass => "pass",
        streamflow_transcoder::Verdict::Suspicious { .. } => "suspicious",
        streamflow_transcoder::Verdict::Fail { .. } => "FAIL",
    }
}

/// One honest-set row: verdict and the margin to each floor.
fn margins_row(src: &Source, p: &Profile, enc: &str, v: &RenditionVerification) -> String {
    let t = v.thresholds;
    let Some(q) = v.quality.as_ref() else {
        return format!(
            "| {} | {} | {enc} | {} | - |",
            src.key,
            p.name,
            verdict_word(v)
        );
    };
    let c = &q.colour;
    let wf = q.worst_frame_colour;
    format!(
        "| {} | {} | {enc} | {} | {:.1} (+{:.1}) | {:.1} (+{:.1}) | {:.1} (+{:.1}) | {:.1} (+{:.1}) | {:.3} | x{:.3} {:+.1}° {:.2}lv | {} | {:.3} |",
        src.key,
        p.name,
        verdict_word(v),
        q.psnr_y,
        q.psnr_y - t.min_psnr_y,
        q.min_psnr_y,
        q.min_psnr_y - t.min_frame_psnr_y,
        q.worst_block_psnr,
        q.worst_block_psnr - t.min_block_psnr,
        q.min_block_psnr,
        q.min_block_psnr - t.min_frame_block_psnr,
        q.ssim_y,
        c.saturation(),
        c.hue_deg(),
        c.shift_levels(),
        wf.map_or("-".into(), |w| format!(
            "x{:.2} {:+.1}° {:.2}lv (rms {:.1})",
            w.saturation, w.hue_deg, w.shift_levels, w.ref_rms
        )),
        q.detail.ratio(),
    )
}

const MARGIN_HEADER: &str = "| source | rung | encoder | verdict | luma PSNR (margin) | worst frame PSNR | median worst block | worst frame block | SSIM | colour vs source (gain, hue, shift) | worst frame colour | fine detail kept |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

/// Encoders of the honest set: (label, rendition).
fn honest_set(src: &Source, p: &Profile, full: bool) -> Vec<(String, PathBuf)> {
    let mut v = vec![
        ("ours veryfast".to_string(), ours(src, p, "veryfast")),
        (
            "CLI ultrafast bicubic".into(),
            cli(src, p, "h_uf", "", "", "ultrafast", "bicubic", 1),
        ),
        (
            "CLI slow lanczos".into(),
            cli(src, p, "h_slow", "", "", "slow", "lanczos", 1),
        ),
        (
            "CLI veryfast area".into(),
            cli(src, p, "h_area", "", "", "veryfast", "area", 1),
        ),
    ];
    if full {
        v.extend([
            ("ours ultrafast".to_string(), ours(src, p, "ultrafast")),
            ("ours medium".to_string(), ours(src, p, "medium")),
            (
                "CLI superfast bilinear".into(),
                cli(src, p, "h_sf", "", "", "superfast", "bilinear", 1),
            ),
            (
                "CLI faster fast_bilinear".into(),
                cli(src, p, "h_fb", "", "", "faster", "fast_bilinear", 1),
            ),
            (
                "CLI fast spline".into(),
                cli(src, p, "h_spline", "", "", "fast", "spline", 1),
            ),
            (
                "CLI medium bicubic".into(),
                cli(src, p, "h_med", "", "", "medium", "bicubic", 1),
            ),
        ]);
    }
    v
}

fn check_honest(sources: &[Source], full: bool, keys: &[u8]) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for src in sources {
        for p in &src.profiles {
            for (enc, file) in honest_set(src, p, full) {
                for &k in keys {
                    let v = verify_with(src, p, &file, Level::Full, k);
                    if v.verdict.is_fail() {
                        bad.push(format!(
                            "{} {} {enc} key {k}: {:?}",
                            src.key, p.name, v.verdict
                        ));
                    }
                    rows.push(margins_row(src, p, &enc, &v));
                }
            }
        }
    }
    println!("{MARGIN_HEADER}\n{}", rows.join("\n"));
    assert!(
        bad.is_empty(),
        "honest renditions failed:\n{}",
        bad.join("\n")
    );
}

/// How a rendition is tampered with.
struct Tamper {
    name: &'static str,
    pre: &'static str,
    post: &'static str,
    starve: u32,
    /// Not caught by the metric checks (a documented gap): reported, not asserted.
    known_gap: bool,
}

const fn t(name: &'static str, pre: &'static str, post: &'static str) -> Tamper {
    Tamper {
        name,
        pre,
        post,
        starve: 1,
        known_gap: false,
    }
}

/// The tamper suite. Frame-numbered tampering assumes 50-frame segments:
/// frames 20-24 are a contiguous 10 %, every 4th frame a spread 25 %.
fn tampers() -> Vec<Tamper> {
    vec![
        t(
            "overlay opaque box",
            "",
            "drawbox=x=iw/8:y=ih/8:w=iw/4:h=ih/6:color=white@1:t=fill",
        ),
        t(
            "overlay translucent box",
            "",
            "drawbox=x=iw/8:y=ih/8:w=iw/4:h=ih/6:color=white@0.35:t=fill",
        ),
        t(
            "overlay outline",
            "",
            "drawbox=x=iw/8:y=ih/8:w=iw/4:h=ih/6:color=red@1:t=3",
        ),
        t(
            "overlay small logo",
            "",
            "drawbox=x=iw-56:y=ih-28:w=40:h=16:color=yellow@1:t=fill",
        ),
        t(
            "text watermark",
            "",
            "drawtext=text='STREAMFLOW':x=8:y=8:fontsize=h/14:fontcolor=white",
        ),
        t("grayscale", "", "hue=s=0"),
        t("desaturate x0.7", "", "eq=saturation=0.7"),
        t("saturate x1.3", "", "eq=saturation=1.3"),
        t("hue shift 20°", "", "hue=h=20"),
        t("colour cast (Cb +6)", "", "lutyuv=u='clip(val+6,0,255)'"),
        t("brighter (+6 % luma)", "", "eq=brightness=0.06"),
        t("horizontal flip", "", "hflip"),
        t("vertical flip", "", "vflip"),
        t("crop 90 % and rescale", "crop=iw*0.9:ih*0.9", ""),
        t(
            "upscaled from half resolution",
            "",
            "scale=iw/2:ih/2,scale=iw*2:ih*2",
        ),
        t(
            "upscaled from half resolution, lanczos, sharpened",
            "",
            "scale=iw/2:ih/2:flags=lanczos,scale=iw*2:ih*2:flags=lanczos,unsharp=5:5:1.0",
        ),
        t(
            "temporal shift 1 frame",
            "",
            "select='gte(n\\,1)',setpts=N/FRAME_RATE/TB,tpad=stop_mode=clone:stop=1",
        ),
        t(
            "frame dropped",
            "",
            "select='not(eq(n\\,15))',setpts=N/FRAME_RATE/TB",
        ),
        t(
            "frame duplicated",
            "",
            "setpts='(N+gte(N\\,15))/FRAME_RATE/TB',fps=25",
        ),
        t(
            "every 2nd frame repeated",
            "",
            "select='not(mod(n\\,2))',fps=25",
        ),
        Tamper {
            name: "bitrate starved (1/8)",
            pre: "",
            post: "",
            starve: 8,
            known_gap: false,
        },
        t(
            "partial: box on contiguous 10 %",
            "",
            "drawbox=x=iw/8:y=ih/8:w=iw/4:h=ih/6:color=white@1:t=fill:enable='between(n\\,20\\,24)'",
        ),
        t(
            "partial: grayscale on contiguous 10 %",
            "",
            "hue=s=0:enable='between(n\\,20\\,24)'",
        ),
        t(
            "spread: box on every 4th frame (25 %)",
            "",
            "drawbox=x=iw/8:y=ih/8:w=iw/4:h=ih/6:color=white@1:t=fill:enable='eq(mod(n\\,4)\\,1)'",
        ),
        t(
            "spread: text on every 4th frame (25 %)",
            "",
            "drawtext=text='AD':x=8:y=8:fontsize=h/10:fontcolor=white:enable='eq(mod(n\\,4)\\,0)'",
        ),
    ]
}

fn tampered(src: &Source, p: &Profile, tamper: &Tamper) -> PathBuf {
    let tag: String = tamper
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    cli(
        src,
        p,
        &format!("t_{tag}"),
        tamper.pre,
        tamper.post,
        "veryfast",
        "bicubic",
        tamper.starve,
    )
}

/// Content of another clip passed off as this segment's rendition.
fn substituted(src: &Source, p: &Profile, other: &Source) -> PathBuf {
    let (w, h) = dims(src, p);
    let file = format!("{}_{}_t_substituted.ts", src.key, p.name);
    let frames = probe(&src.path, &Limits::default()).expect("probe").frames;
    common::cached(&file, |out| {
        let args = [
            "-i",
            &other.path.display().to_string(),
            "-map",
            "0:v",
            "-vf",
            &format!("scale={w}:{h},fps=25,setpts=N/FRAME_RATE/TB"),
            "-frames:v",
            &frames.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            &p.bitrate.to_string(),
            "-f",
            "mpegts",
            &out.display().to_string(),
        ];
        run_ffmpeg(&args).expect("ffmpeg substitute");
    })
}

/// Runs the suite on `src` at `levels` with each key; returns the table rows
/// and the tampers not failed at `full` with every key.
fn tamper_suite(
    src: &Source,
    other: &Source,
    levels: &[Level],
    keys: &[u8],
) -> (Vec<String>, Vec<String>) {
    let p = &src.profiles[0];
    let mut cases: Vec<(String, PathBuf, bool)> = tampers()
        .iter()
        .map(|t| (t.name.to_string(), tampered(src, p, t), t.known_gap))
        .collect();
    cases.push((
        "substituted content".into(),
        substituted(src, p, other),
        false,
    ));
    let (mut rows, mut missed) = (Vec::new(), Vec::new());
    for (name, file, gap) in &cases {
        let mut cells = Vec::new();
        for &level in levels {
            let vs: Vec<RenditionVerification> = keys
                .iter()
                .map(|&k| verify_with(src, p, file, level, k))
                .collect();
            let fails = vs.iter().filter(|v| v.verdict.is_fail()).count();
            let sus = vs
                .iter()
                .filter(|v| matches!(v.verdict, streamflow_transcoder::Verdict::Suspicious { .. }))
                .count();
            cells.push(if keys.len() == 1 {
                verdict_word(&vs[0]).to_string()
            } else {
                format!("{fails}/{} fail, {sus} sus", keys.len())
            });
            if level == Level::Full && fails < keys.len() && !gap {
                missed.push(format!(
                    "{} {}: {name}: {:?} {:?}",
                    src.key,
                    p.name,
                    vs.iter().map(|v| v.verdict.clone()).find(|v| !v.is_fail()),
                    vs[0].quality.as_ref().map(|q| (
                        q.psnr_y,
                        q.min_psnr_y,
                        q.worst_block_psnr,
                        q.min_block_psnr,
                        q.colour.saturation(),
                        q.colour.hue_deg(),
                        q.colour.shift_levels()
                    ))
                ));
            }
        }
        rows.push(format!(
            "| {} {} | {name} | {} |",
            src.key,
            p.name,
            cells.join(" | ")
        ));
    }
    (rows, missed)
}

fn print_tamper_table(levels: &[Level], rows: &[String]) {
    let names: Vec<String> = levels
        .iter()
        .map(|l| format!("{l:?}").to_lowercase())
        .collect();
    println!(
        "| source | tamper | {} |\n|---|---|{}\n{}",
        names.join(" | "),
        "---|".repeat(levels.len()),
        rows.join("\n")
    );
}

#[test]
fn honest_renditions_of_real_footage_pass() {
    check_honest(&[bbb(), bikes(), dark(), carphone()], false, &[1]);
}

#[test]
fn tamper_suite_on_real_720p_footage_fails_at_full() {
    let (rows, missed) = tamper_suite(&bbb(), &bikes(), &[Level::Full], &[1]);
    print_tamper_table(&[Level::Full], &rows);
    assert!(missed.is_empty(), "not caught:\n{}", missed.join("\n"));
}

#[test]
fn tamper_suite_on_low_saturation_footage_fails_at_full() {
    let (rows, missed) = tamper_suite(&bikes(), &bbb(), &[Level::Full], &[2]);
    print_tamper_table(&[Level::Full], &rows);
    assert!(missed.is_empty(), "not caught:\n{}", missed.join("\n"));
}

/// Partial and spread tampering at `full`: for 8 keys each, every key whose
/// sampled positions include a tampered frame fails the rendition, and the
/// contiguous run is always sampled. (That the positions hit such patterns at
/// least as often as the reported coverage promises is tested in
/// `sampling::tests` over 4,000 keys.)
#[test]
fn partial_and_spread_tampering_is_caught_with_the_stated_probability() {
    let src = bbb();
    let p = &src.profiles[0];
    let frames = 50u64;
    let policy = SamplingPolicy::default();
    let n = sample_count(frames, &policy);
    let cov = coverage(frames, n, &policy);
    assert!(cov.p_contiguous >= 0.99 && cov.p_spread >= 0.99, "{cov:?}");
    // (tamper, tampered frame indices) - see tampers().
    let cases: [(&str, Vec<u64>); 4] = [
        ("partial: box on contiguous 10 %", (20..25).collect()),
        ("partial: grayscale on contiguous 10 %", (20..25).collect()),
        (
            "spread: box on every 4th frame (25 %)",
            (0..frames).filter(|n| n % 4 == 1).collect(),
        ),
        (
            "spread: text on every 4th frame (25 %)",
            (0..frames).filter(|n| n % 4 == 0).collect(),
        ),
    ];
    for (name, bad) in &cases {
        let t = tampers()
            .into_iter()
            .find(|t| t.name == *name)
            .expect("tamper");
        let file = tampered(&src, p, &t);
        let hits = |k: &SampleKey| {
            positions(k, &p.name, frames, n)
                .iter()
                .any(|i| bad.contains(i))
        };
        let contiguous = bad.windows(2).all(|w| w[1] == w[0] + 1);
        for k in 10..18u8 {
            let key = SampleKey::new([k; 32], src.key.as_bytes());
            let v = verify_with(&src, p, &file, Level::Full, k);
            assert_eq!(v.coverage, Some(cov));
            assert!(hits(&key) || !contiguous, "{name} key {k}: run not sampled");
            if hits(&key) {
                assert!(v.verdict.is_fail(), "{name} key {k}: {:?}", v.verdict);
            }
        }
    }
}

#[test]
#[ignore = "calibration: full honest matrix (make transcoder-calibration)"]
fn calibration_honest_matrix() {
    check_honest(&[bbb(), bikes(), dark(), carphone()], true, &[1, 2, 3]);
}

#[test]
#[ignore = "calibration: tamper x level table (make transcoder-calibration)"]
fn calibration_tamper_table() {
    let levels = [Level::Cheap, Level::Auto, Level::Pixels, Level::Full];
    let mut all = Vec::new();
    let mut missed = Vec::new();
    for (src, other) in [(bbb(), bikes()), (bikes(), bbb()), (dark(), bbb())] {
        let (rows, m) = tamper_suite(&src, &other, &levels, &[1, 2, 3]);
        all.extend(rows);
        missed.extend(m);
    }
    print_tamper_table(&levels, &all);
    assert!(missed.is_empty(), "not caught:\n{}", missed.join("\n"));
}

#[test]
#[ignore = "calibration: fine detail kept by each tamper (make transcoder-calibration)"]
fn calibration_detail_of_tampers() {
    for (src, other) in [(bbb(), bikes()), (bikes(), bbb()), (dark(), bbb())] {
        let p = &src.profiles[0];
        let mut cases: Vec<(String, PathBuf)> = tampers()
            .iter()
            .map(|t| (t.name.to_string(), tampered(&src, p, t)))
            .collect();
        cases.push(("substituted content".into(), substituted(&src, p, &other)));
        for (name, file) in cases {
            let v = verify_with(&src, p, &file, Level::Full, 1);
            let d = v.quality.as_ref().map_or(f64::NAN, |q| q.detail.ratio());
            println!(
                "| {} {} | {name} | {} | {d:.3} |",
                src.key,
                p.name,
                verdict_word(&v)
            );
        }
    }
}

/// Renditions made below the rung's resolution and upscaled to it.
fn upscale_cheats(src: &Source, p: &Profile) -> Vec<(String, PathBuf)> {
    let (w, h) = dims(src, p);
    let third = format!("scale=trunc(iw/3)*2:trunc(ih/3)*2,scale={w}:{h}");
    vec![
        (
            "half bicubic".into(),
            cli(
                src,
                p,
                "u_half",
                "",
                "scale=iw/2:ih/2,scale=iw*2:ih*2",
                "veryfast",
                "bicubic",
                1,
            ),
        ),
        (
            "half lanczos".into(),
            cli(
                src,
                p,
                "u_lanczos",
                "",
                "scale=iw/2:ih/2:flags=lanczos,scale=iw*2:ih*2:flags=lanczos",
                "veryfast",
                "bicubic",
                1,
            ),
        ),
        (
            "half area, bilinear up".into(),
            cli(
                src,
                p,
                "u_area",
                "",
                "scale=iw/2:ih/2:flags=area,scale=iw*2:ih*2:flags=bilinear",
                "veryfast",
                "bicubic",
                1,
            ),
        ),
        (
            "half lanczos, sharpened".into(),
            cli(
                src,
                p,
                "u_sharp",
                "",
                "scale=iw/2:ih/2:flags=lanczos,scale=iw*2:ih*2:flags=lanczos,unsharp=5:5:1.0",
                "veryfast",
                "bicubic",
                1,
            ),
        ),
        (
            "two thirds bicubic".into(),
            cli(src, p, "u_third", "", &third, "veryfast", "bicubic", 1),
        ),
    ]
}

#[test]
#[ignore = "calibration: detail above half resolution, honest vs upscaled (make transcoder-calibration)"]
fn calibration_upscale_detection() {
    println!(
        "| source | rung | encoder | verdict | luma PSNR | detail above half resolution kept | its energy ratio | source's RMS detail |\n|---|---|---|---|---:|---:|---:|---:|"
    );
    let mut wrong = Vec::new();
    for src in [bbb(), bikes(), dark(), carphone()] {
        for p in &src.profiles {
            let honest = honest_set(&src, p, true);
            let n_honest = honest.len();
            let mut cases = honest;
            cases.extend(upscale_cheats(&src, p));
            for (i, (enc, file)) in cases.into_iter().enumerate() {
                let v = verify_with(&src, p, &file, Level::Full, 1);
                let cheat = i >= n_honest;
                // Renditions made at two thirds of the size are reported, not judged.
                if (cheat && enc.starts_with("half") && !v.verdict.is_fail())
                    || (!cheat && v.verdict.is_fail())
                {
                    wrong.push(format!("{} {} {enc}: {:?}", src.key, p.name, v.verdict));
                }
                let q = v.quality.as_ref().expect("quality");
                println!(
                    "| {} | {} | {enc} | {} | {:.2} | {:.3} | {:.3} | {:.2} |",
                    src.key,
                    p.name,
                    verdict_word(&v),
                    q.psnr_y,
                    q.sharpness.ratio(),
                    q.sharpness.energy_ratio(),
                    q.sharpness.ref_rms(),
                );
            }
        }
    }
    assert!(wrong.is_empty(), "misjudged:\n{}", wrong.join("\n"));
}
