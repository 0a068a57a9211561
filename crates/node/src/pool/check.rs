//! Checks of a public worker's output against the source, with the transcoder crate's verifier.

use std::collections::HashSet;

use streamflow_transcoder::decode::Limits;
use streamflow_transcoder::probe::probe;
use streamflow_transcoder::verify::{Claim, Item, Level, VerifyOptions, verify_segment};
use streamflow_transcoder::{Profile, TranscodeReport};

use super::{RenditionOutput, TranscodeJob};

/// The verdict on a worker's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing wrong found.
    Pass,
    /// The output is wrong: the worker cheated or is broken.
    Caught(String),
    /// The output couldn't be checked (e.g. the source itself doesn't probe).
    Unverifiable(String),
}

/// Checks `renditions` against `job`: always the structure and the verifier's cheap probe checks
/// (which escalate by themselves on suspicion); with `audit`, also the exact pixel count and the
/// quality comparison with the source on frames drawn with a fresh secret.
pub(crate) fn spot_check(
    job: &TranscodeJob,
    report: &TranscodeReport,
    renditions: &[RenditionOutput],
    audit: bool,
    limits: &Limits,
) -> Outcome {
    let profile_of = |name: &str| job.profiles.iter().find(|p| p.name == name);
    let mut seen = HashSet::new();
    for r in renditions {
        if profile_of(&r.report.name).is_none() {
            return Outcome::Caught(format!("rendition {} was not asked for", r.report.name));
        }
        if !seen.insert(r.report.name.as_str()) {
            return Outcome::Caught(format!("rendition {} returned twice", r.report.name));
        }
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return Outcome::Unverifiable(format!("temporary folder: {e}")),
    };
    let source = dir.path().join("source.ts");
    if let Err(e) = std::fs::write(&source, job.segment.as_slice()) {
        return Outcome::Unverifiable(format!("writing the source: {e}"));
    }
    let source_probe = match probe(&source, limits) {
        Ok(p) => p,
        Err(e) => return Outcome::Unverifiable(format!("source does not probe: {e}")),
    };
    if (report.source_width, report.source_height) != (source_probe.width, source_probe.height) {
        return Outcome::Caught(format!(
            "report says the source is {}x{}, it is {}x{}",
            report.source_width, report.source_height, source_probe.width, source_probe.height
        ));
    }
    for p in &job.profiles {
        let returned = seen.contains(p.name.as_str());
        let skippable = p
            .output_size(source_probe.width, source_probe.height)
            .is_none();
        if !returned && !skippable {
            return Outcome::Caught(format!("rendition {} is missing", p.name));
        }
    }
    let mut paths = Vec::with_capacity(renditions.len());
    for (i, r) in renditions.iter().enumerate() {
        let path = dir.path().join(format!("r{i}.ts"));
        if let Err(e) = std::fs::write(&path, &r.data) {
            return Outcome::Unverifiable(format!("writing a rendition: {e}"));
        }
        paths.push(path);
    }
    let items: Vec<Item<'_>> = renditions
        .iter()
        .zip(&paths)
        .filter_map(|(r, path)| {
            profile_of(&r.report.name).map(|profile: &Profile| Item {
                rendition: path,
                profile,
                claim: Claim::from(&r.report),
            })
        })
        .collect();
    let opts = VerifyOptions {
        level: Level::Auto,
        audit,
        limits: limits.clone(),
        ..VerifyOptions::default()
    };
    match verify_segment(&source, &source_probe, &items, &opts) {
        Err(e) => Outcome::Unverifiable(format!("verifier: {e}")),
        Ok(results) => {
            let failed: Vec<String> = results
                .iter()
                .filter(|v| v.verdict.is_fail())
                .map(|v| format!("{}: {}", v.name, v.verdict.reasons().join("; ")))
                .collect();
            if failed.is_empty() {
                Outcome::Pass
            } else {
                Outcome::Caught(failed.join(" | "))
            }
        }
    }
}
