//! An orchestrator killed mid-stream: the stream completes through the other one, no segment
//! missing, no chain transaction needed.

#[path = "common/bcast.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Chain, Orchestrator, check_hls, clip, spawn_stream, wait_stream};
use streamflow_node::broadcaster::store::Receipts;

#[tokio::test(flavor = "multi_thread")]
async fn an_orchestrator_killed_mid_stream_is_replaced_and_no_segment_is_missing() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(20))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");
    chain.know_service().await;
    let (ca, ua) = chain.orchestrator_config(dir.path(), 1, "1000", "");
    let (cb, ub) = chain.orchestrator_config(dir.path(), 2, "1000", "");
    chain.register(&ca, 1).await;
    chain.register(&cb, 2).await;
    chain.next_round().await;
    let mut orchs = [
        Orchestrator::start(&ca, &ua, chain.key(1).address(), &dir.path().join("a.log")),
        Orchestrator::start(&cb, &ub, chain.key(2).address(), &dir.path().join("b.log")),
    ];

    let (_, key) =
        chain.funded_broadcaster(dir.path(), 5, &["--deposit", "1eth", "--reserve", "1eth"]);

    // 8 segments of 1 s; the registry gives both orchestrators.
    let clip = clip(dir.path(), 320, 240, 8);
    let out_dir = dir.path().join("out");
    let log = dir.path().join("bcast.log");
    let child = spawn_stream(
        &chain,
        &key,
        &[
            "--input",
            clip.to_str().expect("utf8"),
            "--out-dir",
            out_dir.to_str().expect("utf8"),
            "--profiles",
            "240p",
            "--segment-secs",
            "1",
            "--verify-rate",
            "0",
            "--segment-timeout-ms",
            "20000",
        ],
        &log,
    );
    // Kill whoever did the first segment as soon as its receipt is kept.
    let receipts = out_dir.join("receipts.jsonl");
    let deadline = Instant::now() + Duration::from_secs(300);
    let first = loop {
        if let Ok(r) = Receipts::read_all(&receipts)
            && let Some(rec) = r.first()
        {
            break rec.orchestrator;
        }
        assert!(
            Instant::now() < deadline,
            "no segment done: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let victim = orchs
        .iter()
        .position(|o| o.address == first)
        .expect("one of ours");
    orchs[victim].kill();
    let survivor = orchs[1 - victim].address;

    let run = wait_stream(child, log).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsIn"], 8, "{s}");
    assert_eq!(s["segmentsOut"], 8, "{s}");
    let dead = first.to_string().to_lowercase();
    let alive = survivor.to_string().to_lowercase();
    let by_dead = s["orchestrators"][&dead]["segments"].as_u64().expect("n");
    let by_alive = s["orchestrators"][&alive]["segments"].as_u64().expect("n");
    assert_eq!(by_dead + by_alive, 8, "{s}");
    assert!(by_alive >= 1, "the survivor took over: {s}");
    // The killed one did the first segment, so it ranked first: the next segment went to it,
    // failed, and went to the survivor at once (one failover); then it ranked last.
    assert_eq!(s["orchestrators"][&dead]["failures"], 1, "{s}");
    assert_eq!(s["failovers"], 1, "{s}");
    assert_eq!(by_dead, 1, "{s}");

    check_hls(&out_dir.join("hls"), &["240p"], 8);
    let records = Receipts::read_all(&receipts).expect("receipts");
    let seqs: Vec<u64> = records.iter().map(|r| r.seq_no).collect();
    assert_eq!(seqs, (0..8).collect::<Vec<_>>());
    // After the kill, everything came from the survivor.
    let after_kill = records
        .iter()
        .skip_while(|r| r.orchestrator == first)
        .collect::<Vec<_>>();
    assert!(after_kill.iter().all(|r| r.orchestrator == survivor));
}
