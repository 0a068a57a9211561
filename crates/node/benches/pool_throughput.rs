//! Segments per second through one transcoder pool, against the transcoder library called directly,
//! in the same run (rounds interleaved so that the machine's load hits every configuration alike):
//!
//! - `direct`: `streamflow_transcoder::transcode::transcode_segment` on a file, one after another
//!   (the anchor);
//! - `pool local x1`: an in-process pool of one slot (`Pool::local(1)`), one segment at a time;
//! - `pool remote x1`: a pool served over HTTP with one `streamflow-node transcoder` process
//!   (1 slot), one segment at a time;
//! - `pool remote x2`: a pool with two worker processes (1 slot each), two segments at a time.
//!
//! The scheduling overhead is shown two ways: the per-segment time of a one-lane pool minus the
//! direct time (noisy under load), and per segment the time through `Pool::transcode` minus the
//! transcoder's own wall time as its report gives it (the pool's own work: temporary files, HTTP
//! hand-out and result, scheduling).
//!
//! Run: `cargo bench -p streamflow-node --bench pool_throughput` (or, without a release build,
//! `cargo test -p streamflow-node --bench pool_throughput`). Environment: `POOL_BENCH_SEGMENTS`
//! (per configuration and round, default 4), `POOL_BENCH_ROUNDS` (default 3), `POOL_BENCH_SOURCE`
//! (`WxH@fps:secs`, default `1280x720@30:2`), `POOL_BENCH_LADDER` (default `360p,240p`).

#![allow(missing_docs)]

#[path = "../tests/common/pool.rs"]
mod common_pool;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common_pool::{Orch, cred, options, secret_file, spawn_worker, wait_until};
use streamflow_node::pool::{Pool, TranscodeJob, Trust};
use streamflow_transcoder::profile::presets_from_names;
use streamflow_transcoder::testmedia::{SegmentSpec, generate_segment};
use streamflow_transcoder::transcode::{TranscodeOptions, transcode_segment};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn parse_source(s: &str) -> anyhow::Result<SegmentSpec> {
    let err = || anyhow::anyhow!("POOL_BENCH_SOURCE {s:?}: expected WxH@fps:secs");
    let (size, rest) = s.split_once('@').ok_or_else(err)?;
    let (w, h) = size.split_once('x').ok_or_else(err)?;
    let (fps, secs) = rest.split_once(':').ok_or_else(err)?;
    Ok(SegmentSpec::new(
        w.parse()?,
        h.parse()?,
        fps.parse()?,
        secs.parse()?,
    ))
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run())
}

/// Runs `n` segments through `pool` on `lanes` concurrent callers: the wall time, and per segment
/// the pool's own time (the attempt's time minus the transcoder's own wall time, in ms).
async fn through_pool(
    pool: &Pool,
    job: &TranscodeJob,
    n: usize,
    lanes: usize,
) -> (Duration, Vec<f64>) {
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for lane in 0..lanes {
        let pool = pool.clone();
        let job = job.clone();
        let count = n / lanes + usize::from(lane < n % lanes);
        set.spawn(async move {
            let mut overheads = Vec::with_capacity(count);
            for _ in 0..count {
                let slot = loop {
                    match pool.reserve() {
                        Ok(s) => break s,
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                };
                let t = Instant::now();
                let out = pool
                    .transcode(slot, job.clone())
                    .await
                    .expect("segment transcoded");
                overheads.push(t.elapsed().as_secs_f64() * 1e3 - out.report.wall_secs * 1e3);
            }
            overheads
        });
    }
    let mut overheads = Vec::new();
    while let Some(r) = set.join_next().await {
        overheads.extend(r.expect("lane"));
    }
    (started.elapsed(), overheads)
}

async fn run() -> anyhow::Result<()> {
    streamflow_transcoder::quiet_ffmpeg(false);
    let n: usize = env_or("POOL_BENCH_SEGMENTS", 4);
    let rounds: usize = env_or("POOL_BENCH_ROUNDS", 3);
    let spec = parse_source(&std::env::var("POOL_BENCH_SOURCE").unwrap_or("1280x720@30:2".into()))?;
    let ladder = std::env::var("POOL_BENCH_LADDER").unwrap_or("360p,240p".into());
    let profiles = presets_from_names(&ladder)?;
    let dir = tempfile::tempdir()?;
    let src = dir.path().join("source.ts");
    generate_segment(&spec, &src)?;
    let bytes = Arc::new(std::fs::read(&src)?);
    let job = TranscodeJob {
        segment: bytes.clone(),
        profiles: profiles.clone(),
    };
    let opts = TranscodeOptions::default();

    // Pools: one local slot; one worker process; two worker processes.
    let local = Pool::local(1, opts.clone());
    let secret = "bench-secret-0123456789";
    let one = Orch::start(options(vec![cred("w", secret, Trust::Trusted)])).await;
    let two = Orch::start(options(vec![cred("w", secret, Trust::Trusted)])).await;
    let file = secret_file(dir.path(), "secret", secret);
    let _w = [
        spawn_worker(dir.path(), &one.url, &file, "one-a", 1, None),
        spawn_worker(dir.path(), &two.url, &file, "two-a", 1, None),
        spawn_worker(dir.path(), &two.url, &file, "two-b", 1, None),
    ];
    wait_until(Duration::from_secs(60), "workers registered", || {
        one.remote_workers().len() == 1 && two.remote_workers().len() == 2
    })
    .await;

    let direct_once = |i: usize| -> anyhow::Result<Duration> {
        let out = dir.path().join(format!("direct-{i}"));
        let t = Instant::now();
        transcode_segment(&src, &profiles, &out, &opts)?;
        let d = t.elapsed();
        std::fs::remove_dir_all(&out)?;
        Ok(d)
    };
    let pixels = tokio::task::block_in_place(|| -> anyhow::Result<u64> {
        let o = dir.path().join("pixels");
        let r = transcode_segment(&src, &profiles, &o, &opts)?;
        std::fs::remove_dir_all(&o)?;
        Ok(r.total_pixels())
    })?;
    // Warm-up: one segment through each pool (first FFmpeg use in each process).
    through_pool(&local, &job, 1, 1).await;
    through_pool(&one.pool, &job, 1, 1).await;
    through_pool(&two.pool, &job, 2, 2).await;

    let names = [
        "direct",
        "pool local x1",
        "pool remote x1",
        "pool remote x2",
    ];
    let mut secs: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut overhead: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let pools = [(&local, 1), (&one.pool, 1), (&two.pool, 2)];
    for round in 0..rounds {
        // Each round starts with a different configuration, so none always follows the same one.
        for k in 0..names.len() {
            let c = (k + round) % names.len();
            if c == 0 {
                let mut d = Duration::ZERO;
                for i in 0..n {
                    d += tokio::task::block_in_place(|| direct_once(i))?;
                }
                secs[0].push(d.as_secs_f64());
            } else {
                let (pool, lanes) = pools[c - 1];
                let (wall, o) = through_pool(pool, &job, n, lanes).await;
                secs[c].push(wall.as_secs_f64());
                overhead[c].extend(o);
            }
        }
        eprintln!(
            "round {}/{rounds}: {}",
            round + 1,
            names
                .iter()
                .zip(&secs)
                .map(|(name, s)| format!("{name} {:.2} s", s[round]))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "pool_throughput: {n} segments x {rounds} rounds, source {}x{}@{} {} s ({} bytes), ladder {ladder}, {:.2} Mpixel out per segment",
        spec.width,
        spec.height,
        spec.fps,
        spec.secs,
        bytes.len(),
        pixels as f64 / 1e6
    );
    println!(
        "{:<16} {:>12} {:>14} {:>22} {:>20}",
        "configuration", "segments/s", "ms/segment", "vs direct", "pool's own ms/seg"
    );
    let direct_ms = median(&secs[0]) * 1e3 / n as f64;
    for ((name, s), o) in names.iter().zip(&secs).zip(&overhead) {
        let total = median(s);
        let ms = total * 1e3 / n as f64;
        let vs = if *name == "direct" {
            "anchor".to_owned()
        } else {
            format!(
                "{:+.1} ms ({:+.1} %)",
                ms - direct_ms,
                (ms / direct_ms - 1.0) * 100.0
            )
        };
        let own = if o.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.1} (median)", median(o))
        };
        println!(
            "{name:<16} {:>12.3} {:>14.1} {:>22} {:>20}",
            n as f64 / total,
            ms,
            vs,
            own
        );
    }
    println!(
        "(medians over rounds; the x2 line runs two segments at a time, so its ms/segment is wall time divided by segments;\n \
         pool's own ms/seg = a segment's time through Pool::transcode minus the transcoder's own wall time: temp files, \
         HTTP hand-out and result, scheduling)"
    );
    Ok(())
}
