//! Decoding a rendition for the exact pixel count, and aligning sampled
//! rendition frames with the source (scaled to the rendition's size) for the
//! quality metrics.

use std::path::Path;

use ffmpeg_next::{format, frame, software::scaling};
use serde::{Deserialize, Serialize};

use crate::decode::{self, Event, Limits};
use crate::error::{Result, TranscodeError};
use crate::quality::{self, Colour, Detail, FrameQuality, Picture, Sharpness};

/// A fully decoded rendition: exact counts plus the sampled pictures.
#[derive(Debug, Clone)]
pub(crate) struct DecodedRendition {
    pub(crate) frames: u64,
    pub(crate) pixels: u64,
    /// (seconds since the first frame, picture) for each sampled frame.
    pub(crate) samples: Vec<(f64, Picture)>,
    /// Rendition frame index of each sample.
    pub(crate) indices: Vec<u64>,
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

/// Decodes the rendition at `path`, counting frames and pixels and keeping
/// the pictures at the (sorted) frame indices `wanted`.
pub(crate) fn decode_rendition(
    path: &Path,
    limits: &Limits,
    wanted: &[u64],
) -> Result<DecodedRendition> {
    let mut input = decode::open_input(path, limits)?;
    let mut conv = ToPicture::new();
    let mut kept = Vec::with_capacity(wanted.len());
    let mut indices = Vec::with_capacity(wanted.len());
    let mut index = 0u64;
    let stats = decode::walk(&mut input, |ev| {
        if let Event::Frame(f, secs) = ev {
            if wanted.binary_search(&index).is_ok() {
                kept.push((secs, conv.convert(f, f.width(), f.height())?));
                indices.push(index);
            }
            index += 1;
        }
        Ok(())
    })?;
    Ok(DecodedRendition {
        frames: stats.frames,
        pixels: stats.pixels,
        samples: kept,
        indices,
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
    /// Lowest worst-block PSNR of any compared frame (dB).
    pub min_block_psnr: f64,
    /// Colour relative to the source over all compared frames.
    pub colour: Colour,
    /// Fine detail kept relative to the source over all compared frames.
    #[serde(default)]
    pub detail: Detail,
    /// Detail above half the rendition's resolution kept relative to the
    /// source over all compared frames.
    #[serde(default)]
    pub sharpness: Sharpness,
    /// Saturation gain, hue rotation and colour shift: the worst compared
    /// frame of those colourful enough to judge (see `checks`).
    pub worst_frame_colour: Option<FrameColour>,
    /// Rendition frame index of each compared frame.
    pub frame_indices: Vec<u64>,
    /// Per-frame metrics, in sample order.
    pub frames: Vec<FrameQuality>,
}

/// Colour figures of one frame, derived from its [`Colour`] sums.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameColour {
    /// Rendition frame index.
    pub index: u64,
    /// Saturation gain.
    pub saturation: f64,
    /// Hue rotation in degrees.
    pub hue_deg: f64,
    /// Mean colour shift in levels.
    pub shift_levels: f64,
    /// RMS chroma of the reference frame.
    pub ref_rms: f64,
}

impl FrameColour {
    pub(crate) fn of(index: u64, c: &Colour) -> Self {
        Self {
            index,
            saturation: c.saturation(),
            hue_deg: c.hue_deg(),
            shift_levels: c.shift_levels(),
            ref_rms: c.ref_rms(),
        }
    }
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
    let mut indices = Vec::with_capacity(best.len());
    let (mut misaligned, mut temporal) = (0, 0);
    for (((_, pic), cands), &index) in rendition.samples.iter().zip(best).zip(&rendition.indices) {
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
        indices.push(index);
    }
    summarize(frames, indices, misaligned, temporal)
}

fn summarize(
    frames: Vec<FrameQuality>,
    frame_indices: Vec<u64>,
    misaligned: usize,
    temporal: usize,
) -> QualitySummary {
    let n = frames.len().max(1) as f64;
    let mean = |f: fn(&FrameQuality) -> f64| frames.iter().map(f).sum::<f64>() / n;
    let mut blocks: Vec<f64> = frames.iter().map(|q| q.worst_block_psnr).collect();
    blocks.sort_by(f64::total_cmp);
    let mut colour = Colour::default();
    let mut detail = Detail::default();
    let mut sharpness = Sharpness::default();
    for q in &frames {
        colour.add(&q.colour);
        detail.add(&q.detail);
        sharpness.add(&q.sharpness);
    }
    let worst_frame_colour = frames
        .iter()
        .zip(&frame_indices)
        .filter(|(q, _)| q.colour.ref_rms() >= crate::checks::FRAME_COLOUR_MIN_RMS)
        .map(|(q, &i)| FrameColour::of(i, &q.colour))
        .max_by(|a, b| {
            crate::checks::colour_badness(a).total_cmp(&crate::checks::colour_badness(b))
        });
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
        min_block_psnr: blocks.first().copied().unwrap_or(0.0),
        colour,
        detail,
        sharpness,
        worst_frame_colour,
        frame_indices,
        frames,
    }
}
