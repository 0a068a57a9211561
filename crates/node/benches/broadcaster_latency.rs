//! What the broadcaster adds to transcoding, and how fast the whole pipeline runs.
//!
//! Scenario: a real anvil with the protocol, one real orchestrator process (1 slot, x264
//! `ultrafast`), the real broadcaster binary streaming a generated 640x360 25 fps clip cut into
//! 2 s segments, one 240p rendition, cheap checks on every segment (`--verify-rate 0`) and then the
//! full metric check on every segment (`--verify-rate 1`). The anchor, measured in the same run on
//! the same segments: the same transcode done in-process with nothing around it.
//!
//! `cargo bench -p streamflow-node --bench broadcaster_latency` (set `BCAST_BENCH_SECS`, default 20)

#[path = "../tests/common/bcast.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Chain, Orchestrator, clip, finish_stream, key_file, spawn_stream};
use streamflow_node::broadcaster::segmenter::{Input, segment};
use streamflow_node::pool::{TranscodeJob, transcode_in_tempdir};
use streamflow_transcoder::Profile;
use streamflow_transcoder::transcode::TranscodeOptions;

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    let p50 = v.get(v.len() / 2).copied().unwrap_or(0.0);
    let max = v.last().copied().unwrap_or(0.0);
    (mean, p50, max)
}

fn row(name: &str, v: Vec<f64>) {
    let (mean, p50, max) = stats(v);
    println!("{name:<38} {mean:>9.1} {p50:>9.1} {max:>9.1}");
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

    // Anchor: transcoding alone, same segments, same preset.
    let mut segments = Vec::new();
    segment(
        &Input::File(clip.clone()),
        2.0,
        &dir.path().join("work"),
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
        |s| {
            segments.push(s);
            true
        },
    )
    .expect("segments");
    let opts = TranscodeOptions {
        x264_preset: "ultrafast".into(),
        ..TranscodeOptions::default()
    };
    let profiles = vec![Profile::preset("240p").expect("preset")];
    let mut alone = Vec::new();
    for s in &segments {
        let job = TranscodeJob {
            segment: Arc::new(s.data.clone()),
            profiles: profiles.clone(),
        };
        let t = Instant::now();
        transcode_in_tempdir(&job, &opts).expect("transcode");
        alone.push(t.elapsed().as_secs_f64() * 1e3);
    }

    let chain = Chain::start(50);
    rt.block_on(chain.know_service());
    let (config, url) = chain.orchestrator_config(dir.path(), 1, "1000", "");
    rt.block_on(chain.register(&config, 1));
    rt.block_on(chain.next_round());
    let orch = Orchestrator::start(
        &config,
        &url,
        chain.key(1).address(),
        &dir.path().join("orch.log"),
    );
    let key = key_file(dir.path(), "bcast.key", &chain.key(5));
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "1eth"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    println!(
        "broadcaster_latency: {} segments of ~2 s, 640x360 -> 240p, 1 orchestrator (1 slot, ultrafast), loaded 2-core machine",
        segments.len()
    );
    for rate in ["0", "1"] {
        let out_dir = dir.path().join(format!("out-{rate}"));
        let log = dir.path().join(format!("bcast-{rate}.log"));
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
                "--verify-rate",
                rate,
            ],
            &log,
        );
        let run = finish_stream(child, &log, Duration::from_secs(1800));
        assert!(run.ok, "{}", run.stderr);
        let s = run.summary;
        let t = s["timings"].as_array().expect("timings").clone();
        let col = |k: &str| {
            t.iter()
                .map(|x| x[k].as_f64().unwrap_or(0.0))
                .collect::<Vec<_>>()
        };
        let added: Vec<f64> = t
            .iter()
            .map(|x| x["wallMs"].as_f64().unwrap_or(0.0) - x["transcodeMs"].as_f64().unwrap_or(0.0))
            .collect();
        println!("\n--verify-rate {rate}: per segment, ms        mean       p50       max");
        row("transcoding alone (anchor, in-process)", alone.clone());
        row("orchestrator's transcode (reported)", col("transcodeMs"));
        row("broadcaster wall per segment", col("wallMs"));
        row("added = wall - orchestrator transcode", added);
        row("  source store + probe", col("sourceMs"));
        row("  quote (re-quotes)", col("quoteMs"));
        row("  payment (tickets signed)", col("payMs"));
        row("  request round trip (incl. transcode)", col("requestMs"));
        row("  renditions fetched", col("fetchMs"));
        row("  checks (receipt + media)", col("checkMs"));
        let wall = s["wallSecs"].as_f64().unwrap_or(0.0);
        let n = s["segmentsOut"].as_f64().unwrap_or(0.0);
        println!(
            "end to end: {n} segments, {:.1} s of video in {wall:.2} s wall: {:.2} segments/s, real-time factor {:.2} (includes start-up: discovery, quotes)",
            s["mediaSecs"].as_f64().unwrap_or(0.0),
            n / wall.max(1e-9),
            s["realtimeFactor"].as_f64().unwrap_or(0.0)
        );
    }
    drop(orch);
}
