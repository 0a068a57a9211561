//! The live progress display: a line per segment as the broadcaster keeps its receipts.

use crate::report::*;
use crate::{Result, fail};
use alloy::primitives::Address;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};
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

/// What [`follow_stream`] saw.
pub(crate) struct Followed {
    /// The HLS URL the broadcaster announced.
    pub(crate) url: Option<String>,
    /// Its summary, if it printed one.
    pub(crate) summary: Option<serde_json::Value>,
    /// When its first challenge was seen opened.
    pub(crate) challenged_at: Option<Instant>,
}

/// Prints a line per segment answer the broadcaster keeps, until it prints its summary.
pub(crate) async fn follow_stream(
    stdout: Option<tokio::process::ChildStdout>,
    receipts: &Path,
    names: &BTreeMap<Address, &str>,
) -> Result<Followed> {
    let Some(stdout) = stdout else {
        return fail("stream", "no stdout");
    };
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut url = None;
    let mut shown = 0usize;
    let mut challenged_at = None;
    let show = |shown: &mut usize, challenged_at: &mut Option<Instant>| {
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
                ReceiptState::Challenged { challenge_id, .. } => {
                    challenged_at.get_or_insert_with(Instant::now);
                    progress(&format!(
                        "  segment {:>3}  CHALLENGED  the broadcaster opened challenge #{challenge_id} against {who} on the FaultVerifier, serves the evidence and waits for the committee's verdict",
                        r.seq_no,
                    ))
                }
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
                    Ok(None) | Err(_) => { show(&mut shown, &mut challenged_at); return Ok(Followed { url, summary: None, challenged_at }); }
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
                match v.get("event").and_then(|e| e.as_str()) {
                    Some("serving") => {
                        let u = v.get("url").and_then(|u| u.as_str()).unwrap_or_default().to_owned();
                        progress(&format!("[demo] HLS output served at {u}/index.m3u8 while the stream runs"));
                        url = Some(u);
                    }
                    Some("summary") => {
                        show(&mut shown, &mut challenged_at);
                        return Ok(Followed { url, summary: v.get("summary").cloned(), challenged_at });
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => show(&mut shown, &mut challenged_at),
        }
    }
}
