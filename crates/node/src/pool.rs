//! The orchestrator's transcoder pool: where a paid segment is transcoded.
//!
//! A [`Pool`] hands out [`Slot`]s (one per segment being transcoded) so the orchestrator can refuse
//! with `CapacityExceeded` *before* it reads a segment's body, then runs the job in the slot. The
//! in-process pool runs `streamflow-transcoder` on blocking threads, one segment per slot.

use std::sync::Arc;
use std::time::Instant;

use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};
use streamflow_transcoder::{Profile, RenditionReport, TranscodeError, TranscodeReport};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::wire::Capacity;

/// One segment to transcode.
#[derive(Debug, Clone)]
pub struct TranscodeJob {
    /// The segment's bytes (MPEG-TS).
    pub segment: Arc<Vec<u8>>,
    /// The renditions wanted, in order.
    pub profiles: Vec<Profile>,
}

/// One rendition produced.
#[derive(Debug, Clone)]
pub struct RenditionOutput {
    /// Its accounting (name, size, frames, pixels).
    pub report: RenditionReport,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A transcoded segment.
#[derive(Debug, Clone)]
pub struct TranscodeOutput {
    /// The transcoder's report over the whole segment.
    pub report: TranscodeReport,
    /// The renditions, in the report's order.
    pub renditions: Vec<RenditionOutput>,
    /// Which worker did it (`local-N` for the in-process pool).
    pub worker: String,
    /// Wall time of the transcode, in milliseconds.
    pub elapsed_ms: u64,
}

/// Why a segment wasn't transcoded.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every slot is busy.
    #[error("no transcoding slot free ({in_flight} of {slots} busy)")]
    Busy {
        /// Slots in total.
        slots: u32,
        /// Slots busy.
        in_flight: u32,
    },
    /// The transcoder refused or failed on this segment (corrupt input, bad profile, limits).
    #[error("transcoding failed: {0}")]
    Transcode(#[from] TranscodeError),
    /// A local file operation failed.
    #[error("pool i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The transcoding task died.
    #[error("transcoding task failed: {0}")]
    Task(String),
}

/// A reserved transcoding slot; released when dropped.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    index: u32,
}

#[derive(Debug)]
struct Inner {
    slots: u32,
    free: Arc<Semaphore>,
    options: TranscodeOptions,
    next: std::sync::atomic::AtomicU32,
}

/// The in-process transcoder pool.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl Pool {
    /// A pool of `slots` in-process transcoding slots (at least one).
    pub fn local(slots: u32, options: TranscodeOptions) -> Self {
        let slots = slots.max(1);
        Self {
            inner: Arc::new(Inner {
                slots,
                free: Arc::new(Semaphore::new(slots as usize)),
                options,
                next: std::sync::atomic::AtomicU32::new(0),
            }),
        }
    }

    /// Slots in total and busy now.
    pub fn capacity(&self) -> Capacity {
        let free = self.inner.free.available_permits() as u32;
        Capacity {
            slots: self.inner.slots,
            in_flight: self.inner.slots.saturating_sub(free),
        }
    }

    /// Reserves a slot now, or says the pool is busy.
    pub fn reserve(&self) -> Result<Slot, PoolError> {
        match self.inner.free.clone().try_acquire_owned() {
            Ok(permit) => Ok(Slot {
                _permit: permit,
                index: self
                    .inner
                    .next
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    % self.inner.slots,
            }),
            Err(_) => {
                let c = self.capacity();
                Err(PoolError::Busy {
                    slots: c.slots,
                    in_flight: c.in_flight,
                })
            }
        }
    }

    /// Transcodes `job` in the reserved `slot` (released when this returns).
    pub async fn transcode(
        &self,
        slot: Slot,
        job: TranscodeJob,
    ) -> Result<TranscodeOutput, PoolError> {
        let options = self.inner.options.clone();
        let worker = format!("local-{}", slot.index);
        let out = tokio::task::spawn_blocking(move || transcode_in_tempdir(&job, &options))
            .await
            .map_err(|e| PoolError::Task(e.to_string()))?;
        drop(slot);
        let (report, renditions, elapsed_ms) = out?;
        Ok(TranscodeOutput {
            report,
            renditions,
            worker,
            elapsed_ms,
        })
    }
}

/// Runs the transcoder on `job` in a fresh temporary folder and reads the renditions back.
pub fn transcode_in_tempdir(
    job: &TranscodeJob,
    options: &TranscodeOptions,
) -> Result<(TranscodeReport, Vec<RenditionOutput>, u64), PoolError> {
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.ts");
    std::fs::write(&input, job.segment.as_slice())?;
    let out_dir = dir.path().join("out");
    let report = transcode_segment(&input, &job.profiles, &out_dir, options)?;
    let mut renditions = Vec::with_capacity(report.renditions.len());
    for r in &report.renditions {
        let data = std::fs::read(out_dir.join(&r.file))?;
        renditions.push(RenditionOutput {
            report: r.clone(),
            data,
        });
    }
    Ok((report, renditions, started.elapsed().as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pool_refuses_and_a_released_slot_is_reusable() {
        let pool = Pool::local(2, TranscodeOptions::default());
        let a = pool.reserve().expect("first");
        let _b = pool.reserve().expect("second");
        assert_eq!(
            pool.capacity(),
            Capacity {
                slots: 2,
                in_flight: 2
            }
        );
        assert!(matches!(
            pool.reserve(),
            Err(PoolError::Busy {
                slots: 2,
                in_flight: 2
            })
        ));
        drop(a);
        assert!(pool.reserve().is_ok());
    }

    #[tokio::test]
    async fn garbage_is_a_transcode_error_not_a_panic() {
        let pool = Pool::local(1, TranscodeOptions::default());
        let slot = pool.reserve().expect("slot");
        let job = TranscodeJob {
            segment: Arc::new(vec![0x47; 10_000]),
            profiles: vec![Profile::preset("240p").expect("preset")],
        };
        let err = pool.transcode(slot, job).await.expect_err("garbage");
        assert!(matches!(err, PoolError::Transcode(_)), "{err}");
        assert_eq!(pool.capacity().in_flight, 0);
    }

    #[tokio::test]
    async fn a_real_segment_is_transcoded_with_exact_pixels() {
        streamflow_transcoder::quiet_ffmpeg(false);
        let dir = tempfile::tempdir().expect("tmp");
        let src = dir.path().join("src.ts");
        let spec = streamflow_transcoder::testmedia::SegmentSpec::new(320, 240, 25, 1.0);
        streamflow_transcoder::testmedia::generate_segment(&spec, &src)
            .expect("ffmpeg makes a test segment");
        let pool = Pool::local(1, TranscodeOptions::default());
        let job = TranscodeJob {
            segment: Arc::new(std::fs::read(&src).expect("read")),
            profiles: vec![Profile::preset("240p").expect("preset")],
        };
        let out = pool
            .transcode(pool.reserve().expect("slot"), job)
            .await
            .expect("transcode");
        assert_eq!(out.renditions.len(), 1);
        let r = &out.renditions[0].report;
        assert_eq!(
            r.pixels,
            u64::from(r.width) * u64::from(r.height) * r.frames
        );
        assert!(r.frames >= 24, "frames {}", r.frames);
        assert_eq!(out.renditions[0].data.len() as u64, r.bytes);
    }
}
