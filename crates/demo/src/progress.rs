//! The live progress display: a line per segment as the broadcaster keeps its receipts.

use crate::report::*;
use crate::{Result, fail};
use alloy::primitives::Address;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;
use streamflow_node::broadcaster::store::{ReceiptRecord, ReceiptState};
use tokio::io::AsyncBufReadExt;

pub(crate) fn progress(line: &str) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

pub(crate) fn read_records(path: &Path) -> Vec<ReceiptRecord> {
    let Ok(f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    std::io::BufReader::new(f)
        .lines()
        .map_while(|l| l.ok())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

/// Prints a line per segment answer the broadcaster keeps, until it prints its summary.
pub(crate) async fn follow_stream(
    stdout: Option<tokio::process::ChildStdout>,
    receipts: &Path,
    names: &BTreeMap<Address, &str>,
) -> Result<(Option<String>, Option<serde_json::Value>)> {
    let Some(stdout) = stdout else {
        return fail("stream", "no stdout");
    };
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut url = None;
    let mut shown = 0usize;
    let show = |shown: &mut usize| {
        let records = read_records(receipts);
        for r in records.iter().skip(*shown) {
            let who = names.get(&r.orchestrator).copied().unwrap_or("?");
            let rends: Vec<&str> = r.renditions.iter().map(|x| x.name.as_str()).collect();
            let pixels: u64 = r.renditions.iter().map(|x| x.pixels).sum();
            match &r.state {
                ReceiptState::Accepted => progress(&format!(
                    "  segment {:>3}  ok     {who}  {}  {:.1} Mpx{}",
                    r.seq_no,
                    rends.join(","),
                    pixels as f64 / 1e6,
                    if r.sampled { "  (checked in full)" } else { "" }
                )),
                ReceiptState::ChallengePending { reasons } => progress(&format!(
                    "  segment {:>3}  FAULT  {who}  caught by {}: {}  -> receipt kept, segment sent elsewhere",
                    r.seq_no,
                    caught_by(r.sampled, reasons),
                    reasons.join("; ")
                )),
                ReceiptState::Challenged { challenge_id, .. } => progress(&format!(
                    "  segment {:>3}  CHALLENGED  the broadcaster opened challenge #{challenge_id} against {who} on the FaultVerifier, serves the evidence and waits for the committee's verdict",
                    r.seq_no,
                )),
            }
        }
        *shown = records.len().max(*shown);
    };
    let mut tick = tokio::time::interval(Duration::from_millis(300));
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let line = match line {
                    Ok(Some(l)) => l,
                    Ok(None) | Err(_) => { show(&mut shown); return Ok((url, None)); }
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                match v.get("event").and_then(|e| e.as_str()) {
                    Some("serving") => {
                        let u = v.get("url").and_then(|u| u.as_str()).unwrap_or_default().to_owned();
                        progress(&format!("[demo] HLS output served at {u}/index.m3u8 while the stream runs"));
                        url = Some(u);
                    }
                    Some("summary") => {
                        show(&mut shown);
                        return Ok((url, v.get("summary").cloned()));
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => show(&mut shown),
        }
    }
}
