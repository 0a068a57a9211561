//! Benchmark: our decode-once ladder against the `ffmpeg` CLI (one process
//! with a split filter, and three separate runs), plus the verifier's cost.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{Result, TranscodeError};
use crate::probe::probe;
use crate::profile::{Profile, presets_from_names};
use crate::testmedia::{SegmentSpec, generate_segment, run_ffmpeg};
use crate::transcode::{TranscodeOptions, transcode_segment};
use crate::verify::{Claim, Item, Level, VerifyOptions, verify_segment};

/// Benchmark settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Where to write media (a temporary directory when `None`).
    pub work_dir: Option<PathBuf>,
    /// Repetitions; the median run is reported.
    pub runs: usize,
    /// Segment durations in seconds (720p30 each).
    pub durations: Vec<f64>,
    /// A real segment to benchmark on instead of the synthetic ones.
    pub input: Option<PathBuf>,
}

/// CPU seconds (user + system) of this process or of its waited-for children.
#[allow(unsafe_code)]
fn cpu_secs(children: bool) -> f64 {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` points to writable memory of the right size; getrusage only
    // writes into it and returns 0 on success.
    let rc = unsafe { libc::getrusage(who, ru.as_mut_ptr()) };
    if rc != 0 {
        return 0.0;
    }
    // SAFETY: the struct was zero-initialised (valid for these plain integer
    // fields) and getrusage succeeded.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Wall and CPU seconds of one measured run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Wall-clock seconds.
    pub wall: f64,
    /// CPU seconds (user + system), own threads and children.
    pub cpu: f64,
}

fn measure(f: impl FnOnce() -> Result<()>) -> Result<Sample> {
    let (self0, child0, t0) = (cpu_secs(false), cpu_secs(true), Instant::now());
    f()?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs(false) - self0 + cpu_secs(true) - child0;
    Ok(Sample { wall, cpu })
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by(|a, b| a.wall.total_cmp(&b.wall));
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn x264_args(p: &Profile, fps: u32) -> Vec<String> {
    let gop = ((p.gop_secs * f64::from(fps)).round() as u32).max(1);
    [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-b:v",
        &format!("{}", p.bitrate),
        "-g",
        &gop.to_string(),
        "-profile:v",
        p.h264_profile.x264_name(),
        "-c:a",
        "copy",
        "-f",
        "mpegts",
    ]
    .map(String::from)
    .to_vec()
}

fn cli_split(
    src: &Path,
    ladder: &[Profile],
    dims: &[(u32, u32)],
    out: &Path,
    fps: u32,
) -> Result<()> {
    let n = ladder.len();
    let mut graph = format!("[0:v]split={n}");
    for i in 0..n {
        graph.push_str(&format!("[s{i}]"));
    }
    for (i, (w, h)) in dims.iter().enumerate() {
        graph.push_str(&format!(";[s{i}]scale={w}:{h}[o{i}]"));
    }
    let mut args: Vec<String> = vec!["-i".into(), src.display().to_string()];
    args.extend(["-filter_complex".into(), graph]);
    for (i, p) in ladder.iter().enumerate() {
        args.extend([
            "-map".into(),
            format!("[o{i}]"),
            "-map".into(),
            "0:a?".into(),
        ]);
        args.extend(x264_args(p, fps));
        args.push(out.join(format!("cli_{}.ts", p.name)).display().to_string());
    }
    run_ffmpeg(&args)
}

fn cli_separate(
    src: &Path,
    ladder: &[Profile],
    dims: &[(u32, u32)],
    out: &Path,
    fps: u32,
) -> Result<()> {
    for (p, (w, h)) in ladder.iter().zip(dims) {
        let mut args: Vec<String> = vec!["-i".into(), src.display().to_string()];
        args.extend(["-map", "0:v", "-map", "0:a?", "-vf"].map(String::from));
        args.push(format!("scale={w}:{h}"));
        args.extend(x264_args(p, fps));
        args.push(out.join(format!("sep_{}.ts", p.name)).display().to_string());
        run_ffmpeg(&args)?;
    }
    Ok(())
}

struct Row {
    segment: String,
    pipeline: &'static str,
    sample: Sample,
    media_secs: f64,
    note: String,
}

/// Runs the benchmark and returns a Markdown report.
pub fn run(cfg: &BenchConfig) -> Result<String> {
    let tmp;
    let dir = match &cfg.work_dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(TranscodeError::io(d))?;
            d.clone()
        }
        None => {
            tmp = std::env::temp_dir().join(format!("streamflow-bench-{}", std::process::id()));
            std::fs::create_dir_all(&tmp).map_err(TranscodeError::io(&tmp))?;
            tmp
        }
    };
    let ladder = presets_from_names("720p,480p,360p")?;
    let opts = TranscodeOptions::default();
    let runs = cfg.runs.max(1);
    let mut rows = Vec::new();
    let mut goals = Vec::new();
    for &secs in &cfg.durations {
        let fps = 30;
        let src = dir.join(format!("bench_{secs}s.ts"));
        generate_segment(&SegmentSpec::new(1280, 720, fps, secs), &src)?;
        let out = dir.join(format!("out_{secs}s"));
        std::fs::create_dir_all(&out).map_err(TranscodeError::io(&out))?;
        let sp = probe(&src, &opts.limits)?;
        let dims: Vec<(u32, u32)> = ladder
            .iter()
            .map(|p| crate::profile::output_dimensions(sp.width, sp.height, p.width, p.height))
            .collect();
        let label = format!("{secs} s 720p30");
        let mut ours = Vec::new();
        let mut split = Vec::new();
        let mut sep = Vec::new();
        let mut report = None;
        for _ in 0..runs {
            ours.push(measure(|| {
                report = Some(transcode_segment(&src, &ladder, &out, &opts)?);
                Ok(())
            })?);
            split.push(measure(|| cli_split(&src, &ladder, &dims, &out, fps))?);
            sep.push(measure(|| cli_separate(&src, &ladder, &dims, &out, fps))?);
        }
        let (ours, split, sep) = (median(ours), median(split), median(sep));
        let report = report.ok_or(TranscodeError::ZeroFrames)?;
        let verify_at = |level: Level| -> Result<Sample> {
            let vopts = VerifyOptions {
                level,
                ..VerifyOptions::default()
            };
            let mut samples = Vec::new();
            for _ in 0..runs {
                samples.push(measure(|| {
                    let sp = probe(&src, &vopts.limits)?;
                    let files: Vec<PathBuf> = report
                        .renditions
                        .iter()
                        .map(|r| out.join(&r.file))
                        .collect();
                    let items: Vec<Item<'_>> = ladder
                        .iter()
                        .zip(&report.renditions)
                        .zip(&files)
                        .map(|((p, r), f)| Item {
                            rendition: f,
                            profile: p,
                            claim: Claim::from(r),
                        })
                        .collect();
                    for v in verify_segment(&src, &sp, &items, &vopts)? {
                        if !v.verdict.is_pass() {
                            return Err(TranscodeError::Command {
                                command: "verify".into(),
                                reason: format!(
                                    "honest rendition {} not passed: {:?}",
                                    v.name, v.verdict
                                ),
                            });
                        }
                    }
                    Ok(())
                })?);
            }
            Ok(median(samples))
        };
        let cheap = verify_at(Level::Cheap)?;
        let full = verify_at(Level::Full)?;
        let pct = |s: Sample| {
            format!(
                "CPU = {:.1}% of our transcode",
                100.0 * s.cpu / ours.cpu.max(1e-9)
            )
        };
        rows.push(Row {
            segment: label.clone(),
            pipeline: "ours: decode once, 3 encoders",
            sample: ours,
            media_secs: secs,
            note: "-".into(),
        });
        rows.push(Row {
            segment: label.clone(),
            pipeline: "ffmpeg CLI, one process (split)",
            sample: split,
            media_secs: secs,
            note: format!(
                "ours: {:.2}x its wall speed; its CPU / ours = {:.2}",
                split.wall / ours.wall,
                split.cpu / ours.cpu.max(1e-9)
            ),
        });
        rows.push(Row {
            segment: label.clone(),
            pipeline: "ffmpeg CLI, 3 separate runs",
            sample: sep,
            media_secs: secs,
            note: format!(
                "ours: {:.2}x its wall speed; its CPU / ours = {:.2}",
                sep.wall / ours.wall,
                sep.cpu / ours.cpu.max(1e-9)
            ),
        });
        rows.push(Row {
            segment: label.clone(),
            pipeline: "verify: cheap probe checks (3 renditions)",
            sample: cheap,
            media_secs: secs,
            note: pct(cheap),
        });
        rows.push(Row {
            segment: label.clone(),
            pipeline: "verify: full (pixels + PSNR/SSIM)",
            sample: full,
            media_secs: secs,
            note: pct(full),
        });
        goals.push(format!(
            "- {label}: vs single-process CLI {:.2}x (goal >= 1.0: {}), vs 3 runs {:.2}x (goal >= 1.3: {}), cheap verify {:.1}% of transcode CPU (goal < 25%: {})",
            split.wall / ours.wall,
            ok(split.wall / ours.wall >= 1.0),
            sep.wall / ours.wall,
            ok(sep.wall / ours.wall >= 1.3),
            100.0 * cheap.cpu / ours.cpu.max(1e-9),
            ok(cheap.cpu < 0.25 * ours.cpu),
        ));
    }
    if cfg.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut md = String::from(
        "| segment | pipeline | wall s | real-time factor | CPU s | notes |\n|---|---|---:|---:|---:|---|\n",
    );
    for r in &rows {
        md.push_str(&format!(
            "| {} | {} | {:.3} | {:.2}x | {:.3} | {} |\n",
            r.segment,
            r.pipeline,
            r.sample.wall,
            r.media_secs / r.sample.wall.max(1e-9),
            r.sample.cpu,
            r.note
        ));
    }
    md.push_str(&format!(
        "\nLadder 720p/480p/360p, libx264 preset veryfast, threads auto, 2 s GOP, bicubic scaling, audio copied; median of {runs} run(s); {} cores.\n\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    md.push_str(&goals.join("\n"));
    md.push('\n');
    Ok(md)
}

fn ok(b: bool) -> &'static str {
    if b { "met" } else { "NOT met" }
}
