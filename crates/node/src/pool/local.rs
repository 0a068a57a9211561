//! The in-process transcoder: a job run in a fresh temporary folder, its renditions read back.

use std::path::Path;
use std::time::Instant;

use streamflow_transcoder::TranscodeReport;
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};

use super::{PoolError, RenditionOutput, TranscodeJob};

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
    let renditions = read_renditions(&report, &out_dir)?;
    Ok((report, renditions, started.elapsed().as_millis() as u64))
}

fn read_renditions(report: &TranscodeReport, dir: &Path) -> std::io::Result<Vec<RenditionOutput>> {
    let mut renditions = Vec::with_capacity(report.renditions.len());
    for r in &report.renditions {
        let data = std::fs::read(dir.join(&r.file))?;
        renditions.push(RenditionOutput {
            report: r.clone(),
            data,
        });
    }
    Ok(renditions)
}
