//! The individual judgements of the verifier: probe-level checks and the
//! quality verdict, as pure functions of the measurements.

use crate::compare::QualitySummary;
use crate::probe::ProbeInfo;
use crate::profile::Profile;
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
