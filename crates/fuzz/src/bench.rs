//! Throughput of the harness against forge's invariant runner, measured in one run.
//!
//! The harness runs for a budget; then forge runs the invariant suites (the same actors and action
//! mix, written as handlers) and its throughput is `runs × depth × invariant tests ÷ wall time`,
//! with runs and depth read from forge's own output. Both figures are printed side by side; the
//! machine is shared, so only the ratio measured in the same run means anything.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use crate::machine::{RunConfig, run as run_harness};

/// Errors of the bench.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// forge could not be run.
    #[error("running forge: {0}")]
    Io(#[from] std::io::Error),
    /// forge failed.
    #[error("forge failed: {0}")]
    Forge(String),
}

/// Both throughputs.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Harness steps.
    pub harness_steps: u64,
    /// Harness wall time.
    pub harness_time: Duration,
    /// forge invariant calls (runs × depth, summed over invariant tests).
    pub forge_calls: u64,
    /// forge wall time (compilation excluded: a build runs first).
    pub forge_time: Duration,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.harness_steps as f64 / self.harness_time.as_secs_f64().max(1e-9);
        let g = self.forge_calls as f64 / self.forge_time.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "harness: {} steps in {:.1} s = {h:.0} steps/s (each step: one action + every model check)",
            self.harness_steps,
            self.harness_time.as_secs_f64()
        )?;
        writeln!(
            f,
            "forge:   {} handler calls in {:.1} s = {g:.0} calls/s (invariant runs x depth)",
            self.forge_calls,
            self.forge_time.as_secs_f64()
        )?;
        write!(f, "ratio:   {:.2}x", h / g.max(1e-9))
    }
}

/// Runs both and reports. Must run from the repository root.
pub fn run(budget: Duration, forge_match_path: &str) -> Result<BenchReport, BenchError> {
    let summary = run_harness(&RunConfig {
        budget,
        ..RunConfig::default()
    });
    let forge = Path::new("node_modules/.bin/forge");
    let status = Command::new(forge).arg("build").status()?;
    if !status.success() {
        return Err(BenchError::Forge("forge build".into()));
    }
    let start = Instant::now();
    let out = Command::new(forge)
        .args(["test", "--match-path", forge_match_path])
        .output()?;
    let forge_time = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(BenchError::Forge(text.into_owned()));
    }
    // lines like: [PASS] invariant_X() (runs: 64, calls: 4096, reverts: 12)
    let forge_calls = text
        .lines()
        .filter_map(|l| {
            let i = l.find("calls: ")?;
            let rest = &l[i + 7..];
            let end = rest.find(|c: char| !c.is_ascii_digit())?;
            rest[..end].parse::<u64>().ok()
        })
        .sum();
    Ok(BenchReport {
        harness_steps: summary.counters.steps,
        harness_time: summary.elapsed,
        forge_calls,
        forge_time,
    })
}
