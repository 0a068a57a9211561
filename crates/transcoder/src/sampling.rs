//! Which rendition frames the quality check compares, chosen so that an
//! orchestrator cannot predict them when it produces the rendition.
//!
//! Positions are drawn by stratified sampling: the rendition's `N` frames are
//! cut into `n` equal strata and one frame is taken from each, at an offset
//! given by HMAC-SHA256 keyed with the broadcaster's secret over the segment
//! identifier (e.g. the hash of the signed receipt), the rendition name and
//! the stratum index. The secret never leaves the broadcaster and the segment
//! identifier only exists once the receipt is signed, so the orchestrator
//! learns the positions too late to tamper around them.
//!
//! The count `n` is the smallest that reaches the [`SamplingPolicy`]'s target
//! detection probability against its two adversaries (worst case over where
//! they put the tampering): a contiguous run of `contiguous_fraction` of the
//! frames, and any `spread_fraction` of the frames spread out. [`Coverage`]
//! reports the exact worst-case probabilities for the count used.

use std::path::Path;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Result, TranscodeError};

/// The broadcaster's secret and the segment it keys the draw for.
#[derive(Clone, PartialEq, Eq)]
pub struct SampleKey {
    secret: [u8; 32],
    segment: Vec<u8>,
}

impl std::fmt::Debug for SampleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SampleKey")
            .field("secret", &"<redacted>")
            .field("segment", &self.segment)
            .finish()
    }
}

impl SampleKey {
    /// A key from a 32-byte secret and a segment identifier (bind it to the
    /// signed receipt, e.g. the receipt's hash or signature).
    pub fn new(secret: [u8; 32], segment: &[u8]) -> Self {
        Self {
            secret,
            segment: segment.to_vec(),
        }
    }

    /// A key with a fresh secret from the operating system's random source:
    /// positions nobody can reproduce (the default of the verifier).
    pub fn random(segment: &[u8]) -> Result<Self> {
        let path = Path::new("/dev/urandom");
        let mut secret = [0u8; 32];
        read_exact(path, &mut secret)?;
        Ok(Self::new(secret, segment))
    }

    /// A key whose secret is the first 32 bytes of a key file (raw, or 64 hex
    /// digits), so a broadcaster can later show which frames it sampled.
    pub fn from_file(path: &Path, segment: &[u8]) -> Result<Self> {
        let raw = std::fs::read(path).map_err(TranscodeError::io(path))?;
        let text = String::from_utf8_lossy(&raw);
        let hex = text.trim();
        let mut secret = [0u8; 32];
        if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            for (i, byte) in secret.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| {
                    TranscodeError::InvalidProfile("bad hex in the sample key file".into())
                })?;
            }
        } else if raw.len() >= 32 {
            secret.copy_from_slice(&raw[..32]);
        } else {
            return Err(TranscodeError::InvalidProfile(format!(
                "sample key file {} holds {} bytes; it needs 32 raw bytes or 64 hex digits",
                path.display(),
                raw.len()
            )));
        }
        Ok(Self::new(secret, segment))
    }

    /// A keyed 64-bit draw for (rendition, stratum).
    fn draw(&self, rendition: &str, stratum: u64) -> u64 {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return stratum;
        };
        mac.update(b"streamflow-verify-sample-v1");
        mac.update(&(self.segment.len() as u64).to_be_bytes());
        mac.update(&self.segment);
        mac.update(&(rendition.len() as u64).to_be_bytes());
        mac.update(rendition.as_bytes());
        mac.update(&stratum.to_be_bytes());
        let out = mac.finalize().into_bytes();
        let mut b = [0u8; 8];
        b.copy_from_slice(&out[..8]);
        u64::from_be_bytes(b)
    }
}

fn read_exact(path: &Path, buf: &mut [u8]) -> Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(TranscodeError::io(path))?;
    f.read_exact(buf).map_err(TranscodeError::io(path))
}

/// What the sample count must guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplingPolicy {
    /// A contiguous run of this fraction of the frames must be hit ...
    pub contiguous_fraction: f64,
    /// ... and so must any set of this fraction of the frames, spread out ...
    pub spread_fraction: f64,
    /// ... with at least this probability (worst case over placement).
    pub target: f64,
    /// Never sample more than this many frames per rendition.
    pub max_samples: usize,
}

impl Default for SamplingPolicy {
    fn default() -> Self {
        Self {
            contiguous_fraction: 0.10,
            spread_fraction: 0.25,
            target: 0.99,
            max_samples: 64,
        }
    }
}

/// How well a sample covers a rendition (reported with every verification).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// Frames in the rendition.
    pub frames: u64,
    /// Frames sampled (one per stratum).
    pub samples: usize,
    /// Tampered run length the first guarantee is about (frames).
    pub contiguous_frames: u64,
    /// Worst-case probability that a contiguous run of `contiguous_frames`
    /// tampered frames contains a sampled frame.
    pub p_contiguous: f64,
    /// Tampered frame count the second guarantee is about.
    pub spread_frames: u64,
    /// Worst-case probability that `spread_frames` tampered frames, placed
    /// anywhere, include a sampled frame.
    pub p_spread: f64,
}

/// Bounds `[start, end)` of stratum `i` of `n` over `total` frames.
fn stratum(total: u64, n: u64, i: u64) -> (u64, u64) {
    (i * total / n, (i + 1) * total / n)
}

/// Worst-case probability of missing a contiguous run of `run` frames.
fn miss_contiguous(total: u64, n: u64, run: u64) -> f64 {
    if run == 0 {
        return 1.0;
    }
    if run >= total {
        return 0.0;
    }
    let sizes: Vec<(u64, u64)> = (0..n).map(|i| stratum(total, n, i)).collect();
    let mut worst: f64 = 0.0;
    for start in 0..=total - run {
        let end = start + run;
        let mut miss = 1.0;
        for &(a, b) in &sizes {
            let overlap = end.min(b).saturating_sub(start.max(a));
            if overlap > 0 {
                miss *= 1.0 - overlap as f64 / (b - a) as f64;
            }
        }
        worst = worst.max(miss);
    }
    worst
}

/// Worst-case probability of missing `k` tampered frames placed anywhere:
/// the adversary spreads them to maximise the product of per-stratum misses,
/// which a greedy allocation achieves (the log-miss is concave in the count).
fn miss_spread(total: u64, n: u64, k: u64) -> f64 {
    if k >= total {
        return 0.0;
    }
    let mut left: Vec<u64> = (0..n)
        .map(|i| {
            let (a, b) = stratum(total, n, i);
            b - a
        })
        .collect();
    let sizes = left.clone();
    for _ in 0..k {
        // Put the next frame where the most untampered frames remain.
        if let Some(slot) = left.iter_mut().max_by_key(|l| **l) {
            *slot = slot.saturating_sub(1);
        }
    }
    sizes
        .iter()
        .zip(&left)
        .filter(|(s, _)| **s > 0)
        .map(|(&s, &l)| l as f64 / s as f64)
        .product()
}

/// Coverage of `samples` stratified samples over `frames` frames.
pub fn coverage(frames: u64, samples: usize, policy: &SamplingPolicy) -> Coverage {
    let n = (samples as u64).min(frames);
    let run = (policy.contiguous_fraction * frames as f64).ceil() as u64;
    let spread = (policy.spread_fraction * frames as f64).ceil() as u64;
    let (pc, ps) = if n == 0 {
        (0.0, 0.0)
    } else {
        (
            1.0 - miss_contiguous(frames, n, run),
            1.0 - miss_spread(frames, n, spread),
        )
    };
    Coverage {
        frames,
        samples: n as usize,
        contiguous_frames: run,
        p_contiguous: pc,
        spread_frames: spread,
        p_spread: ps,
    }
}

/// The smallest sample count that meets the policy's target on both
/// guarantees (or every frame, or `max_samples`, whichever comes first).
pub fn sample_count(frames: u64, policy: &SamplingPolicy) -> usize {
    let cap = (policy.max_samples as u64).min(frames);
    for n in 1..=cap {
        let c = coverage(frames, n as usize, policy);
        if c.p_contiguous >= policy.target && c.p_spread >= policy.target {
            return n as usize;
        }
    }
    cap as usize
}

/// The sampled frame indices (sorted, one per stratum) of rendition
/// `rendition` with `frames` frames.
pub fn positions(key: &SampleKey, rendition: &str, frames: u64, samples: usize) -> Vec<u64> {
    let n = (samples as u64).min(frames);
    (0..n)
        .map(|i| {
            let (a, b) = stratum(frames, n, i);
            a + key.draw(rendition, i) % (b - a).max(1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8, segment: &[u8]) -> SampleKey {
        SampleKey::new([seed; 32], segment)
    }

    #[test]
    fn positions_depend_on_the_secret_and_the_segment() {
        let a = positions(&key(1, b"seg-1"), "360p", 132, 20);
        assert_eq!(a, positions(&key(1, b"seg-1"), "360p", 132, 20));
        assert_ne!(a, positions(&key(2, b"seg-1"), "360p", 132, 20));
        assert_ne!(a, positions(&key(1, b"seg-2"), "360p", 132, 20));
        assert_ne!(a, positions(&key(1, b"seg-1"), "720p", 132, 20));
        // One per stratum, in range and sorted.
        assert_eq!(a.len(), 20);
        for (i, p) in a.iter().enumerate() {
            let (lo, hi) = stratum(132, 20, i as u64);
            assert!((lo..hi).contains(p), "{i}: {p} not in {lo}..{hi}");
        }
    }

    #[test]
    fn every_frame_is_reachable_and_draws_are_near_uniform() {
        // Over many secrets, each frame of a stratum is drawn about equally.
        let mut hits = [0u32; 132];
        for s in 0..=255u8 {
            for seg in 0..8u8 {
                for p in positions(&key(s, &[seg]), "r", 132, 20) {
                    hits[p as usize] += 1;
                }
            }
        }
        assert!(hits.iter().all(|&h| h > 0), "{hits:?}");
        // 2048 draws per stratum of 6-7 frames: about 300 each.
        assert!(hits.iter().all(|&h| (200..420).contains(&h)), "{hits:?}");
    }

    #[test]
    fn default_count_meets_the_target_on_both_guarantees() {
        let policy = SamplingPolicy::default();
        for frames in [30u64, 50, 60, 120, 132, 250, 300, 600] {
            let n = sample_count(frames, &policy);
            let c = coverage(frames, n, &policy);
            assert!(
                c.p_contiguous >= 0.99 && c.p_spread >= 0.99,
                "{frames}: {c:?}"
            );
            if n > 1 {
                let fewer = coverage(frames, n - 1, &policy);
                assert!(
                    fewer.p_contiguous < 0.99 || fewer.p_spread < 0.99,
                    "{frames}: {n} is not the smallest"
                );
            }
        }
        assert_eq!(sample_count(10, &policy), 10);
    }

    #[test]
    fn hit_rates_over_random_keys_reach_the_stated_coverage() {
        let policy = SamplingPolicy::default();
        let frames = 50u64;
        let n = sample_count(frames, &policy);
        let cov = coverage(frames, n, &policy);
        let patterns: Vec<(Vec<u64>, f64)> = vec![
            ((20..25).collect(), cov.p_contiguous),
            ((0..frames).filter(|f| f % 4 == 1).collect(), cov.p_spread),
            ((0..frames).filter(|f| f % 4 == 0).collect(), cov.p_spread),
            ((0..frames).step_by(3).take(13).collect(), cov.p_spread),
        ];
        let trials = 4_000u32;
        for (bad, stated) in patterns {
            let hits = (0..trials)
                .filter(|i| {
                    positions(&key(0, &i.to_be_bytes()), "360p", frames, n)
                        .iter()
                        .any(|p| bad.contains(p))
                })
                .count();
            let rate = hits as f64 / f64::from(trials);
            let slack = 3.0 * (stated * (1.0 - stated) / f64::from(trials)).sqrt() + 1e-9;
            assert!(
                rate + slack >= stated,
                "{bad:?}: {rate} < {stated} (n = {n})"
            );
        }
    }

    #[test]
    fn coverage_matches_a_brute_force_over_all_draws() {
        // 12 frames, 4 strata of 3: enumerate all 3^4 draws and every
        // contiguous run of 2 frames; the worst case must match.
        let (frames, n, run) = (12u64, 4u64, 2u64);
        let mut worst_miss: f64 = 0.0;
        for start in 0..=frames - run {
            let mut missed = 0;
            for code in 0..81u64 {
                let picks: Vec<u64> = (0..n)
                    .map(|i| i * 3 + (code / 3u64.pow(i as u32)) % 3)
                    .collect();
                if !picks.iter().any(|p| (start..start + run).contains(p)) {
                    missed += 1;
                }
            }
            worst_miss = worst_miss.max(f64::from(missed) / 81.0);
        }
        assert!((miss_contiguous(frames, n, run) - worst_miss).abs() < 1e-12);
        // Spread: 4 tampered frames are best hidden one per stratum, (2/3)^4.
        assert!((miss_spread(frames, n, 4) - (2.0f64 / 3.0).powi(4)).abs() < 1e-12);
    }
}
