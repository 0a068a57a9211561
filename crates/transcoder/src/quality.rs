//! Objective quality metrics on 8-bit 4:2:0 pictures: PSNR per plane, luma
//! SSIM, and a worst-block PSNR that exposes local tampering (overlays,
//! watermarks) which a frame-wide average would dilute.

use serde::{Deserialize, Serialize};

/// PSNR reported for identical planes.
pub const PSNR_CAP: f64 = 100.0;

/// An owned 8-bit YUV 4:2:0 picture with tightly packed planes.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Luma width.
    pub width: usize,
    /// Luma height.
    pub height: usize,
    /// Y, U and V planes (U and V are `ceil(w/2) x ceil(h/2)`).
    pub planes: [Vec<u8>; 3],
}

impl Picture {
    /// Size of plane `i`.
    pub fn plane_size(&self, i: usize) -> (usize, usize) {
        if i == 0 {
            (self.width, self.height)
        } else {
            (self.width.div_ceil(2), self.height.div_ceil(2))
        }
    }

    /// Copies a YUV420P frame, dropping the stride padding.
    pub fn from_frame(f: &ffmpeg_next::frame::Video) -> Self {
        let (w, h) = (f.width() as usize, f.height() as usize);
        let mut planes: [Vec<u8>; 3] = Default::default();
        for (i, plane) in planes.iter_mut().enumerate() {
            let (pw, ph) = if i == 0 {
                (w, h)
            } else {
                (w.div_ceil(2), h.div_ceil(2))
            };
            let stride = f.stride(i);
            let data = f.data(i);
            plane.reserve_exact(pw * ph);
            for row in 0..ph {
                plane.extend_from_slice(&data[row * stride..row * stride + pw]);
            }
        }
        Self {
            width: w,
            height: h,
            planes,
        }
    }

    /// A flat picture (for tests).
    pub fn flat(width: usize, height: usize, y: u8, u: u8, v: u8) -> Self {
        let c = width.div_ceil(2) * height.div_ceil(2);
        Self {
            width,
            height,
            planes: [vec![y; width * height], vec![u; c], vec![v; c]],
        }
    }
}

/// Metrics of one compared frame pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameQuality {
    /// Luma PSNR in dB.
    pub psnr_y: f64,
    /// Cb PSNR in dB.
    pub psnr_u: f64,
    /// Cr PSNR in dB.
    pub psnr_v: f64,
    /// Luma SSIM in [-1, 1].
    pub ssim_y: f64,
    /// Lowest PSNR over 16x16 luma blocks, in dB.
    pub worst_block_psnr: f64,
    /// Colour of the rendition relative to the reference's own colour.
    pub colour: Colour,
    /// Fine luma detail of the rendition relative to the reference's.
    #[serde(default)]
    pub detail: Detail,
    /// Luma detail above half the rendition's resolution, relative to the
    /// reference's (see [`Sharpness`]).
    #[serde(default)]
    pub sharpness: Sharpness,
}

/// Luma detail that only a picture of (about) the rendition's full
/// resolution can carry: the band above [`SHARP_CUTOFF`] cycles per pixel (a
/// picture made at half the resolution and upscaled has nothing of its own
/// above 0.25), split off by a separable windowed-sinc low-pass.
///
/// The figure is the projection of the rendition's band on the reference's,
/// `sum(h_rend * h_ref) / sum(h_ref^2)`: detail in the right place counts,
/// while the mirror images an upscaler makes, and noise or sharpening added
/// to fake detail, are uncorrelated with the source's and count for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Sharpness {
    /// Sum of h_ref^2.
    pub ref_energy: f64,
    /// Sum of h_rend^2.
    pub rend_energy: f64,
    /// Sum of h_rend * h_ref.
    pub cross: f64,
    /// Pixels summed.
    pub n: f64,
}

/// Lower edge (cycles per pixel) of the band [`Sharpness`] measures. Chosen
/// on the sample clips: at 0.3 with 25 taps, honest renditions (x264
/// ultrafast..slow, seven scalers) keep at least 0.16 of the source's band
/// and upscaled half-resolution ones at most 0.10; a higher edge lets the
/// aliasing of cheap honest scalers dominate, a lower one lets the cheat's
/// own band in.
pub const SHARP_CUTOFF: f64 = 0.3;

/// Half-width of the band-split filter (taps = 2 * radius + 1).
const SHARP_RADIUS: usize = 12;

/// Low-pass taps: sinc at `fc` cycles/pixel under a Blackman window, unit DC gain.
fn lowpass_taps(fc: f64) -> Vec<f32> {
    use std::f64::consts::PI;
    let r = SHARP_RADIUS as f64;
    let raw: Vec<f64> = (0..=2 * SHARP_RADIUS)
        .map(|i| {
            let n = i as f64 - r;
            let sinc = if n == 0.0 {
                2.0 * fc
            } else {
                (2.0 * PI * fc * n).sin() / (PI * n)
            };
            let x = PI * (n + r) / r;
            sinc * (0.42 - 0.5 * x.cos() + 0.08 * (2.0 * x).cos())
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|t| (t / sum) as f32).collect()
}

/// `x - lowpass(x)` of a `w x h` plane (edges clamped); `w, h > 2 * radius`.
///
/// Both passes run tap by tap over whole rows (element-wise, so the compiler
/// vectorises them) and use the taps' symmetry: this is the verifier's most
/// expensive arithmetic after decoding.
fn high_band(plane: &[u8], w: usize, h: usize, taps: &[f32]) -> Vec<f32> {
    let r = taps.len() / 2;
    // Horizontal pass on an edge-padded row.
    let mut horiz = vec![0f32; w * h];
    let mut padded = vec![0f32; w + 2 * r];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for (i, p) in padded.iter_mut().enumerate() {
            *p = f32::from(row[i.saturating_sub(r).min(w - 1)]);
        }
        let out = &mut horiz[y * w..(y + 1) * w];
        for (o, &c) in out.iter_mut().zip(&padded[r..r + w]) {
            *o = taps[r] * c;
        }
        for (k, &t) in taps.iter().enumerate().take(r) {
            let (left, right) = (&padded[k..k + w], &padded[2 * r - k..2 * r - k + w]);
            for ((o, &a), &b) in out.iter_mut().zip(left).zip(right) {
                *o += t * (a + b);
            }
        }
    }
    // Vertical pass, a row at a time.
    let mut band = vec![0f32; w * h];
    let row_at = |y: usize, k: usize| {
        let yi = (y + k).saturating_sub(r).min(h - 1);
        &horiz[yi * w..(yi + 1) * w]
    };
    for y in 0..h {
        let out = &mut band[y * w..(y + 1) * w];
        for (o, &c) in out.iter_mut().zip(row_at(y, r)) {
            *o = taps[r] * c;
        }
        for (k, &t) in taps.iter().enumerate().take(r) {
            for ((o, &a), &b) in out.iter_mut().zip(row_at(y, k)).zip(row_at(y, 2 * r - k)) {
                *o += t * (a + b);
            }
        }
        for (o, &p) in out.iter_mut().zip(&plane[y * w..(y + 1) * w]) {
            *o = f32::from(p) - *o;
        }
    }
    band
}

impl Sharpness {
    /// Measures two equally sized `w x h` luma planes (reference `a`, rendition `b`).
    pub fn measure(a: &[u8], b: &[u8], w: usize, h: usize) -> Self {
        let mut s = Self::default();
        let r = SHARP_RADIUS;
        if a.len() != w * h || b.len() != w * h || w <= 2 * r || h <= 2 * r {
            return s;
        }
        let taps = lowpass_taps(SHARP_CUTOFF);
        let (ha, hb) = (high_band(a, w, h, &taps), high_band(b, w, h, &taps));
        // The border, where the filter reads clamped pixels, is left out.
        for y in r..h - r {
            let (mut e_ref, mut e_rend, mut cross) = (0f32, 0f32, 0f32);
            for (&p, &q) in ha[y * w + r..y * w + w - r]
                .iter()
                .zip(&hb[y * w + r..y * w + w - r])
            {
                e_ref += p * p;
                e_rend += q * q;
                cross += p * q;
            }
            s.ref_energy += f64::from(e_ref);
            s.rend_energy += f64::from(e_rend);
            s.cross += f64::from(cross);
            s.n += (w - 2 * r) as f64;
        }
        s
    }

    /// Adds another frame's sums.
    pub fn add(&mut self, o: &Self) {
        self.ref_energy += o.ref_energy;
        self.rend_energy += o.rend_energy;
        self.cross += o.cross;
        self.n += o.n;
    }

    /// RMS of the reference's band, in luma levels (how much fine detail the
    /// source has at this size).
    pub fn ref_rms(&self) -> f64 {
        if self.n > 0.0 {
            (self.ref_energy / self.n).sqrt()
        } else {
            0.0
        }
    }

    /// Share of the reference's band the rendition reproduces in place (1 = all).
    pub fn ratio(&self) -> f64 {
        if self.ref_energy <= 0.0 {
            1.0
        } else {
            self.cross / self.ref_energy
        }
    }

    /// Energy of the rendition's band relative to the reference's.
    pub fn energy_ratio(&self) -> f64 {
        if self.ref_energy <= 0.0 {
            1.0
        } else {
            self.rend_energy / self.ref_energy
        }
    }
}

/// Fine detail of a rendition against its reference, on the luma band that a
/// 2x2 average removes (`x - upsample(downsample(x))`): the projection of the
/// rendition's band on the reference's, `sum(h_rend * h_ref) / sum(h_ref^2)`.
/// An honest encode keeps most of it; one made at half the resolution and
/// upscaled keeps little.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Detail {
    /// Sum of h_ref^2.
    pub ref_energy: f64,
    /// Sum of h_rend * h_ref.
    pub cross: f64,
}

impl Detail {
    /// Measures two equally sized `w x h` luma planes.
    pub fn measure(a: &[u8], b: &[u8], w: usize, h: usize) -> Self {
        let mut d = Self::default();
        if a.len() != w * h || b.len() != w * h {
            return d;
        }
        for y0 in (0..h.saturating_sub(1)).step_by(2) {
            for x0 in (0..w.saturating_sub(1)).step_by(2) {
                let idx = [
                    y0 * w + x0,
                    y0 * w + x0 + 1,
                    (y0 + 1) * w + x0,
                    (y0 + 1) * w + x0 + 1,
                ];
                let ma = idx.iter().map(|&i| f64::from(a[i])).sum::<f64>() / 4.0;
                let mb = idx.iter().map(|&i| f64::from(b[i])).sum::<f64>() / 4.0;
                for &i in &idx {
                    let (ha, hb) = (f64::from(a[i]) - ma, f64::from(b[i]) - mb);
                    d.ref_energy += ha * ha;
                    d.cross += ha * hb;
                }
            }
        }
        d
    }

    /// Adds another frame's sums.
    pub fn add(&mut self, o: &Self) {
        self.ref_energy += o.ref_energy;
        self.cross += o.cross;
    }

    /// Share of the reference's fine detail the rendition keeps (1 = all).
    pub fn ratio(&self) -> f64 {
        if self.ref_energy <= 0.0 {
            1.0
        } else {
            self.cross / self.ref_energy
        }
    }
}

/// Colour of a rendition frame relative to its reference, measured on the
/// chroma vectors `z = (Cb - 128) + i (Cr - 128)`: the complex least-squares
/// gain `g` with `z_rendition ~ g z_reference` gives the saturation change
/// `|g|` and the hue rotation `arg g`, whatever the source's own saturation.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Colour {
    /// Sum of |z_ref|^2.
    pub ref_energy: f64,
    /// Real part of the sum of z_rend * conj(z_ref).
    pub cross_re: f64,
    /// Imaginary part of the sum of z_rend * conj(z_ref).
    pub cross_im: f64,
    /// Sum of (z_rend - z_ref) (real, imaginary), for the mean colour shift.
    pub shift: (f64, f64),
    /// Chroma samples summed.
    pub n: f64,
}

impl Colour {
    /// Measures two equally sized pairs of chroma planes.
    pub fn measure(ref_u: &[u8], ref_v: &[u8], u: &[u8], v: &[u8]) -> Self {
        let mut c = Self::default();
        for (((&ru, &rv), &du), &dv) in ref_u.iter().zip(ref_v).zip(u).zip(v) {
            let (a, b) = (f64::from(ru) - 128.0, f64::from(rv) - 128.0);
            let (x, y) = (f64::from(du) - 128.0, f64::from(dv) - 128.0);
            c.ref_energy += a * a + b * b;
            c.cross_re += x * a + y * b;
            c.cross_im += y * a - x * b;
            c.shift.0 += x - a;
            c.shift.1 += y - b;
            c.n += 1.0;
        }
        c
    }

    /// Adds another frame's sums.
    pub fn add(&mut self, o: &Self) {
        self.ref_energy += o.ref_energy;
        self.cross_re += o.cross_re;
        self.cross_im += o.cross_im;
        self.shift.0 += o.shift.0;
        self.shift.1 += o.shift.1;
        self.n += o.n;
    }

    /// RMS chroma of the reference (how colourful the source is), in levels.
    pub fn ref_rms(&self) -> f64 {
        if self.n > 0.0 {
            (self.ref_energy / self.n).sqrt()
        } else {
            0.0
        }
    }

    /// Saturation gain |g| (1 = unchanged, 0 = grayscale).
    pub fn saturation(&self) -> f64 {
        if self.ref_energy <= 0.0 {
            return 1.0;
        }
        self.cross_re.hypot(self.cross_im) / self.ref_energy
    }

    /// Hue rotation arg g in degrees.
    pub fn hue_deg(&self) -> f64 {
        if self.ref_energy <= 0.0 {
            return 0.0;
        }
        self.cross_im.atan2(self.cross_re).to_degrees()
    }

    /// Length of the mean chroma shift, in levels.
    pub fn shift_levels(&self) -> f64 {
        if self.n > 0.0 {
            self.shift.0.hypot(self.shift.1) / self.n
        } else {
            0.0
        }
    }
}

fn mse_to_psnr(mse: f64) -> f64 {
    if mse <= 1e-10 {
        PSNR_CAP
    } else {
        (10.0 * (255.0 * 255.0 / mse).log10()).min(PSNR_CAP)
    }
}

/// PSNR of two equally sized planes.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = i64::from(x) - i64::from(y);
            (d * d) as u64
        })
        .sum();
    mse_to_psnr(sse as f64 / a.len() as f64)
}

/// Mean SSIM of two `w x h` planes over 8x8 windows stepped by 4 pixels.
pub fn ssim(a: &[u8], b: &[u8], w: usize, h: usize) -> f64 {
    const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
    const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);
    if a.len() != w * h || b.len() != w * h || w < 8 || h < 8 {
        return if a == b { 1.0 } else { 0.0 };
    }
    let (mut total, mut n) = (0.0, 0usize);
    for y0 in (0..=h - 8).step_by(4) {
        for x0 in (0..=w - 8).step_by(4) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0u32, 0u32, 0u32, 0u32, 0u32);
            for y in y0..y0 + 8 {
                let row = y * w;
                for x in x0..x0 + 8 {
                    let (p, q) = (u32::from(a[row + x]), u32::from(b[row + x]));
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let k = 64.0;
            let (ma, mb) = (f64::from(sa) / k, f64::from(sb) / k);
            let va = f64::from(saa) / k - ma * ma;
            let vb = f64::from(sbb) / k - mb * mb;
            let cov = f64::from(sab) / k - ma * mb;
            total += ((2.0 * ma * mb + C1) * (2.0 * cov + C2))
                / ((ma * ma + mb * mb + C1) * (va + vb + C2));
            n += 1;
        }
    }
    total / n as f64
}

/// Lowest PSNR over non-overlapping `block x block` tiles of two planes.
pub fn worst_block_psnr(a: &[u8], b: &[u8], w: usize, h: usize, block: usize) -> f64 {
    if a.len() != w * h || b.len() != w * h || block == 0 {
        return 0.0;
    }
    let mut worst = PSNR_CAP;
    for y0 in (0..h).step_by(block) {
        for x0 in (0..w).step_by(block) {
            let (mut sse, mut n) = (0u64, 0u64);
            for y in y0..(y0 + block).min(h) {
                for x in x0..(x0 + block).min(w) {
                    let d = i64::from(a[y * w + x]) - i64::from(b[y * w + x]);
                    sse += (d * d) as u64;
                    n += 1;
                }
            }
            worst = worst.min(mse_to_psnr(sse as f64 / n as f64));
        }
    }
    worst
}

/// Compares a rendition picture with the reference (source scaled to the
/// rendition's size). Returns `None` when the sizes differ.
pub fn compare(reference: &Picture, rendition: &Picture) -> Option<FrameQuality> {
    if reference.width != rendition.width || reference.height != rendition.height {
        return None;
    }
    let (w, h) = (reference.width, reference.height);
    let [ry, ru, rv] = &reference.planes;
    let [dy, du, dv] = &rendition.planes;
    Some(FrameQuality {
        psnr_y: psnr(ry, dy),
        psnr_u: psnr(ru, du),
        psnr_v: psnr(rv, dv),
        ssim_y: ssim(ry, dy, w, h),
        worst_block_psnr: worst_block_psnr(ry, dy, w, h, 16),
        colour: Colour::measure(ru, rv, du, dv),
        detail: Detail::measure(ry, dy, w, h),
        sharpness: Sharpness::measure(ry, dy, w, h),
    })
}

/// Quality thresholds for a rendition, derived from its bits per pixel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Below this mean luma PSNR the rendition fails.
    pub min_psnr_y: f64,
    /// Below this mean chroma PSNR (either plane) the rendition fails.
    pub min_psnr_chroma: f64,
    /// Below this mean luma SSIM the rendition fails.
    pub min_ssim: f64,
    /// Below this median worst-block PSNR the rendition fails (overlay).
    pub min_block_psnr: f64,
    /// Below this luma PSNR on any single sampled frame the rendition fails.
    pub min_frame_psnr_y: f64,
    /// Below this worst-block PSNR on any single sampled frame the rendition
    /// fails (an overlay on part of the segment).
    pub min_frame_block_psnr: f64,
    /// Margin (dB) above the PSNR floors that still counts as suspicious.
    pub suspicious_margin_db: f64,
}

/// Allowed colour departure from the source (see [`Colour`]).
///
/// Honest encoders lose a little chroma, more on pale sources (x264 quantises
/// faint chroma away): on the sample clips the saturation gain of honest
/// renditions was 0.97-0.99 on colourful 720p footage (RMS chroma 30 levels)
/// and down to 0.82 segment-wide, 0.73 on single frames, on pale footage
/// (RMS chroma 5). The lower bound therefore drops with the source's RMS
/// chroma `r`: `min_saturation - pale_allowance / r`. Encoders do not add
/// saturation, so the upper bound is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ColourTolerance {
    /// Largest saturation gain accepted.
    pub max_saturation: f64,
    /// Smallest saturation gain accepted on a very colourful source.
    pub min_saturation: f64,
    /// Levels of RMS chroma an honest encode may lose (see above).
    pub pale_allowance: f64,
    /// Hue may rotate by at most this many degrees.
    pub hue_deg: f64,
    /// The mean colour may move by at most this many levels.
    pub shift_levels: f64,
}

impl ColourTolerance {
    /// Over all compared frames of a segment.
    pub const SEGMENT: Self = Self {
        max_saturation: 1.15,
        min_saturation: 0.9,
        pale_allowance: 1.5,
        hue_deg: 8.0,
        shift_levels: 3.0,
    };
    /// On any single compared frame colourful enough to judge.
    pub const FRAME: Self = Self {
        max_saturation: 1.22,
        min_saturation: 0.85,
        pale_allowance: 2.5,
        hue_deg: 15.0,
        shift_levels: 5.0,
    };

    /// Smallest saturation gain accepted for a reference of RMS chroma `rms`.
    pub fn min_saturation_at(&self, rms: f64) -> f64 {
        (self.min_saturation - self.pale_allowance / rms.max(1e-3)).max(0.0)
    }
}

impl Thresholds {
    /// Thresholds for `bitrate` bits/s at `width x height` and `fps`.
    ///
    /// Honest x264 encodes gain roughly 1.5-2 dB of luma PSNR per doubling of
    /// bits per pixel; the floors follow that slope from a lenient base so that
    /// hard content at the lowest rung still passes.
    pub fn for_rendition(bitrate: u32, width: u32, height: u32, fps: f64) -> Self {
        let pixels_per_sec = f64::from(width.max(1)) * f64::from(height.max(1)) * fps.max(1.0);
        let bpp = f64::from(bitrate) / pixels_per_sec;
        // 0.05 bpp (e.g. 720p30 at 1.4 Mb/s) maps to the base floor.
        let slope = 1.5 * (bpp / 0.05).log2();
        let min_psnr_y = (26.0 + slope).clamp(22.0, 30.0);
        Self {
            min_psnr_y,
            min_psnr_chroma: min_psnr_y,
            min_ssim: (0.80 + 0.02 * slope).clamp(0.75, 0.86),
            min_block_psnr: (min_psnr_y - 8.0).clamp(16.0, 21.0),
            min_frame_psnr_y: min_psnr_y - 4.0,
            min_frame_block_psnr: (min_psnr_y - 11.0).clamp(13.0, 18.0),
            suspicious_margin_db: 2.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_pictures_score_perfectly() {
        let p = Picture::flat(32, 32, 100, 90, 160);
        let q = compare(&p, &p).expect("same size");
        assert_eq!(q.psnr_y, PSNR_CAP);
        assert_eq!(q.worst_block_psnr, PSNR_CAP);
        assert!((q.ssim_y - 1.0).abs() < 1e-9);
    }

    #[test]
    fn psnr_matches_the_formula() {
        // Constant error of 10 on every pixel: MSE 100, PSNR = 10 log10(65025/100).
        let a = vec![100u8; 64];
        let b = vec![110u8; 64];
        let want = 10.0 * (65025.0f64 / 100.0).log10();
        assert!((psnr(&a, &b) - want).abs() < 1e-9);
        assert_eq!(psnr(&a, &b[..10]), 0.0);
    }

    #[test]
    fn local_damage_is_found_by_worst_block() {
        let a = Picture::flat(64, 64, 128, 128, 128);
        let mut b = a.clone();
        for y in 0..16 {
            for x in 0..16 {
                b.planes[0][y * 64 + x] = 255;
            }
        }
        let q = compare(&a, &b).expect("same size");
        assert!(
            q.psnr_y > 15.0,
            "frame-wide PSNR dilutes the box: {}",
            q.psnr_y
        );
        assert!(q.worst_block_psnr < 7.0, "{}", q.worst_block_psnr);
        assert!(compare(&a, &Picture::flat(32, 64, 0, 0, 0)).is_none());
    }

    #[test]
    fn ssim_drops_for_structure_loss() {
        let w = 32;
        let a: Vec<u8> = (0..w * w).map(|i| ((i * 37) % 251) as u8).collect();
        let flat = vec![128u8; w * w];
        assert!(ssim(&a, &a, w, w) > 0.999);
        assert!(ssim(&a, &flat, w, w) < 0.1);
    }

    #[test]
    fn colour_gain_reads_saturation_hue_and_cast() {
        // Reference chroma vectors of varied direction and length.
        let n = 64;
        let u: Vec<u8> = (0..n)
            .map(|i| (128 + (i % 9) as i32 * 4 - 16) as u8)
            .collect();
        let v: Vec<u8> = (0..n)
            .map(|i| (128 + (i % 7) as i32 * 5 - 15) as u8)
            .collect();
        let same = Colour::measure(&u, &v, &u, &v);
        assert!((same.saturation() - 1.0).abs() < 1e-12 && same.hue_deg().abs() < 1e-9);
        // Half the saturation.
        let half = |p: &[u8]| -> Vec<u8> {
            p.iter()
                .map(|&x| ((f64::from(x) - 128.0) * 0.5 + 128.0) as u8)
                .collect()
        };
        let c = Colour::measure(&u, &v, &half(&u), &half(&v));
        assert!((c.saturation() - 0.5).abs() < 0.03, "{}", c.saturation());
        // A 90-degree rotation: (Cb, Cr) -> (-Cr, Cb).
        let ru: Vec<u8> = v.iter().map(|&x| (256 - i32::from(x)) as u8).collect();
        let c = Colour::measure(&u, &v, &ru, &u);
        assert!((c.hue_deg() - 90.0).abs() < 1.0, "{}", c.hue_deg());
        // Grey: no colour left; a cast: every sample moved by 6 levels.
        let grey = vec![128u8; n];
        assert!(Colour::measure(&u, &v, &grey, &grey).saturation() < 1e-9);
        let cast: Vec<u8> = u.iter().map(|&x| x + 6).collect();
        assert!((Colour::measure(&u, &v, &cast, &v).shift_levels() - 6.0).abs() < 1e-9);
    }

    #[test]
    fn fine_detail_is_kept_by_a_copy_and_lost_by_a_blur() {
        let (w, h) = (32, 32);
        let a: Vec<u8> = (0..w * h).map(|i| ((i * 37) % 251) as u8).collect();
        assert!((Detail::measure(&a, &a, w, h).ratio() - 1.0).abs() < 1e-12);
        // Each 2x2 block replaced by its mean: the finest band is gone.
        let mut blurred = a.clone();
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let idx = [
                    y * w + x,
                    y * w + x + 1,
                    (y + 1) * w + x,
                    (y + 1) * w + x + 1,
                ];
                let m = idx.iter().map(|&i| u32::from(a[i])).sum::<u32>() / 4;
                for i in idx {
                    blurred[i] = m as u8;
                }
            }
        }
        assert!(Detail::measure(&a, &blurred, w, h).ratio().abs() < 1e-9);
        assert_eq!(Detail::default().ratio(), 1.0);
    }

    /// Broadband test texture (a linear congruential generator's noise).
    fn noise(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..w * h)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (64 + (x >> 25)) as u8
            })
            .collect()
    }

    #[test]
    fn detail_above_half_resolution_is_lost_by_a_down_up_round_trip() {
        let (w, h) = (96, 80);
        let a = noise(w, h, 7);
        let same = Sharpness::measure(&a, &a, w, h);
        assert!((same.ratio() - 1.0).abs() < 1e-6, "{same:?}");
        assert!(same.ref_rms() > 10.0, "{same:?}");
        // Half resolution (2x2 means), upscaled bilinearly back.
        let (hw, hh) = (w / 2, h / 2);
        let half: Vec<f64> = (0..hw * hh)
            .map(|i| {
                let (x, y) = (2 * (i % hw), 2 * (i / hw));
                [(0, 0), (1, 0), (0, 1), (1, 1)]
                    .iter()
                    .map(|&(dx, dy)| f64::from(a[(y + dy) * w + x + dx]))
                    .sum::<f64>()
                    / 4.0
            })
            .collect();
        let up: Vec<u8> = (0..w * h)
            .map(|i| {
                let fx = ((i % w) as f64 - 0.5) / 2.0;
                let fy = ((i / w) as f64 - 0.5) / 2.0;
                let (x0, y0) = (fx.floor(), fy.floor());
                let (tx, ty) = (fx - x0, fy - y0);
                let at = |x: f64, y: f64| {
                    let x = x.clamp(0.0, (hw - 1) as f64) as usize;
                    let y = y.clamp(0.0, (hh - 1) as f64) as usize;
                    half[y * hw + x]
                };
                let v = at(x0, y0) * (1.0 - tx) * (1.0 - ty)
                    + at(x0 + 1.0, y0) * tx * (1.0 - ty)
                    + at(x0, y0 + 1.0) * (1.0 - tx) * ty
                    + at(x0 + 1.0, y0 + 1.0) * tx * ty;
                v.round() as u8
            })
            .collect();
        let upscaled = Sharpness::measure(&a, &up, w, h);
        assert!(upscaled.ratio() < 0.1, "{upscaled:?}");
        // Noise added to fake detail has energy but is not the source's.
        let faked: Vec<u8> = up
            .iter()
            .zip(noise(w, h, 99))
            .map(|(&u, n)| (i32::from(u) + i32::from(n) / 4 - 40).clamp(0, 255) as u8)
            .collect();
        let faked = Sharpness::measure(&a, &faked, w, h);
        assert!(
            faked.energy_ratio() > upscaled.energy_ratio() * 2.0,
            "{faked:?}"
        );
        assert!(faked.ratio() < 0.1, "{faked:?}");
        // Too small to measure: neutral.
        assert_eq!(
            Sharpness::measure(&a[..100], &a[..100], 10, 10).ratio(),
            1.0
        );
    }

    #[test]
    fn thresholds_rise_with_bits_per_pixel() {
        let low = Thresholds::for_rendition(250_000, 426, 240, 30.0);
        let high = Thresholds::for_rendition(6_000_000, 1920, 1080, 30.0);
        let starved = Thresholds::for_rendition(50_000, 1280, 720, 30.0);
        assert!(low.min_psnr_y >= starved.min_psnr_y);
        assert!(high.min_psnr_y <= 30.0 && starved.min_psnr_y >= 22.0);
    }
}
