//! The individual judgements of the verifier: probe-level checks and the
//! quality verdict, as pure functions of the measurements.

use crate::compare::{FrameColour, QualitySummary};
use crate::probe::ProbeInfo;
use crate::profile::Profile;
use crate::quality::{ColourTolerance, FrameQuality};
use crate::verify::{Claim, Expected, RenditionVerification};

/// Below this fraction of the target bitrate a rendition is suspicious.
pub(crate) const LOW_BITRATE_RATIO: f64 = 0.4;
/// Luma PSNR an under-spending rendition must still reach.
pub(crate) const STARVED_MIN_PSNR: f64 = 38.0;

/// Probe-level checks. Returns (failures, suspicions).
pub(crate) fn cheap_checks(
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

/// Below this share of the source's detail above [`SHARP_CUTOFF`] cycles per
/// pixel a rendition fails: it was made at a lower resolution and upscaled to
/// the rung's size (and billed at that size). On the sample clips honest
/// renditions kept 0.16 or more (the lowest: a `fast_bilinear` scaler at
/// 240p, whose aliasing differs from the reference's), renditions made at
/// half the resolution and upscaled at most 0.10, sharpened or not.
///
/// [`SHARP_CUTOFF`]: crate::quality::SHARP_CUTOFF
pub(crate) const MIN_SHARPNESS: f64 = 0.13;
/// Below this share the rendition is suspicious.
pub(crate) const SUSPICIOUS_SHARPNESS: f64 = 0.2;
/// The source must have at least this RMS detail (luma levels) in that band
/// at the rung's size for the share to mean anything (flat or blurred
/// sources have none to lose).
pub(crate) const SHARPNESS_MIN_REF_RMS: f64 = 0.5;

/// A frame's reference must have at least this RMS chroma (levels) for its
/// own saturation and hue to be judged; paler frames count only in the
/// segment-wide figures.
pub(crate) const FRAME_COLOUR_MIN_RMS: f64 = 2.0;
/// Below this segment-wide RMS chroma the source is treated as grey and only
/// the colour shift and chroma PSNR are judged.
pub(crate) const SEGMENT_COLOUR_MIN_RMS: f64 = 0.75;

/// How far a frame's colour is from the reference's, in units of the
/// per-frame tolerances (for picking the worst frame; above 1 fails).
pub(crate) fn colour_badness(c: &FrameColour) -> f64 {
    let t = ColourTolerance::FRAME;
    let lo = t.min_saturation_at(c.ref_rms).max(1e-3);
    let sat = if c.saturation >= 1.0 {
        c.saturation.ln() / t.max_saturation.ln()
    } else {
        (1.0 / c.saturation.max(1e-9)).ln() / (1.0 / lo).ln().max(1e-9)
    };
    let hue = c.hue_deg.abs() / t.hue_deg;
    let shift = c.shift_levels / t.shift_levels;
    sat.max(hue).max(shift)
}

/// The colour figures being judged.
struct ColourFigures {
    saturation: f64,
    hue_deg: f64,
    shift_levels: f64,
    ref_rms: f64,
}

fn judge_colour(
    what: &str,
    c: &ColourFigures,
    tol: ColourTolerance,
    judge_ratio: bool,
    fail: &mut Vec<String>,
    sus: &mut Vec<String>,
) {
    let mut check = |bad: bool, near: bool, msg: String| {
        if bad {
            fail.push(msg);
        } else if near {
            sus.push(format!("close to the limit: {msg}"));
        }
    };
    if judge_ratio {
        let lo = tol.min_saturation_at(c.ref_rms);
        let hi = tol.max_saturation;
        let sat = c.saturation;
        check(
            sat < lo || sat > hi,
            sat < lo + 0.25 * (1.0 - lo) || sat > 1.0 + 0.75 * (hi - 1.0),
            format!(
                "{what}saturation x{sat:.2} of the source's (allowed x{lo:.2}..x{hi:.2} for its RMS chroma {:.1}; colour removed or altered?)",
                c.ref_rms
            ),
        );
        check(
            c.hue_deg.abs() > tol.hue_deg,
            c.hue_deg.abs() > 0.75 * tol.hue_deg,
            format!(
                "{what}hue rotated {:.1} degrees from the source's (allowed {:.1}; colour altered?)",
                c.hue_deg, tol.hue_deg
            ),
        );
    }
    check(
        c.shift_levels > tol.shift_levels,
        c.shift_levels > 0.75 * tol.shift_levels,
        format!(
            "{what}colour shifted by {:.2} levels from the source's (allowed {:.2}; colour altered?)",
            c.shift_levels, tol.shift_levels
        ),
    );
}

pub(crate) fn judge_quality(
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
    // The worst sampled frame, not only the central values: tampering with a
    // part of the segment shows in a few frames only.
    if q.compared > 0 {
        let worst = |f: fn(&FrameQuality) -> f64| {
            q.frames
                .iter()
                .zip(&q.frame_indices)
                .map(|(fq, &i)| (f(fq), i))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap_or((0.0, 0))
        };
        let (v, i) = worst(|f| f.psnr_y);
        judge(
            &format!("luma PSNR of frame {i}"),
            v,
            th.min_frame_psnr_y,
            m,
            " (content replaced in part of the segment?)",
        );
        let (v, i) = worst(|f| f.worst_block_psnr);
        judge(
            &format!("worst-block PSNR of frame {i}"),
            v,
            th.min_frame_block_psnr,
            m,
            " (overlay or watermark on part of the segment?)",
        );
    }
    // Colour, relative to the source's own colour statistics.
    let c = &q.colour;
    judge_colour(
        "",
        &ColourFigures {
            saturation: c.saturation(),
            hue_deg: c.hue_deg(),
            shift_levels: c.shift_levels(),
            ref_rms: c.ref_rms(),
        },
        ColourTolerance::SEGMENT,
        c.ref_rms() >= SEGMENT_COLOUR_MIN_RMS,
        fail,
        sus,
    );
    if let Some(w) = &q.worst_frame_colour {
        judge_colour(
            &format!("frame {}: ", w.index),
            &ColourFigures {
                saturation: w.saturation,
                hue_deg: w.hue_deg,
                shift_levels: w.shift_levels,
                ref_rms: w.ref_rms,
            },
            ColourTolerance::FRAME,
            true,
            fail,
            sus,
        );
    }
    // Resolution: detail only a full-resolution picture carries.
    let sharp = &q.sharpness;
    if sharp.n > 0.0 && sharp.ref_rms() >= SHARPNESS_MIN_REF_RMS {
        let kept = sharp.ratio();
        let msg = format!(
            "keeps {kept:.2} of the source's detail above half resolution (floor {MIN_SHARPNESS:.2}; made at a lower resolution and upscaled?)"
        );
        if kept < MIN_SHARPNESS {
            fail.push(msg);
        } else if kept < SUSPICIOUS_SHARPNESS {
            sus.push(format!("close to the limit: {msg}"));
        }
    }
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
            "{} of {} sampled frames match a neighbouring source frame better",
            q.temporal_mismatches, q.compared
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

#[cfg(test)]
mod tests {
    use super::*;

    type Tamper = Box<dyn Fn(&mut ProbeInfo)>;

    fn honest_probe() -> ProbeInfo {
        ProbeInfo {
            codec: "h264".into(),
            width: 640,
            height: 360,
            fps: 30.0,
            frames: 60,
            duration_secs: 2.0,
            video_bytes: 200_000,
            video_bitrate: 800_000.0,
            starts_with_keyframe: true,
            starts_with_idr: true,
            keyframes: 1,
            profile: "H264(High)".into(),
            has_audio: true,
        }
    }

    fn setup() -> (Expected, Profile, Claim) {
        let exp = Expected {
            width: 640,
            height: 360,
            fps: 30.0,
            frames: 60,
            duration_secs: 2.0,
        };
        let claim = Claim {
            width: 640,
            height: 360,
            frames: 60,
            pixels: 60 * 640 * 360,
        };
        (exp, Profile::preset("360p").expect("preset"), claim)
    }

    #[test]
    fn honest_probe_passes_cheap_checks() {
        let (exp, profile, claim) = setup();
        let (fail, sus) = cheap_checks(&exp, &profile, &claim, &honest_probe());
        assert!(fail.is_empty() && sus.is_empty(), "{fail:?} {sus:?}");
    }

    #[test]
    fn each_probe_discrepancy_is_reported() {
        let (exp, profile, claim) = setup();
        let cases: Vec<(Tamper, &str)> = vec![
            (Box::new(|p| p.codec = "hevc".into()), "not h264"),
            (Box::new(|p| p.width = 320), "wrong resolution"),
            (Box::new(|p| p.fps = 25.0), "frame rate"),
            (Box::new(|p| p.frames = 59), "dropped frames"),
            (Box::new(|p| p.frames = 61), "duplicated frames"),
            (Box::new(|p| p.duration_secs = 2.5), "duration"),
            (Box::new(|p| p.starts_with_idr = false), "IDR"),
        ];
        for (tamper, needle) in cases {
            let mut p = honest_probe();
            tamper(&mut p);
            let (fail, _) = cheap_checks(&exp, &profile, &claim, &p);
            assert!(
                fail.iter().any(|r| r.contains(needle)),
                "{needle}: {fail:?}"
            );
        }
        let mut p = honest_probe();
        p.video_bitrate = 100_000.0;
        let (fail, sus) = cheap_checks(&exp, &profile, &claim, &p);
        assert!(fail.is_empty() && sus.len() == 1, "{fail:?} {sus:?}");
        let inflated = Claim {
            pixels: claim.pixels + 1,
            ..claim
        };
        let (fail, _) = cheap_checks(&exp, &profile, &inflated, &honest_probe());
        assert!(fail.iter().any(|r| r.contains("claimed")), "{fail:?}");
    }
}
