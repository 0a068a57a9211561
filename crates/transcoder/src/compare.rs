//! Decoding a rendition for the exact pixel count, and aligning sampled
//! rendition frames with the source (scaled to the rendition's size) for the
//! quality metrics.

use std::path::Path;

use ffmpeg_next::{format, frame, software::scaling};
use serde::{Deserialize, Serialize};

use crate::decode::{self, Event, Limits};
use crate::error::{Result, TranscodeError};
use crate::quality::{self, FrameQuality, Picture};

/// A fully decoded rendition: exact counts plus the sampled pictures.
#[derive(Debug, Clone)]
pub(crate) struct DecodedRendition {
    pub(crate) frames: u64,
    pub(crate) pixels: u64,
    /// (seconds since the first frame, picture) for each sampled frame.
    pub(crate) samples: Vec<(f64, Picture)>,
}

/// Converts any decoded frame into an owned YUV420P picture of `w x h`.
struct ToPicture {
    ctx: Option<scaling::Context>,
    out: frame::Video,
}

impl ToPicture {
    fn new() -> Self {
        Self {
            ctx: None,
            out: frame::Video::empty(),
        }
    }

    fn convert(&mut self, src: &frame::Video, w: u32, h: u32) -> Result<Picture> {
        if src.format() == format::Pixel::YUV420P && src.width() == w && src.height() == h {
            return Ok(Picture::from_frame(src));
        }
        let stale = self.ctx.as_ref().is_none_or(|c| {
            let (i, o) = (c.input(), c.output());
            i.width != src.width()
                || i.height != src.height()
                || i.format != src.format()
                || o.width != w
                || o.height != h
        });
        if stale {
            let ctx = scaling::Context::get(
                src.format(),
                src.width(),
                src.height(),
                format::Pixel::YUV420P,
                w,
                h,
                scaling::Flags::BICUBIC,
            )
            .map_err(TranscodeError::ffmpeg("creating the comparison scaler"))?;
            self.ctx = Some(ctx);
            self.out = frame::Video::empty();
        }
        match self.ctx.as_mut() {
            Some(ctx) => ctx
                .run(src, &mut self.out)
                .map_err(TranscodeError::ffmpeg("scaling for comparison"))?,
            None => {
                return Err(TranscodeError::Corrupt {
                    reason: "no scaler".into(),
                });
            }
        }
        Ok(Picture::from_frame(&self.out))
    }
}

/// Indices of `count` frames spread evenly over `total`.
pub(crate) fn sample_indices(total: u64, count: usize) -> Vec<u64> {
    if total == 0 || count == 0 {
        return Vec::new();
    }
    let count = (count as u64).min(total);
    let mut v: Vec<u64> = (0..count)
        .map(|k| (2 * k + 1) * total / (2 * count))
        .collect();
    v.dedup();
    v
}

/// Decodes the rendition at `path`, counting frames and pixels and keeping
/// `samples` pictures spread over the `expected_frames`.
pub(crate) fn decode_rendition(
    path: &Path,
    limits: &Limits,
    expected_frames: u64,
    samples: usize,
) -> Result<DecodedRendition> {
    let mut input = decode::open_input(path, limits)?;
    let wanted = sample_indices(expected_frames, samples);
    let mut conv = ToPicture::new();
    let mut kept = Vec::with_capacity(wanted.len());
    let mut index = 0u64;
    let stats = decode::walk(&mut input, |ev| {
        if let Event::Frame(f, secs) = ev {
            if wanted.binary_search(&index).is_ok() {
                kept.push((secs, conv.convert(f, f.width(), f.height())?));
            }
            index += 1;
        }
        Ok(())
    })?;
    Ok(DecodedRendition {
        frames: stats.frames,
        pixels: stats.pixels,
        samples: kept,
    })
}

/// Aggregated quality of the sampled frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualitySummary {
    /// Frames compared.
    pub compared: usize,
    /// Sampled rendition frames with no source frame within half a frame.
    pub misaligned: usize,
    /// Compared frames that match a neighbouring source frame better than
    /// the one at their own timestamp (duplicated or shifted frames).
    pub temporal_mismatches: usize,
    /// Mean luma PSNR (dB).
    pub psnr_y: f64,
    /// Mean Cb PSNR (dB).
    pub psnr_u: f64,
    /// Mean Cr PSNR (dB).
    pub psnr_v: f64,
    /// Mean luma SSIM.
    pub ssim_y: f64,
    /// Lowest luma PSNR of any compared frame (dB).
    pub min_psnr_y: f64,
    /// Median over frames of the worst 16x16 block PSNR (dB).
    pub worst_block_psnr: f64,
    /// Per-frame metrics, in sample order.
    pub frames: Vec<FrameQuality>,
}

/// Best source match (distance in seconds, scaled picture) at offsets of
/// -1, 0 and +1 source frames from a sampled rendition frame.
type Candidates = [(f64, Option<Picture>); 3];

/// A luma PSNR gain (dB) by which a neighbouring source frame must beat the
/// timestamp-aligned one for a sample to count as temporally misplaced.
const TEMPORAL_MARGIN_DB: f64 = 1.0;

/// Decodes the source and compares each sampled rendition frame with the
/// source frame nearest in time, scaled to the rendition's size.
///
/// The source frames just before and after are compared too: when one of them
/// matches clearly better, the rendition's frame is a duplicate or shifted
/// (frames were dropped and others repeated to keep the count).
pub(crate) fn compare_with_source(
    source: &Path,
    limits: &Limits,
    renditions: &[&DecodedRendition],
) -> Result<Vec<QualitySummary>> {
    let mut input = decode::open_input(source, limits)?;
    let frame_dur = 1.0 / decode::q2f(input.fps).max(1.0);
    // For each rendition and sample: candidates at offsets -1, 0, +1 source frames.
    let empty = || (f64::INFINITY, None::<Picture>);
    let mut best: Vec<Vec<Candidates>> = renditions
        .iter()
        .map(|r| vec![[empty(), empty(), empty()]; r.samples.len()])
        .collect();
    let mut convs: Vec<ToPicture> = renditions.iter().map(|_| ToPicture::new()).collect();
    decode::walk(&mut input, |ev| {
        let Event::Frame(f, secs) = ev else {
            return Ok(());
        };
        for ((rendition, best), conv) in renditions.iter().zip(&mut best).zip(&mut convs) {
            let mut scaled: Option<Picture> = None;
            for (i, (t, pic)) in rendition.samples.iter().enumerate() {
                for (k, offset) in [-1.0, 0.0, 1.0].into_iter().enumerate() {
                    let d = (secs - (t + offset * frame_dur)).abs();
                    if d < best[i][k].0 && d <= frame_dur * 0.5 + 1e-6 {
                        if scaled.is_none() {
                            scaled = Some(conv.convert(f, pic.width as u32, pic.height as u32)?);
                        }
                        best[i][k] = (d, scaled.clone());
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(renditions
        .iter()
        .zip(&best)
        .map(|(r, b)| judge_samples(r, b))
        .collect())
}

fn judge_samples(
    rendition: &DecodedRendition,
    best: &[[(f64, Option<Picture>); 3]],
) -> QualitySummary {
    let mut frames = Vec::with_capacity(best.len());
    let (mut misaligned, mut temporal) = (0, 0);
    for ((_, pic), cands) in rendition.samples.iter().zip(best) {
        let Some(q) = cands[1].1.as_ref().and_then(|r| quality::compare(r, pic)) else {
            misaligned += 1;
            continue;
        };
        let neighbour_best = [&cands[0].1, &cands[2].1]
            .into_iter()
            .flatten()
            .filter(|r| r.width == pic.width && r.height == pic.height)
            .map(|r| quality::psnr(&r.planes[0], &pic.planes[0]))
            .fold(f64::NEG_INFINITY, f64::max);
        if neighbour_best > q.psnr_y + TEMPORAL_MARGIN_DB {
            temporal += 1;
        }
        frames.push(q);
    }
    summarize(frames, misaligned, temporal)
}

fn summarize(frames: Vec<FrameQuality>, misaligned: usize, temporal: usize) -> QualitySummary {
    let n = frames.len().max(1) as f64;
    let mean = |f: fn(&FrameQuality) -> f64| frames.iter().map(f).sum::<f64>() / n;
    let mut blocks: Vec<f64> = frames.iter().map(|q| q.worst_block_psnr).collect();
    blocks.sort_by(f64::total_cmp);
    QualitySummary {
        compared: frames.len(),
        misaligned,
        temporal_mismatches: temporal,
        psnr_y: mean(|q| q.psnr_y),
        psnr_u: mean(|q| q.psnr_u),
        psnr_v: mean(|q| q.psnr_v),
        ssim_y: mean(|q| q.ssim_y),
        min_psnr_y: frames
            .iter()
            .map(|q| q.psnr_y)
            .fold(f64::INFINITY, f64::min),
        worst_block_psnr: blocks.get(blocks.len() / 2).copied().unwrap_or(0.0),
        frames,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_spread_and_stay_in_range() {
        assert_eq!(sample_indices(60, 4), vec![7, 22, 37, 52]);
        assert_eq!(sample_indices(3, 8), vec![0, 1, 2]);
        assert!(sample_indices(0, 8).is_empty());
        assert!(sample_indices(1000, 10).iter().all(|&i| i < 1000));
    }
}
