//! One stream of the clip by the broadcaster process, and what its summary says.

use crate::procs::*;
use crate::progress::*;
use crate::report::*;
use crate::{Result, Step, fail};
use alloy::primitives::{Address, U256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use streamflow_node::broadcaster::store::{ReceiptRecord, ReceiptState};
use streamflow_node::challenge::{Outcome, Status};
use tokio::process::Command;

/// One stream of the clip by the broadcaster process.
pub(crate) struct Pass {
    pub(crate) out_dir: PathBuf,
    pub(crate) url: Option<String>,
    pub(crate) summary: serde_json::Value,
    pub(crate) challenges: Vec<ChallengeReport>,
}

/// An orchestrator's share of a pass, from the broadcaster's summary.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PassStats {
    pub(crate) segments: u64,
    pub(crate) tickets: u64,
    pub(crate) failures: u64,
    pub(crate) faults: u64,
}

impl Pass {
    pub(crate) fn orchestrator(&self, a: Address) -> PassStats {
        let per = self.summary.get("orchestrators");
        let s = per.and_then(|p| {
            p.get(a.to_string())
                .or_else(|| p.get(a.to_string().to_lowercase()))
        });
        let num = |k: &str| {
            s.and_then(|s| s.get(k))
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        };
        PassStats {
            segments: num("segments"),
            tickets: num("tickets"),
            failures: num("failures"),
            faults: num("faults"),
        }
    }

    pub(crate) fn orchestrators_tickets(&self) -> u64 {
        self.summary
            .get("tickets")
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    }
}

/// Runs one broadcaster stream process to its end (its challenges settled), showing its progress.
pub(crate) async fn stream_pass(
    mut stream: Command,
    procs: &mut Procs,
    logs: &Path,
    out_dir: &Path,
    names: &BTreeMap<Address, &str>,
    n: u32,
) -> Result<Pass> {
    let log = if n == 1 {
        logs.join("broadcaster.log")
    } else {
        logs.join(format!("broadcaster-pass{n}.log"))
    };
    let blog = std::fs::File::create(&log).step("log file")?;
    stream
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(blog)
        .kill_on_drop(true);
    let mut child = stream.spawn().step("starting the broadcaster")?;
    let stdout = child.stdout.take();
    procs.push("broadcaster", child);
    let followed = follow_stream(stdout, &out_dir.join("receipts.jsonl"), names).await?;
    // The broadcaster prints its summary once its challenges are settled.
    let secs = followed
        .challenged_at
        .map_or(0.0, |t| t.elapsed().as_secs_f64());
    let (url, summary) = (followed.url, followed.summary);
    // The broadcaster exits after its summary.
    if let Some((_, mut c)) = procs.children.pop() {
        let _ = tokio::time::timeout(Duration::from_secs(10), c.wait()).await;
    }
    let Some(summary) = summary else {
        return fail(
            "stream",
            format!(
                "the broadcaster ended without a summary; see {}",
                log.display()
            ),
        );
    };
    if summary.get("complete").and_then(|c| c.as_bool()) != Some(true) {
        let why = summary
            .get("stopped")
            .and_then(|c| c.as_str())
            .unwrap_or("unknown");
        return fail(
            "stream",
            format!(
                "the broadcaster stopped early: {why}; see {}",
                log.display()
            ),
        );
    }
    let records = read_records(&out_dir.join("receipts.jsonl"));
    let collected = summary
        .get("challengeCollectedWei")
        .and_then(|x| x.as_str())
        .and_then(|x| x.parse::<U256>().ok())
        .unwrap_or_default();
    let challenges = summary
        .get("challengeOutcomes")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| challenge_report(c, &records, collected, secs))
                .collect()
        })
        .unwrap_or_default();
    Ok(Pass {
        out_dir: out_dir.to_owned(),
        url,
        summary,
        challenges,
    })
}

/// A challenge from the broadcaster's summary (`challengeOutcomes`), with the reasons and the
/// sample draw of its receipt record; `collected` is what the broadcaster withdrew after all of the
/// stream's challenges.
pub(crate) fn challenge_report(
    v: &serde_json::Value,
    records: &[ReceiptRecord],
    collected: U256,
    secs: f64,
) -> Option<ChallengeReport> {
    let u256 = |v: Option<&serde_json::Value>| {
        v.and_then(|x| x.as_str())
            .and_then(|x| x.parse::<U256>().ok())
            .unwrap_or_default()
    };
    let outcome: Option<Outcome> = v
        .get("outcome")
        .and_then(|o| serde_json::from_value(o.clone()).ok());
    let challenge_id = u256(v.get("challengeId"));
    let (reasons, sampled) = records
        .iter()
        .find_map(|r| match &r.state {
            ReceiptState::Challenged {
                reasons,
                challenge_id: id,
            } if id.parse::<U256>().ok() == Some(challenge_id) => {
                Some((reasons.clone(), r.sampled))
            }
            _ => None,
        })
        .unwrap_or_default();
    Some(ChallengeReport {
        challenge_id,
        challenger: Address::ZERO,
        orchestrator: v.get("orchestrator")?.as_str()?.parse().ok()?,
        seq_no: v.get("seqNo").and_then(|s| s.as_u64()).unwrap_or(0),
        caught_by: caught_by(sampled, &reasons).into(),
        reasons,
        status: outcome.as_ref().map_or(Status::Pending, |o| o.status),
        slashed: outcome.as_ref().map_or(U256::ZERO, |o| o.slashed),
        finder_fee: outcome.as_ref().map_or(U256::ZERO, |o| o.finder_fee),
        bond: u256(v.get("bond")),
        bond_refunded: outcome.as_ref().map_or(U256::ZERO, |o| o.bond_refunded),
        collected,
        error: v.get("error").and_then(|e| e.as_str()).map(str::to_owned),
        secs,
    })
}
