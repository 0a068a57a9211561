//! Redundancy N = 2 with real orchestrator processes on a real anvil: each segment goes to two
//! orchestrators at once, the first good answer is taken, both are paid (the orchestrators' own
//! ticket counters say so), and the output is complete; then, with one of the two refusing every
//! segment (no transcoding capacity), the other's answer is used each time and no segment is
//! missing.

#[path = "common/bcast.rs"]
mod common;

use std::path::Path;

use alloy::primitives::Address;
use common::{
    Chain, Orchestrator, StreamRun, check_hls, clip, key_file, spawn_stream, wait_stream,
};
use streamflow_node::broadcaster::store::Receipts;

/// One of an orchestrator's Prometheus counters.
async fn metric(url: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    streamflow_node::orchestrator::metrics::sample(&text, name)
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

/// Streams `clip` (four 1 s segments) with redundancy 2 through `orchestrators`.
async fn stream_through(
    chain: &Chain,
    key: &Path,
    clip: &Path,
    out_dir: &Path,
    orchestrators: &[&Orchestrator],
) -> StreamRun {
    let mut args = vec![
        "--input".to_owned(),
        clip.display().to_string(),
        "--out-dir".into(),
        out_dir.display().to_string(),
        "--profiles".into(),
        "240p".into(),
        "--segment-secs".into(),
        "1".into(),
        "--verify-rate".into(),
        "0".into(),
        "--redundancy".into(),
        "2".into(),
        "--segment-timeout-ms".into(),
        "30000".into(),
    ];
    for o in orchestrators {
        args.push("--orchestrator".into());
        args.push(o.url.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = out_dir.with_extension("log");
    let child = spawn_stream(chain, key, &args, &log);
    wait_stream(child, log).await
}

fn hex(a: Address) -> String {
    a.to_string().to_lowercase()
}

#[tokio::test(flavor = "multi_thread")]
async fn redundancy_two_takes_the_first_good_answer_pays_both_and_survives_one_erring() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(20))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");
    chain.know_service().await;
    let (ca, ua) = chain.orchestrator_config(dir.path(), 1, "1000", "");
    let (cb, ub) = chain.orchestrator_config(dir.path(), 2, "1000", "");
    // The third has no slot and no worker: it quotes, then refuses every segment with
    // CapacityExceeded.
    let (cc, uc) = chain.orchestrator_config(dir.path(), 3, "1000", "");
    let text = std::fs::read_to_string(&cc).expect("config");
    std::fs::write(&cc, text.replace("local_slots = 1", "local_slots = 0")).expect("config");
    for (c, k) in [(&ca, 1), (&cb, 2), (&cc, 3)] {
        chain.register(c, k).await;
    }
    chain.next_round().await;
    let (a, b, c) = (
        Orchestrator::start(&ca, &ua, chain.key(1).address(), &dir.path().join("a.log")),
        Orchestrator::start(&cb, &ub, chain.key(2).address(), &dir.path().join("b.log")),
        Orchestrator::start(&cc, &uc, chain.key(3).address(), &dir.path().join("c.log")),
    );

    let me = chain.key(5);
    let key = key_file(dir.path(), "bcast.key", &me);
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "1eth"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let clip = clip(dir.path(), 320, 240, 4);

    // 1. Two good orchestrators: every segment to both, the first good answer used.
    let out1 = dir.path().join("both-good");
    let run = stream_through(&chain, &key, &clip, &out1, &[&a, &b]).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsOut"], 4, "{s}");
    assert_eq!(s["failovers"], 0, "{s}");
    let (sa, sb) = (
        &s["orchestrators"][&hex(a.address)],
        &s["orchestrators"][&hex(b.address)],
    );
    let done = sa["segments"].as_u64().expect("n") + sb["segments"].as_u64().expect("n");
    assert_eq!(done, 4, "each segment taken once: {s}");
    for (o, so) in [(&a, sa), (&b, sb)] {
        assert_eq!(so["failures"], 0, "{s}");
        assert!(
            so["tickets"].as_u64().expect("n") >= 4,
            "paid for every segment: {s}"
        );
        assert_eq!(
            metric(&o.url, "streamflow_orchestrator_segments_received_total").await,
            4,
            "{} got every segment",
            o.url
        );
        assert!(
            metric(&o.url, "streamflow_orchestrator_tickets_accepted_total").await >= 4,
            "{} took tickets for every segment",
            o.url
        );
    }
    check_hls(&out1.join("hls"), &["240p"], 4);
    let seqs: Vec<u64> = Receipts::read_all(&out1.join("receipts.jsonl"))
        .expect("receipts")
        .iter()
        .map(|r| r.seq_no)
        .collect();
    assert_eq!(seqs, (0..4).collect::<Vec<_>>(), "one receipt per segment");

    // 2. One of the two errs on every segment: the other's answer is used, nothing is missing.
    let out2 = dir.path().join("one-errs");
    let run = stream_through(&chain, &key, &clip, &out2, &[&a, &c]).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsOut"], 4, "{s}");
    let (sa, sc) = (
        &s["orchestrators"][&hex(a.address)],
        &s["orchestrators"][&hex(c.address)],
    );
    assert_eq!(sa["segments"], 4, "{s}");
    assert_eq!(sc["segments"], 0, "{s}");
    assert_eq!(
        sc["failures"], 4,
        "asked (and refused) for every segment: {s}"
    );
    assert_eq!(sc["tickets"], 0, "a refusal at intake takes no ticket: {s}");
    assert!(run.stderr.contains("CapacityExceeded"), "{}", run.stderr);
    check_hls(&out2.join("hls"), &["240p"], 4);
}
