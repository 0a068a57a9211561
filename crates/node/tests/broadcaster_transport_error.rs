//! A transport error on a segment (the connection closed under the request, no answer at all)
//! does not make the broadcaster give up on its only orchestrator: the segment is retried there
//! after a fresh quote, and the stream completes with no segment missing.
//!
//! The orchestrator is a real process behind a TCP relay that closes the connection carrying the
//! first `POST /v1/segment` without forwarding it.

#[path = "common/bcast.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Chain, Orchestrator, check_hls, clip, key_file, spawn_stream, wait_stream};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use streamflow_node::broadcaster::store::Receipts;

/// Relays loopback connections to `upstream` (one thread per direction), closing unforwarded the
/// connections on which the first `drops` segment uploads start. Returns its URL and the count of
/// uploads dropped. The threads end with their connections.
fn relay(upstream: String, drops: u32) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let dropped = Arc::new(AtomicU32::new(0));
    let counter = dropped.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let Ok(mut server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (Ok(mut client_w), Ok(mut server_r)) = (client.try_clone(), server.try_clone())
            else {
                continue;
            };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_r, &mut client_w);
                let _ = client_w.shutdown(Shutdown::Both);
            });
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let upload = buf[..n].windows(16).any(|w| w == b"POST /v1/segment");
                    if upload
                        && counter
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| {
                                (d < drops).then_some(d + 1)
                            })
                            .is_ok()
                    {
                        // Closed both ways: the client sees its connection closed, no answer.
                        break;
                    }
                    if server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(Shutdown::Both);
                let _ = client.shutdown(Shutdown::Both);
            });
        }
    });
    (url, dropped)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_under_a_segment_is_retried_on_the_only_orchestrator() {
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
    let (relayed, dropped) = relay(url.trim_start_matches("http://").to_owned(), 2);

    let me = chain.key(5);
    let key = key_file(dir.path(), "bcast.key", &me);
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "1eth"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    let clip = clip(dir.path(), 320, 240, 4);
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
            "--orchestrator",
            &relayed,
        ],
        &log,
    );
    let run = wait_stream(child, log).await;
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        2,
        "the relay closed two uploads"
    );
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsOut"], 4, "{s}");
    let o = &s["orchestrators"][&orch.address.to_string().to_lowercase()];
    assert_eq!(o["failures"], 2, "{s}");
    assert_eq!(o["segments"], 4, "{s}");
    assert_eq!(s["failovers"], 1, "segment 0 needed a third attempt: {s}");
    assert_eq!(s["timings"][0]["failedAttempts"], 2, "{s}");
    check_hls(&out_dir.join("hls"), &["240p"], 4);
    let seqs: Vec<u64> = Receipts::read_all(&out_dir.join("receipts.jsonl"))
        .expect("receipts")
        .iter()
        .map(|r| r.seq_no)
        .collect();
    assert_eq!(seqs, (0..4).collect::<Vec<_>>());
}
