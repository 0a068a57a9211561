//! The demo's flow on a fresh devnet with a short clip: every role a real `streamflow-node`
//! process, a real anvil, real FFmpeg. The output playlists are complete and every segment decodes;
//! the dishonest orchestrator is caught, challenged, judged by the committee and slashed on chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::devnet::Devnet;
use streamflow_node::challenge::Status;

/// `streamflow-node`, built by `cargo test --workspace` (or `cargo build -p streamflow-node`) into
/// the same target folder as this test.
fn node_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/demo_flow-<hash> -> target/debug/streamflow-node
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("streamflow-node");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (cargo build -p streamflow-node)",
        bin.display()
    );
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_demo_streams_every_segment_and_slashes_the_cheater() {
    let devnet = tokio::task::spawn_blocking(|| Devnet::start(50))
        .await
        .unwrap()
        .expect("devnet");
    let work = tempfile::tempdir().unwrap();
    let mut opts = streamflow_demo::Options::new(
        &devnet.anvil.endpoint(),
        devnet.file.path(),
        &node_bin(),
        &work.path().join("demo"),
    )
    .unwrap();
    opts.keys = devnet
        .anvil
        .keys()
        .iter()
        .map(|k| PrivateKeySigner::from(k.clone()))
        .collect();
    // 4 segments of 2 s, every one checked in full so the cheater is caught on its first segment
    // (the demo streams again if a stream did not reach it).
    opts.clip_secs = 8.0;
    opts.verify_rate = 1.0;
    opts.profiles = "240p".into();
    let broadcaster = opts.keys[4].address();
    let report = streamflow_demo::run(opts, std::future::pending())
        .await
        .expect("the demo runs");
    report.print(&mut std::io::stdout()).unwrap();

    assert_eq!(report.segments_in, 4, "8 s at a 2 s keyframe interval");
    assert_eq!(
        report.segments_out, report.segments_in,
        "no segment missing"
    );
    let checked = streamflow_demo::check_output(&report.hls_dir, report.segments_out)
        .expect("complete playlists, every segment decodes");
    assert_eq!(checked, 4);

    let cheater = report
        .orchestrators
        .iter()
        .find(|o| o.dishonest)
        .expect("a dishonest orchestrator");
    let c = report.challenge.as_ref().expect("the fault was challenged");
    assert_eq!(c.orchestrator, cheater.address);
    // The broadcaster's own path: it opened the challenge with its account, followed it and
    // collected its bond back.
    assert_eq!(c.challenger, broadcaster, "{c:?}");
    assert_eq!(c.status, Status::Slashed, "{c:?}");
    assert!(c.slashed > U256::ZERO && c.finder_fee > U256::ZERO, "{c:?}");
    assert!(c.collected >= c.bond && c.bond > U256::ZERO, "{c:?}");
    // The tamper keeps frames, size and timing: only the full check sees it.
    assert!(c.caught_by.contains("full check"), "{c:?}");
    // On chain: the Slashed event, and the stake below what was bonded.
    assert_eq!(cheater.slashed_lpt, c.slashed);
    let bonded = U256::from(streamflow_demo::STAKE_LPT) * U256::from(10u64).pow(U256::from(18));
    assert!(cheater.stake_after < bonded, "{cheater:?}");
    for honest in report.orchestrators.iter().filter(|o| !o.dishonest) {
        assert!(honest.slashed_lpt.is_zero(), "{honest:?}");
    }
    assert!(report.tickets_sent > 0);
    assert_eq!(
        report.tickets_redeemed, report.tickets_won,
        "every winner redeemed"
    );
}
