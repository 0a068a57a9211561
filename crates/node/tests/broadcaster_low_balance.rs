//! The deposit runs dry mid-stream: the orchestrator answers `LowPMBalance`; without a top-up the
//! broadcaster stops cleanly (playlists closed over what was done, receipts kept, an error exit
//! naming LowPMBalance); with `--top-up` it funds the deposit and the stream completes.

#[path = "common/bcast.rs"]
mod common;

use alloy::primitives::U256;
use common::{Chain, Orchestrator, check_hls, clip, spawn_stream, wait_stream};
use streamflow_node::broadcaster::store::Receipts;

const CENTI_ETH: u128 = 10_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_deposit_stops_cleanly_or_is_topped_up() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(20))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");
    chain.know_service().await;
    // Tickets worth 0.01 ETH each that always win (face value = expected value): every segment
    // takes one 0.01 ETH winner from the deposit. 4e8 wei per pixel keeps a 1 s 240p segment's
    // worst case (426x240 x 241 frames) under one ticket.
    let keeper = "[keeper]\nexpected_value_wei = \"10000000000000000\"\nface_value_multiplier = 1\npoll_ms = 200\n";
    let (config, url) = chain.orchestrator_config(dir.path(), 1, "400000000", keeper);
    chain.register(&config, 1).await;
    chain.next_round().await;
    let _orch = Orchestrator::start(
        &config,
        &url,
        chain.key(1).address(),
        &dir.path().join("orch.log"),
    );

    let (me, key) = chain.funded_broadcaster(dir.path(), 5, &["--deposit", "0.03eth"]);
    let clip = clip(dir.path(), 320, 240, 6);

    // 1. No top-up: three segments done, then a clean stop.
    let out_a = dir.path().join("a");
    let log = dir.path().join("a.log");
    let child = spawn_stream(
        &chain,
        &key,
        &[
            "--input",
            clip.to_str().expect("utf8"),
            "--out-dir",
            out_a.to_str().expect("utf8"),
            "--profiles",
            "240p",
            "--segment-secs",
            "1",
            "--verify-rate",
            "0",
        ],
        &log,
    );
    let run = wait_stream(child, log).await;
    assert!(!run.ok, "the stream had to stop: {}", run.stderr);
    assert!(
        run.stderr.contains("stream stopped: LowPMBalance"),
        "{}",
        run.stderr
    );
    let s = &run.summary;
    assert_eq!(s["complete"], false, "{s}");
    assert_eq!(s["segmentsOut"], 3, "{s}");
    assert_eq!(s["topUps"], 0, "{s}");
    check_hls(&out_a.join("hls"), &["240p"], 3);
    assert_eq!(
        Receipts::read_all(&out_a.join("receipts.jsonl"))
            .expect("receipts")
            .len(),
        3
    );

    // 2. With a top-up: the first quote is already refused; 0.1 ETH is added and all six
    // segments go through.
    let out_b = dir.path().join("b");
    let log = dir.path().join("b.log");
    let child = spawn_stream(
        &chain,
        &key,
        &[
            "--input",
            clip.to_str().expect("utf8"),
            "--out-dir",
            out_b.to_str().expect("utf8"),
            "--profiles",
            "240p",
            "--segment-secs",
            "1",
            "--verify-rate",
            "0",
            "--top-up",
            "0.1eth",
        ],
        &log,
    );
    let run = wait_stream(child, log).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["segmentsOut"], 6, "{s}");
    assert_eq!(s["topUps"], 1, "{s}");
    // One always-winning ticket per segment; those refused for LowPMBalance were never taken.
    assert_eq!(s["tickets"], 6, "{s}");
    check_hls(&out_b.join("hls"), &["240p"], 6);
    // The top-up went into the deposit: 0.03 + 0.1 funded, nine 0.01 ETH winners taken.
    let (deposit, _, _) = chain.sender(me.address()).await;
    assert!(
        deposit <= U256::from(13 * CENTI_ETH) && deposit >= U256::from(4 * CENTI_ETH),
        "{deposit}"
    );
}
