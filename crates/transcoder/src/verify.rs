//! Broadcaster-side verification of returned renditions.
//!
//! Checks escalate from cheap to expensive:
//! 1. **probe** (demux only): codec, resolution, frame rate, duration, frame
//!    count, keyframe at the start, bitrate, consistency of the claim;
//! 2. **pixels**: decode the rendition and recount pixels exactly;
//! 3. **quality**: PSNR (Y, U, V), SSIM and worst-block PSNR on sampled,
//!    timestamp-aligned frames against the source scaled to the rendition.
//!
//! Any failure in a cheaper stage stops there. In [`Level::Auto`] the
//! expensive stages run only on suspicion or when the segment was drawn for a
//! random audit.

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::accounting::RenditionReport;
use crate::compare::{self, QualitySummary};
use crate::decode::Limits;
use crate::error::Result;
use crate::probe::{ProbeInfo, probe};
use crate::profile::{Profile, output_dimensions};
use crate::quality::Thresholds;
pub use crate::verdict::{Verdict, overall};

/// Below this fraction of the target bitrate a rendition is suspicious.
const LOW_BITRATE_RATIO: f64 = 0.4;
/// Luma PSNR an under-spending rendition must still reach.
const STARVED_MIN_PSNR: f64 = 38.0;

/// How far verification may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Probe checks only.
    Cheap,
    /// Probe checks; pixels and quality only on suspicion or audit.
    Auto,
    /// Probe checks and the exact pixel count.
    Pixels,
    /// Everything.
    Full,
}

/// Options for [`verify_rendition`].
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// Deepest level to reach.
    pub level: Level,
    /// Whether this segment was drawn for a random audit (used by `Auto`).
    pub audit: bool,
    /// Frames sampled for the quality check.
    pub samples: usize,
    /// Input guards (applied to source and rendition).
    pub limits: Limits,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            level: Level::Full,
            audit: false,
            samples: 8,
            limits: Limits::default(),
        }
    }
}

/// What the orchestrator claims for a rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Claimed width.
    pub width: u32,
    /// Claimed height.
    pub height: u32,
    /// Claimed encoded frames.
    pub frames: u64,
    /// Claimed pixels (sum of width x height over frames).
    pub pixels: u64,
}

impl From<&RenditionReport> for Claim {
    fn from(r: &RenditionReport) -> Self {
        Self {
            width: r.width,
            height: r.height,
            frames: r.frames,
            pixels: r.pixels,
        }
    }
}

/// What the broadcaster expects from the source and the requested profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Frame rate.
    pub fps: f64,
    /// Frame count.
    pub frames: u64,
    /// Duration in seconds.
    pub duration_secs: f64,
}

impl Expected {
    /// Derives the expectation from the source probe and the profile.
    pub fn new(source: &ProbeInfo, profile: &Profile) -> Self {
        let (width, height) =
            output_dimensions(source.width, source.height, profile.width, profile.height);
        let (fps, frames) = match profile.frame_rate() {
            None => (source.fps, source.frames),
            Some((n, d)) => {
                let fps = f64::from(n) / f64::from(d);
                (
                    fps,
                    crate::profile::fixed_rate_frames(source.duration_secs, fps),
                )
            }
        };
        Self {
            width,
            height,
            fps,
            frames,
            duration_secs: source.duration_secs,
        }
    }
}

/// Full account of one rendition's verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenditionVerification {
    /// Profile name.
    pub name: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Deepest stage that ran: `probe`, `pixels` or `quality`.
    pub stage: String,
    /// Expectation derived from the source and profile.
    pub expected: Expected,
    /// The claim checked.
    pub claim: Claim,
    /// Rendition probe, when it could be read.
    pub probe: Option<ProbeInfo>,
    /// Exact decoded (frames, pixels), when decoded.
    pub decoded: Option<(u64, u64)>,
    /// Quality metrics, when compared.
    pub quality: Option<QualitySummary>,
    /// Thresholds applied to the quality metrics.
    pub thresholds: Thresholds,
    /// Wall seconds spent in the probe stage.
    pub probe_secs: f64,
    /// Wall seconds spent in the decode and quality stages.
    pub deep_secs: f64,
}

/// One rendition to verify.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The rendition file.
    pub rendition: &'a Path,
    /// The profile the broadcaster requested for it.
    pub profile: &'a Profile,
    /// What the orchestrator claims.
    pub claim: Claim,
}

/// Verifies one rendition against its source (see [`verify_segment`]).
pub fn verify_rendition(
    source: &Path,
    source_probe: &ProbeInfo,
    rendition: &Path,
    profile: &Profile,
    claim: &Claim,
    opts: &VerifyOptions,
) -> Result<RenditionVerification> {
    let item = Item {
        rendition,
        profile,
        claim: *claim,
    };
    let mut v = verify_segment(source, source_probe, &[item], opts)?;
    v.pop()
        .ok_or(crate::error::TranscodeError::Aborted("no result".into()))
}

/// Per-rendition state while the stages run.
struct Pending {
    out: RenditionVerification,
    fail: Vec<String>,
    sus: Vec<String>,
    decoded: Option<compare::DecodedRendition>,
}

/// Verifies every rendition of a segment, decoding the source at most once.
///
/// `source_probe` is the probe of `source`. Errors are returned only for
/// problems with the source or local I/O; a bad rendition always gets a
/// verdict.
pub fn verify_segment(
    source: &Path,
    source_probe: &ProbeInfo,
    items: &[Item<'_>],
    opts: &VerifyOptions,
) -> Result<Vec<RenditionVerification>> {
    let mut pending: Vec<Pending> = items
        .iter()
        .map(|it| cheap_stage(source_probe, it, opts))
        .collect();
    // Pixels: decode each escalated rendition (keeping the quality samples).
    let samples = if opts.level == Level::Pixels {
        0
    } else {
        opts.samples
    };
    for (p, it) in pending.iter_mut().zip(items) {
        if !p.fail.is_empty() || p.out.stage != "pixels" {
            continue;
        }
        let t = Instant::now();
        match compare::decode_rendition(it.rendition, &opts.limits, p.out.expected.frames, samples)
        {
            Ok(d) => {
                p.out.decoded = Some((d.frames, d.pixels));
                if d.pixels != it.claim.pixels || d.frames != it.claim.frames {
                    p.fail.push(format!(
                        "decoded {} frames / {} pixels, claimed {} / {}",
                        d.frames, d.pixels, it.claim.frames, it.claim.pixels
                    ));
                }
                p.decoded = Some(d);
            }
            Err(e) => p.fail.push(format!("rendition does not decode: {e}")),
        }
        p.out.deep_secs += t.elapsed().as_secs_f64();
    }
    // Quality: one pass over the source for every rendition still standing.
    let idx: Vec<usize> = (0..pending.len())
        .filter(|&i| samples > 0 && pending[i].fail.is_empty() && pending[i].decoded.is_some())
        .collect();
    if !idx.is_empty() {
        let t = Instant::now();
        let renditions: Vec<&compare::DecodedRendition> = idx
            .iter()
            .filter_map(|&i| pending[i].decoded.as_ref())
            .collect();
        let summaries = compare::compare_with_source(source, &opts.limits, &renditions)?;
        let share = t.elapsed().as_secs_f64() / idx.len() as f64;
        for (&i, q) in idx.iter().zip(summaries) {
            let p = &mut pending[i];
            p.out.stage = "quality".into();
            p.out.deep_secs += share;
            judge_quality(
                &mut p.out,
                items[i].profile.bitrate,
                q,
                &mut p.fail,
                &mut p.sus,
            );
        }
    }
    Ok(pending
        .into_iter()
        .map(|mut p| {
            p.out.verdict = Verdict::from_reasons(p.fail, p.sus);
            p.out
        })
        .collect())
}

fn cheap_stage(source_probe: &ProbeInfo, it: &Item<'_>, opts: &VerifyOptions) -> Pending {
    let expected = Expected::new(source_probe, it.profile);
    let thresholds = Thresholds::for_rendition(
        it.profile.bitrate,
        expected.width,
        expected.height,
        expected.fps,
    );
    let mut out = RenditionVerification {
        name: it.profile.name.clone(),
        verdict: Verdict::Pass,
        stage: "probe".into(),
        expected,
        claim: it.claim,
        probe: None,
        decoded: None,
        quality: None,
        thresholds,
        probe_secs: 0.0,
        deep_secs: 0.0,
    };
    let t0 = Instant::now();
    let (fail, sus) = match probe(it.rendition, &opts.limits) {
        Ok(p) => {
            let r = cheap_checks(&expected, it.profile, &it.claim, &p);
            out.probe = Some(p);
            r
        }
        Err(e) => (vec![format!("rendition unreadable: {e}")], Vec::new()),
    };
    out.probe_secs = t0.elapsed().as_secs_f64();
    let escalate = match opts.level {
        Level::Cheap => false,
        Level::Auto => opts.audit || !sus.is_empty(),
        Level::Pixels | Level::Full => true,
    };
    if fail.is_empty() && escalate {
        out.stage = "pixels".into();
    }
    Pending {
        out,
        fail,
        sus,
        decoded: None,
    }
}

/// Probe-level checks. Returns (failures, suspicions).
fn cheap_checks(
    exp: &Expected,
    profile: &Profile,
    claim: &Claim,
    p: &ProbeInfo,
) -> (Vec<String>, Vec<String>) {
    let (mut fail, mut sus) = (Vec::new(), Vec::new());
    if p.codec != "h264" {
        fail.push(format!("codec {} is not h264", p.codec));
    }
    if (p.width, p.height) != (exp.width, exp.height) {
        fail.push(format!(
            "wrong resolution {}x{}, expected {}x{}",
            p.width, p.height, exp.width, exp.height
        ));
    }
    if (claim.width, claim.height) != (p.width, p.height) {
        fail.push(format!(
            "claimed resolution {}x{} differs from the file's {}x{}",
            claim.width, claim.height, p.width, p.height
        ));
    }
    if exp.fps > 0.0 && (p.fps - exp.fps).abs() / exp.fps > 0.02 {
        fail.push(format!("frame rate {:.3}, expected {:.3}", p.fps, exp.fps));
    }
    if p.frames < exp.frames {
        fail.push(format!(
            "dropped frames: {} frames, expected {}",
            p.frames, exp.frames
        ));
    } else if p.frames > exp.frames {
        fail.push(format!(
            "duplicated frames: {} frames, expected {}",
            p.frames, exp.frames
        ));
    }
    let tolerance = 1.5 / exp.fps.max(1.0);
    if (p.duration_secs - exp.duration_secs).abs() > tolerance {
        fail.push(format!(
            "duration {:.3} s, expected {:.3} s",
            p.duration_secs, exp.duration_secs
        ));
    }
    if claim.frames != p.frames {
        fail.push(format!(
            "claimed {} frames, file has {}",
            claim.frames, p.frames
        ));
    }
    let implied = p.frames * u64::from(p.width) * u64::from(p.height);
    if claim.pixels != implied {
        fail.push(format!(
            "claimed {} pixels, the file implies {implied}",
            claim.pixels
        ));
    }
    if !p.starts_with_keyframe || !p.starts_with_idr {
        fail.push("rendition does not start with an IDR frame".into());
    }
    let target = f64::from(profile.bitrate);
    if p.video_bitrate < LOW_BITRATE_RATIO * target {
        sus.push(format!(
            "video bitrate {:.0} kb/s is far below the {:.0} kb/s target",
            p.video_bitrate / 1000.0,
            target / 1000.0
        ));
    }
    (fail, sus)
}

fn judge_quality(
    out: &mut RenditionVerification,
    bitrate: u32,
    q: QualitySummary,
    fail: &mut Vec<String>,
    sus: &mut Vec<String>,
) {
    let th = out.thresholds;
    let mut judge = |name: &str, value: f64, floor: f64, margin: f64, what: &str| {
        if value < floor {
            fail.push(format!("{name} {value:.2} below {floor:.2}{what}"));
        } else if value < floor + margin {
            sus.push(format!(
                "{name} {value:.2} close to the {floor:.2} floor{what}"
            ));
        }
    };
    let m = th.suspicious_margin_db;
    judge("luma PSNR", q.psnr_y, th.min_psnr_y, m, "");
    judge(
        "chroma PSNR",
        q.psnr_u.min(q.psnr_v),
        th.min_psnr_chroma,
        m,
        " (colour removed or altered?)",
    );
    judge("luma SSIM", q.ssim_y, th.min_ssim, 0.02, "");
    judge(
        "worst-block PSNR",
        q.worst_block_psnr,
        th.min_block_psnr,
        m,
        " (overlay or watermark?)",
    );
    let sampled = q.compared + q.misaligned;
    if q.compared == 0 || q.misaligned * 4 > sampled {
        fail.push(format!(
            "{} of {sampled} sampled frames have no source frame at their timestamp",
            q.misaligned
        ));
    }
    if q.temporal_mismatches >= 2.max(q.compared / 4) {
        fail.push(format!(
            "{} of {} sampled frames match a neighbouring source frame better (dropped, duplicated or shifted frames)",
            q.temporal_mismatches, q.compared
        ));
    } else if q.temporal_mismatches > 0 {
        sus.push(format!(
            "{} sampled frame matches a neighbouring source frame better",
            q.temporal_mismatches
        ));
    }
    // A rendition that did not spend its bits must be near-lossless (easy
    // content); otherwise it is a cheaper encode passed off as this rung.
    let starved = out
        .probe
        .as_ref()
        .is_some_and(|p| p.video_bitrate < LOW_BITRATE_RATIO * f64::from(bitrate));
    if starved && q.psnr_y < STARVED_MIN_PSNR {
        fail.push(format!(
            "low-bitrate substitution: bitrate under {:.0}% of target with luma PSNR {:.2} < {STARVED_MIN_PSNR}",
            LOW_BITRATE_RATIO * 100.0,
            q.psnr_y
        ));
    }
    out.quality = Some(q);
}
