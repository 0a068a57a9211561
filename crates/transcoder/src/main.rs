//! `streamflow-transcoder`: thin CLI over the library.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use streamflow_transcoder::{
    Limits, Profile, TranscodeReport, Verdict, bench, probe,
    profile::{presets_from_names, profiles_from_json},
    sampling::SampleKey,
    transcode::{self, TranscodeOptions},
    verify::{self, Claim, Level, VerifyOptions},
};
use tracing::{info, warn};

const EXAMPLES: &str = "\
Examples:
  # Transcode one segment into the standard ladder and write out/report.json
  streamflow-transcoder transcode -i seg0.ts -p 720p,480p,360p -o out/

  # A directory of segments with a JSON profile file (progress on stderr)
  streamflow-transcoder transcode --input-dir segments/ -p ladder.json -o out/

  # Verify renditions against the source, using the orchestrator's report as the claim
  streamflow-transcoder verify -s seg0.ts -r out/720p.ts -r out/480p.ts -p 720p,480p \\
      --report out/report.json

  # Verify with explicit claims (WIDTHxHEIGHT:FRAMES:PIXELS), cheap checks only
  streamflow-transcoder verify -s seg0.ts -r 360p.ts -p 360p --claim 640x360:60:13824000 --level cheap

  # Benchmark against the ffmpeg CLI on 2 s and 10 s 720p30 segments (Markdown table)
  streamflow-transcoder bench --runs 3

  # Benchmark on a real segment
  streamflow-transcoder bench --runs 5 --input media/bigbuckbunny.mp4

Exit status of verify: 0 pass, 3 suspicious, 4 fail; every command exits 1 on
an error and 2 on a bad command line.";

/// Streamflow reference transcoder and broadcaster-side verifier.
#[derive(Parser, Debug)]
#[command(version, about, after_help = EXAMPLES)]
struct Cli {
    /// More logging (-v: debug, -vv: trace and FFmpeg warnings).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Transcode segments into a ladder of renditions and write a JSON report.
    #[command(after_help = EXAMPLES)]
    Transcode(TranscodeArgs),
    /// Verify renditions against their source and print a verdict as JSON.
    ///
    /// Exit status: 0 pass, 3 suspicious, 4 fail, 1 error (2 bad usage).
    #[command(after_help = EXAMPLES)]
    Verify(VerifyArgs),
    /// Print the cheap probe of a segment as JSON.
    ///
    /// Exit status: 0 on success, 1 when the segment cannot be read
    /// (including dimensions FFmpeg cannot determine).
    Probe {
        /// Segment to probe.
        input: PathBuf,
    },
    /// Benchmark against the ffmpeg CLI and print a Markdown table.
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
struct LimitArgs {
    /// Refuse inputs larger than this many bytes.
    #[arg(long, default_value_t = Limits::default().max_bytes)]
    max_bytes: u64,
    /// Refuse inputs longer than this many seconds.
    #[arg(long, default_value_t = Limits::default().max_duration_secs)]
    max_duration: f64,
    /// Fail a rendition that encodes more than this many frames per decoded frame.
    #[arg(long, default_value_t = Limits::default().max_frame_ratio)]
    max_frame_ratio: f64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_bytes,
            max_duration_secs: self.max_duration,
            max_frame_ratio: self.max_frame_ratio,
            ..Limits::default()
        }
    }
}

#[derive(Args, Debug)]
struct TranscodeArgs {
    /// Input segment (MPEG-TS, H.264 with optional AAC); repeatable.
    #[arg(short, long = "input")]
    inputs: Vec<PathBuf>,
    /// Directory whose .ts files are transcoded in name order.
    #[arg(long)]
    input_dir: Option<PathBuf>,
    /// Comma-separated presets (240p,360p,480p,720p,1080p) or a JSON profile file.
    #[arg(short, long, default_value = "720p,480p,360p")]
    profiles: String,
    /// Output folder (one sub-folder per segment when there are several).
    #[arg(short, long)]
    output: PathBuf,
    /// libx264 preset.
    #[arg(long, default_value = "veryfast")]
    preset: String,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LevelArg {
    Cheap,
    Auto,
    Pixels,
    Full,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// The source segment the broadcaster sent.
    #[arg(short, long)]
    source: PathBuf,
    /// Rendition file(s) returned by the orchestrator.
    #[arg(short, long = "rendition", required = true)]
    renditions: Vec<PathBuf>,
    /// Profiles requested: presets or a JSON profile file. Matched to renditions
    /// by file stem, else by position.
    #[arg(short, long)]
    profiles: String,
    /// Transcode report (JSON) whose rendition entries are the claims.
    #[arg(long, conflicts_with = "claims")]
    report: Option<PathBuf>,
    /// Explicit claim per rendition, in order: WIDTHxHEIGHT:FRAMES:PIXELS.
    #[arg(long = "claim")]
    claims: Vec<String>,
    /// How deep to go.
    #[arg(long, value_enum, default_value = "full")]
    level: LevelArg,
    /// With --level auto: this segment was drawn for a random audit.
    #[arg(long)]
    audit: bool,
    /// With --level auto: draw the audit from this seed (e.g. a segment hash
    /// mixed with a private nonce) at --audit-rate.
    #[arg(long)]
    audit_seed: Option<u64>,
    /// Fraction of segments audited when --audit-seed is given.
    #[arg(long, default_value_t = 0.1)]
    audit_rate: f64,
    /// Frames sampled per rendition for the quality check (default: the
    /// smallest count that catches tampering on 10 % contiguous or 25 % spread
    /// frames with probability 0.99).
    #[arg(long)]
    samples: Option<usize>,
    /// Key file holding the broadcaster's sampling secret (32 raw bytes or 64
    /// hex digits). Without it a fresh random secret is drawn per run.
    #[arg(long, value_name = "PATH")]
    sample_key: Option<PathBuf>,
    /// Segment identifier mixed into the sampled positions with the secret
    /// (e.g. the signed receipt's hash).
    #[arg(long, default_value = "")]
    segment_id: String,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Working directory for generated media (a temporary one by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Segment durations in seconds (synthetic 720p30 segments).
    #[arg(long, value_delimiter = ',', default_value = "2,10")]
    durations: Vec<f64>,
    /// Benchmark on this segment instead of synthetic ones (H.264 in MPEG-TS or MP4).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
}

fn load_profiles(spec: &str) -> Result<Vec<Profile>> {
    let path = Path::new(spec);
    if spec.ends_with(".json") || path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {spec}"))?;
        Ok(profiles_from_json(&text)?)
    } else {
        Ok(presets_from_names(spec)?)
    }
}

fn cmd_transcode(args: &TranscodeArgs) -> Result<()> {
    let profiles = load_profiles(&args.profiles)?;
    let mut inputs = args.inputs.clone();
    if let Some(dir) = &args.input_dir {
        inputs.extend(transcode::segments_in_dir(dir)?);
    }
    if inputs.is_empty() {
        bail!("no input: give --input FILE or --input-dir DIR");
    }
    let opts = TranscodeOptions {
        limits: args.limits.limits(),
        x264_preset: args.preset.clone(),
    };
    let results = transcode::transcode_many(&inputs, &profiles, &args.output, &opts, |p| {
        match p.outcome {
            Ok(r) => info!(
                "[{}/{}] {}: {} frames -> {} renditions, {} pixels in {:.2}s",
                p.done,
                p.total,
                p.input.display(),
                r.decoded_frames,
                r.renditions.len(),
                r.total_pixels(),
                r.wall_secs
            ),
            Err(e) => warn!(
                "[{}/{}] {}: failed: {e}",
                p.done,
                p.total,
                p.input.display()
            ),
        }
    });
    let report_path = args.output.join("report.json");
    let failures = results.iter().filter(|r| r.is_err()).count();
    let json = if results.len() == 1 {
        match &results[0] {
            Ok(r) => serde_json::to_string_pretty(r)?,
            Err(e) => bail!("{}: {e}", inputs[0].display()),
        }
    } else {
        let items: Vec<serde_json::Value> = inputs
            .iter()
            .zip(&results)
            .map(|(i, r)| match r {
                Ok(rep) => serde_json::json!({ "input": i, "report": rep }),
                Err(e) => serde_json::json!({ "input": i, "error": e.to_string() }),
            })
            .collect();
        serde_json::to_string_pretty(&items)?
    };
    std::fs::create_dir_all(&args.output)?;
    std::fs::write(&report_path, &json)
        .with_context(|| format!("writing {}", report_path.display()))?;
    println!("{json}");
    if failures > 0 {
        bail!("{failures} of {} segments failed", results.len());
    }
    Ok(())
}

fn parse_claim(s: &str) -> Result<Claim> {
    let parse = || -> Option<Claim> {
        let (dims, rest) = s.split_once(':')?;
        let (w, h) = dims.split_once('x')?;
        let (frames, pixels) = rest.split_once(':')?;
        Some(Claim {
            width: w.parse().ok()?,
            height: h.parse().ok()?,
            frames: frames.parse().ok()?,
            pixels: pixels.parse().ok()?,
        })
    };
    parse().with_context(|| format!("bad claim {s:?}; expected WIDTHxHEIGHT:FRAMES:PIXELS"))
}

/// Exit status of `verify` when every rendition passed (and of every other
/// command that succeeded).
const EXIT_PASS: u8 = 0;
/// Exit status when the command could not run (bad input, I/O, ...); clap
/// exits with 2 on a bad command line.
const EXIT_ERROR: u8 = 1;
/// Exit status of `verify` when the worst verdict is Suspicious.
const EXIT_SUSPICIOUS: u8 = 3;
/// Exit status of `verify` when at least one rendition failed.
const EXIT_FAIL: u8 = 4;

fn cmd_verify(args: &VerifyArgs) -> Result<Verdict> {
    let profiles = load_profiles(&args.profiles)?;
    let report: Option<TranscodeReport> = match &args.report {
        Some(p) => {
            Some(serde_json::from_str(&std::fs::read_to_string(p)?).context("parsing the report")?)
        }
        None => None,
    };
    let opts = VerifyOptions {
        level: match args.level {
            LevelArg::Cheap => Level::Cheap,
            LevelArg::Auto => Level::Auto,
            LevelArg::Pixels => Level::Pixels,
            LevelArg::Full => Level::Full,
        },
        audit: args.audit
            || args
                .audit_seed
                .is_some_and(|s| verify::audit_draw(s, args.audit_rate)),
        samples: args.samples,
        sampling: streamflow_transcoder::sampling::SamplingPolicy::default(),
        key: match &args.sample_key {
            Some(path) => Some(SampleKey::from_file(path, args.segment_id.as_bytes())?),
            None => Some(SampleKey::random(args.segment_id.as_bytes())?),
        },
        limits: args.limits.limits(),
    };
    let source_probe = probe::probe(&args.source, &opts.limits).context("probing the source")?;
    let mut items = Vec::new();
    for (i, rendition) in args.renditions.iter().enumerate() {
        let stem = rendition
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let profile = profiles
            .iter()
            .find(|p| p.name == stem)
            .or_else(|| profiles.get(i))
            .with_context(|| format!("no profile for {}", rendition.display()))?;
        let claim = match (&report, args.claims.get(i)) {
            (Some(rep), _) => {
                let file = rendition
                    .file_name()
                    .map(|s| s.to_string_lossy().into_owned());
                let entry = rep
                    .renditions
                    .iter()
                    .find(|r| Some(&r.file) == file.as_ref() || r.name == profile.name)
                    .with_context(|| {
                        format!("no claim for {} in the report", rendition.display())
                    })?;
                Claim::from(entry)
            }
            (None, Some(c)) => parse_claim(c)?,
            (None, None) => bail!("give --report or one --claim per rendition"),
        };
        items.push(verify::Item {
            rendition,
            profile,
            claim,
        });
    }
    let results = verify::verify_segment(&args.source, &source_probe, &items, &opts)?;
    for v in &results {
        info!("{}: {:?} after the {} stage", v.name, v.verdict, v.stage);
    }
    let overall = verify::overall(&results);
    let out = serde_json::json!({
        "source": args.source,
        "overall": overall,
        "renditions": results,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(overall)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    streamflow_transcoder::quiet_ffmpeg(cli.verbose >= 2);
    let status = match &cli.command {
        Command::Transcode(a) => cmd_transcode(a).map(|()| EXIT_PASS),
        Command::Verify(a) => cmd_verify(a).map(|v| match v {
            Verdict::Pass => EXIT_PASS,
            Verdict::Suspicious { .. } => EXIT_SUSPICIOUS,
            Verdict::Fail { .. } => EXIT_FAIL,
        }),
        Command::Probe { input } => cmd_probe(input).map(|()| EXIT_PASS),
        Command::Bench(a) => cmd_bench(a).map(|()| EXIT_PASS),
    };
    match status {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("Error: {e:#}");
            std::process::ExitCode::from(EXIT_ERROR)
        }
    }
}

fn cmd_probe(input: &Path) -> Result<()> {
    let p = probe::probe(input, &Limits::default())?;
    println!("{}", serde_json::to_string_pretty(&p)?);
    Ok(())
}

fn cmd_bench(a: &BenchArgs) -> Result<()> {
    let table = bench::run(&bench::BenchConfig {
        work_dir: a.work_dir.clone(),
        runs: a.runs.max(1),
        durations: a.durations.clone(),
        input: a.input.clone(),
    })?;
    println!("{table}");
    Ok(())
}
