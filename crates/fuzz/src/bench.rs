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

use crate::{
    harness::Counters,
    machine::{RunConfig, run as run_harness},
};

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
    /// Harness worker threads.
    pub harness_threads: usize,
    /// Where the harness's time went (setup, actions, comparisons) and how many EVM transactions
    /// it ran.
    pub harness_counters: Counters,
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
            "harness: {} steps in {:.1} s on {} thread(s) = {h:.0} steps/s (each step: one action + every model check)",
            self.harness_steps,
            self.harness_time.as_secs_f64(),
            self.harness_threads
        )?;
        let c = &self.harness_counters;
        // The counters add up every thread's time: shares are of wall time × threads.
        let threads = u32::try_from(self.harness_threads.max(1)).unwrap_or(u32::MAX);
        let busy = self.harness_time * threads;
        let total = busy.as_secs_f64().max(1e-9);
        let part = |d: Duration| 100.0 * d.as_secs_f64() / total;
        let rest = busy.saturating_sub(c.setup_time + c.action_time + c.check_time);
        writeln!(
            f,
            "         time: actions {:.0} %, comparisons {:.0} %, case setup {:.0} %, generation and shrinking {:.0} %; {:.1} EVM transactions per step, {:.1} values compared per step",
            part(c.action_time),
            part(c.check_time),
            part(c.setup_time),
            part(rest),
            c.evm_calls as f64 / (c.steps as f64).max(1.0),
            c.checks as f64 / (c.steps as f64).max(1.0),
        )?;
        if self.forge_time.is_zero() {
            return write!(f, "forge:   not run");
        }
        writeln!(
            f,
            "forge:   {} handler calls in {:.1} s = {g:.0} calls/s (invariant runs x depth; its runner uses every core)",
            self.forge_calls,
            self.forge_time.as_secs_f64()
        )?;
        write!(f, "ratio:   {:.2}x", h / g.max(1e-9))
    }
}

/// Runs both and reports (forge only if `forge_match_path` is given: without it, the harness's
/// figures and its time breakdown alone, for profiling). The harness runs on `threads` worker
/// threads; forge's runner uses every core. Must run from the repository root.
pub fn run(
    budget: Duration,
    forge_match_path: Option<&str>,
    threads: usize,
) -> Result<BenchReport, BenchError> {
    let summary = run_harness(&RunConfig {
        budget,
        threads,
        ..RunConfig::default()
    });
    let Some(forge_match_path) = forge_match_path else {
        return Ok(BenchReport {
            harness_steps: summary.counters.steps,
            harness_time: summary.elapsed,
            harness_threads: threads,
            harness_counters: summary.counters,
            forge_calls: 0,
            forge_time: Duration::ZERO,
        });
    };
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
        harness_threads: threads,
        harness_counters: summary.counters,
        forge_calls,
        forge_time,
    })
}
