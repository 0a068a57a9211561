//! What an orchestrator dying mid-stream costs the broadcaster: how many segments are delayed and
//! by how much, against the normal per-segment latency measured in the same stream.
//!
//! Scenario: a real anvil with the protocol, three real orchestrator processes (1 slot each, x264
//! `ultrafast`, same price), the real broadcaster binary streaming a generated 640x360 25 fps clip
//! cut into 2 s segments, one 240p rendition, cheap checks only, redundancy 1. Two runs:
//! - **killed**: the orchestrator that did the third segment is killed (SIGKILL) as soon as its
//!   receipt is kept: its next request fails at once (connection refused or reset);
//! - **frozen**: the same, but the process is stopped (SIGSTOP): it accepts connections and never
//!   answers, so the broadcaster waits for its segment timeout (`--segment-timeout-ms 3000` here).
//!
//! The file is read faster than real time; a segment's latency is measured from the moment the
//! broadcaster takes it (queueing behind earlier segments is not included).
//!
//! `cargo bench -p streamflow-node --bench broadcaster_failover` (set `BCAST_BENCH_SECS`, default
//! 20)

#[path = "../tests/common/bcast.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Chain, Orchestrator, clip, finish_stream, key_file, spawn_stream};
use streamflow_node::broadcaster::store::Receipts;

const SEGMENT_TIMEOUT_MS: u64 = 3000;

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    let p50 = v.get(v.len() / 2).copied().unwrap_or(0.0);
    let max = v.last().copied().unwrap_or(0.0);
    (mean, p50, max)
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

/// Streams through `orchs`, and when the third receipt is kept, hits its orchestrator with `sig`.
/// Returns the index (in `orchs`) of the one hit.
fn run(
    chain: &Chain,
    key: &Path,
    clip: &Path,
    dir: &Path,
    name: &str,
    orchs: &mut [&mut Orchestrator],
    sig: &str,
) -> usize {
    let out_dir = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    let timeout = SEGMENT_TIMEOUT_MS.to_string();
    let mut args = vec![
        "--input",
        clip.to_str().expect("utf8"),
        "--out-dir",
        out_dir.to_str().expect("utf8"),
        "--profiles",
        "240p",
        "--verify-rate",
        "0",
        "--segment-timeout-ms",
        &timeout,
    ];
    for o in orchs.iter() {
        args.push("--orchestrator");
        args.push(&o.url);
    }
    let child = spawn_stream(chain, key, &args, &log);
    let receipts = out_dir.join("receipts.jsonl");
    let deadline = Instant::now() + Duration::from_secs(600);
    let third = loop {
        if let Ok(r) = Receipts::read_all(&receipts)
            && let Some(rec) = r.get(2)
        {
            break rec.orchestrator;
        }
        assert!(Instant::now() < deadline, "no third segment");
        std::thread::sleep(Duration::from_millis(2));
    };
    let victim = orchs
        .iter()
        .position(|o| o.address == third)
        .expect("one of ours");
    signal(orchs[victim].child.id(), sig);
    let hit = Instant::now();
    let run = finish_stream(child, &log, Duration::from_secs(1800));
    assert!(run.ok, "{}", run.stderr);
    let s = run.summary;
    let t = s["timings"].as_array().expect("timings").clone();
    let wall = |x: &serde_json::Value| x["wallMs"].as_f64().unwrap_or(0.0);
    let normal: Vec<f64> = t
        .iter()
        .filter(|x| x["failedAttempts"] == 0)
        .map(wall)
        .collect();
    let failed_over: Vec<&serde_json::Value> =
        t.iter().filter(|x| x["failedAttempts"] != 0).collect();
    let (mean, p50, max) = stats(normal.clone());
    let slower_than_any_normal = t.iter().filter(|x| wall(x) > max).count();
    println!(
        "\n{name} ({sig} on the orchestrator of segment 2, {:.0} ms before the stream ended): {} segments in, {} out, {} failover(s)",
        hit.elapsed().as_secs_f64() * 1e3,
        s["segmentsIn"],
        s["segmentsOut"],
        s["failovers"]
    );
    println!(
        "  normal segments (anchor, same stream): n = {}, wall mean {mean:.1} ms, p50 {p50:.1} ms, max {max:.1} ms",
        normal.len()
    );
    for x in &failed_over {
        println!(
            "  failed-over segment {}: wall {:.1} ms = p50 + {:.1} ms ({} failed attempt(s) first)",
            x["seqNo"],
            wall(x),
            wall(x) - p50,
            x["failedAttempts"]
        );
    }
    println!(
        "  segments delayed: {} needed a second orchestrator; {} took longer than every normal segment",
        failed_over.len(),
        slower_than_any_normal
    );
    victim
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs: u32 = std::env::var("BCAST_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    streamflow_transcoder::quiet_ffmpeg(false);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tmp");
    let clip = clip(dir.path(), 640, 360, secs);

    let chain = Chain::start(50);
    rt.block_on(chain.know_service());
    let mut orchs = Vec::new();
    for k in 1..=3 {
        let (config, url) = chain.orchestrator_config(dir.path(), k, "1000", "");
        rt.block_on(chain.register(&config, k));
        orchs.push((config, url, chain.key(k).address()));
    }
    rt.block_on(chain.next_round());
    let mut procs: Vec<Orchestrator> = orchs
        .iter()
        .enumerate()
        .map(|(i, (c, u, a))| Orchestrator::start(c, u, *a, &dir.path().join(format!("o{i}.log"))))
        .collect();
    let key = key_file(dir.path(), "bcast.key", &chain.key(5));
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "1eth"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    println!(
        "broadcaster_failover: {secs} s clip in ~2 s segments, 640x360 -> 240p, orchestrators of 1 slot (ultrafast), redundancy 1, --segment-timeout-ms {SEGMENT_TIMEOUT_MS}, loaded 2-core machine"
    );
    let (first, rest) = procs.split_at_mut(1);
    let (second, third) = rest.split_at_mut(1);
    let killed = {
        let mut pair = [&mut first[0], &mut second[0]];
        run(
            &chain,
            &key,
            &clip,
            dir.path(),
            "killed",
            &mut pair,
            "-KILL",
        )
    };
    // The survivor of the first run and the third orchestrator.
    let survivor: &mut Orchestrator = if killed == 0 {
        &mut second[0]
    } else {
        &mut first[0]
    };
    let mut pair = [survivor, &mut third[0]];
    let frozen = run(
        &chain,
        &key,
        &clip,
        dir.path(),
        "frozen",
        &mut pair,
        "-STOP",
    );
    signal(pair[frozen].child.id(), "-CONT");
    drop(procs);
}
