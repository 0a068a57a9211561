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
use crate::checks;
use crate::compare::{self, QualitySummary};
use crate::decode::Limits;
use crate::error::Result;
use crate::probe::{ProbeInfo, probe};
use crate::profile::Profile;
use crate::quality::Thresholds;
use crate::sampling::{Coverage, SampleKey, SamplingPolicy, coverage, positions, sample_count};
pub use crate::verdict::{Verdict, overall};

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
    /// Frames sampled per rendition for the quality check; `None` (the
    /// default) takes the smallest count that meets `sampling`'s target.
    pub samples: Option<usize>,
    /// Detection guarantees the sample count is chosen for.
    pub sampling: SamplingPolicy,
    /// The broadcaster's secret and segment identifier that key the sampled
    /// positions; `None` draws a fresh secret for every verification.
    pub key: Option<SampleKey>,
    /// Input guards (applied to source and rendition).
    pub limits: Limits,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            level: Level::Full,
            audit: false,
            samples: None,
            sampling: SamplingPolicy::default(),
            key: None,
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
        // A rung that should have been skipped expects the source's own size
        // (the cheap stage fails it with its own reason).
        let (width, height) = profile
            .output_size(source.width, source.height)
            .unwrap_or((source.width & !1, source.height & !1));
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
    /// How well the sampled frames cover the rendition, when sampled.
    pub coverage: Option<Coverage>,
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
    let sampling = opts.level != Level::Pixels;
    let key = match (&opts.key, sampling) {
        (Some(k), _) => Some(k.clone()),
        (None, true) => Some(SampleKey::random(b"")?),
        (None, false) => None,
    };
    for (p, it) in pending.iter_mut().zip(items) {
        if !p.fail.is_empty() || p.out.stage != "pixels" {
            continue;
        }
        let t = Instant::now();
        let frames = p.out.expected.frames;
        let wanted = match &key {
            Some(key) if sampling => {
                let n = opts
                    .samples
                    .unwrap_or_else(|| sample_count(frames, &opts.sampling));
                p.out.coverage = Some(coverage(frames, n, &opts.sampling));
                positions(key, &it.profile.name, frames, n)
            }
            _ => Vec::new(),
        };
        match compare::decode_rendition(it.rendition, &opts.limits, &wanted) {
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
        .filter(|&i| {
            sampling
                && pending[i].fail.is_empty()
                && pending[i]
                    .decoded
                    .as_ref()
                    .is_some_and(|d| !d.samples.is_empty())
        })
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
            checks::judge_quality(
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
        coverage: None,
        thresholds,
        probe_secs: 0.0,
        deep_secs: 0.0,
    };
    let t0 = Instant::now();
    let (fail, sus) = match probe(it.rendition, &opts.limits) {
        Ok(p) => {
            let r = checks::cheap_checks(&expected, it.profile, &it.claim, &p);
            out.probe = Some(p);
            r
        }
        Err(e) => (vec![format!("rendition unreadable: {e}")], Vec::new()),
    };
    let mut fail = fail;
    if it
        .profile
        .output_size(source_probe.width, source_probe.height)
        .is_none()
    {
        fail.insert(
            0,
            format!(
                "rung {} is larger than the {}x{} source and must be skipped, not upscaled",
                it.profile.name, source_probe.width, source_probe.height
            ),
        );
    }
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

/// Deterministic random audit draw for [`Level::Auto`]: `true` for about a
/// `rate` fraction of seeds (use e.g. a segment hash mixed with a private
/// nonce, so an orchestrator cannot predict which segments get audited).
pub fn audit_draw(seed: u64, rate: f64) -> bool {
    // splitmix64 finaliser
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
    unit < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_draw_hits_about_the_rate() {
        let hits = (0..10_000u64).filter(|&s| audit_draw(s, 0.1)).count();
        assert!((800..1200).contains(&hits), "{hits}");
        assert!(!(0..1000u64).any(|s| audit_draw(s, 0.0)));
        assert!((0..1000u64).all(|s| audit_draw(s, 1.0)));
        assert_eq!(audit_draw(42, 0.5), audit_draw(42, 0.5));
    }
}
