//! A short clip streamed by the real broadcaster binary through a real orchestrator process on a
//! real anvil: complete playlists, every segment decodes, every receipt kept and its evidence
//! stored, tickets paid.

#[path = "common/bcast.rs"]
mod common;

use common::{Chain, Orchestrator, check_hls, clip, spawn_stream, wait_stream};

#[tokio::test(flavor = "multi_thread")]
async fn a_clip_through_an_orchestrator_gives_complete_hls() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(20))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");
    chain.know_service().await;
    let (config, url) = chain.orchestrator_config(dir.path(), 1, "1000", "");
    chain.register(&config, 1).await;
    chain.next_round().await;
    let orch = Orchestrator::start(
        &config,
        &url,
        chain.key(1).address(),
        &dir.path().join("orch.log"),
    );

    let (me, key) =
        chain.funded_broadcaster(dir.path(), 5, &["--deposit", "1eth", "--reserve", "1eth"]);

    // 4 s at 640x360, cut every 2 s: two segments, two renditions each.
    let clip = clip(dir.path(), 640, 360, 4);
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
            "240p,360p",
            "--verify-rate",
            "1",
            "--http",
            "127.0.0.1:0",
        ],
        &log,
    );
    let run = wait_stream(child, log).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsIn"], 2, "{s}");
    assert_eq!(s["segmentsOut"], 2, "{s}");
    assert_eq!(s["renditions"], 4, "{s}");
    assert_eq!(s["sampled"], 2, "{s}");
    assert_eq!(s["faults"], 0, "{s}");
    assert_eq!(s["failovers"], 0, "{s}");
    assert!(s["tickets"].as_u64().expect("tickets") >= 1, "{s}");
    for l in run.stderr.lines().filter(|l| l.contains("WARN")) {
        eprintln!("{l}");
    }
    let address = orch.address.to_string().to_lowercase();
    assert_eq!(s["orchestrators"][&address]["segments"], 2, "{s}");

    let durations = check_hls(&out_dir.join("hls"), &["240p", "360p"], 2);
    let total: f64 = durations.iter().sum();
    assert!((total - 4.0).abs() < 0.2, "{durations:?}");

    // Every receipt kept, signed by the orchestrator, with its evidence by hash.
    let records =
        streamflow_node::broadcaster::store::Receipts::read_all(&out_dir.join("receipts.jsonl"))
            .expect("receipts");
    assert_eq!(records.len(), 2);
    let ev = streamflow_node::broadcaster::store::Evidence::open(out_dir.join("evidence"))
        .expect("evidence");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq_no, i as u64);
        assert_eq!(r.orchestrator, orch.address);
        assert_eq!(
            r.state,
            streamflow_node::broadcaster::store::ReceiptState::Accepted
        );
        assert_eq!(r.receipt.receipt.broadcaster, me.address());
        assert!(
            ev.get(&r.input_hash).is_some(),
            "source of segment {i} kept"
        );
        for k in &r.renditions {
            assert!(
                ev.get(&k.output_hash).is_some(),
                "{} of segment {i} kept",
                k.name
            );
        }
    }
    drop(orch);
}
