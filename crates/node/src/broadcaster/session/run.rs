//! The stream loop: input cut in a thread, HLS and evidence servers, segments in order, shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use alloy::primitives::B256;
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::fault_verifier_domain;

use super::{Session, Stop, StreamError, StreamOptions, Summary};
use crate::broadcaster::chain::Chain;
use crate::broadcaster::hls::{self, HlsWriter};
use crate::broadcaster::payment::TicketMaker;
use crate::broadcaster::segmenter::{self, Segment};
use crate::broadcaster::store::{Evidence, Receipts};

/// Called once the HLS server listens, with its base URL.
pub type OnServing = Box<dyn FnOnce(&str) + Send>;

/// Runs a stream until the input ends, `shutdown` resolves, or it must stop; always closes the
/// playlists and returns what it did.
pub async fn stream(
    chain: Chain,
    signer: LocalSigner,
    opts: StreamOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    on_serving: Option<OnServing>,
) -> Result<Summary, StreamError> {
    let started = Instant::now();
    for p in &opts.profiles {
        p.validate()
            .map_err(|e| StreamError::Profile(e.to_string()))?;
    }
    streamflow_transcoder::quiet_ffmpeg(false);
    std::fs::create_dir_all(&opts.out_dir)?;
    let hls_dir = opts.out_dir.join("hls");
    let hls = HlsWriter::create(&hls_dir)?;
    let evidence = Evidence::open(opts.out_dir.join("evidence"))?;
    let receipts = Receipts::open(opts.out_dir.join("receipts.jsonl"))?;
    let d = chain.deployment().clone();
    let maker = TicketMaker::new(signer, d.chain_id, d.ticket_broker);
    let stream_id = B256::from(rand::random::<[u8; 32]>());
    let mut session = Session {
        receipt_domain: fault_verifier_domain(d.chain_id, d.fault_verifier).separator(),
        chain,
        maker: Arc::new(Mutex::new(maker)),
        orchs: Vec::new(),
        evidence,
        hls,
        stream_id,
        sample_secret: rand::random(),
        summary: Summary {
            stream_id,
            master_playlist: hls_dir.join("index.m3u8"),
            receipts: receipts.path().to_path_buf(),
            ..Summary::default()
        },
        receipts,
        opts,
        topped_up_at: None,
        challenger: None,
        opened: Vec::new(),
    };

    // Stop flag: set by the shutdown future; read by the segmenter and the loop.
    let stop = Arc::new(AtomicBool::new(false));
    let (server_stop_tx, server_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = match session.opts.http {
        Some(addr) => {
            let listener = hls::bind(addr).await?;
            let url = format!("http://{}", listener.local_addr()?);
            tracing::info!(target: "broadcaster", %url, "serving HLS at {url}/index.m3u8");
            if let Some(f) = on_serving {
                f(&url);
            }
            session.summary.url = Some(url);
            Some(tokio::spawn(hls::serve(listener, hls_dir.clone(), async {
                let _ = server_stop_rx.await;
            })))
        }
        None => None,
    };
    let (evidence_stop_tx, evidence_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let evidence_server = match session.opts.challenge_http {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let url = format!("http://{}", listener.local_addr()?);
            let store = crate::evidence::EvidenceStore::open(session.opts.out_dir.join("evidence"))
                .map_err(|e| StreamError::Io(std::io::Error::other(e.to_string())))?;
            let d = session.chain.deployment().clone();
            session.challenger = Some((
                crate::challenge::Challenger::new(
                    session.chain.provider().clone(),
                    session.chain.sender(),
                    &d,
                ),
                url,
            ));
            Some(tokio::spawn(crate::evidence::serve(
                store,
                listener,
                async {
                    let _ = evidence_stop_rx.await;
                },
            )))
        }
        None => None,
    };
    let user_stop = Arc::new(AtomicBool::new(false));
    {
        let (stop, user_stop) = (stop.clone(), user_stop.clone());
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!(target: "broadcaster", "shutting down: finishing the segments read");
            user_stop.store(true, Ordering::Relaxed);
            stop.store(true, Ordering::Relaxed);
        });
    }

    // The input, cut in a blocking thread; a small queue gives back-pressure.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Segment>(2);
    let reader = {
        let input = session.opts.input.clone();
        let target = session.opts.segment_secs;
        let work = session.opts.out_dir.join("work");
        let stop = stop.clone();
        tokio::task::spawn_blocking(move || {
            segmenter::segment(&input, target, &work, stop, |s| tx.blocking_send(s).is_ok())
        })
    };

    let mut stopped = None;
    loop {
        match session.discover().await {
            Ok(None) => break,
            Ok(Some(why)) => match session.low_balance(why).await {
                Ok(()) => continue,
                Err(Stop::LowBalance(why)) => {
                    stopped = Some((format!("LowPMBalance: {why}"), false));
                    break;
                }
                Err(Stop::Exhausted(why) | Stop::Fatal(why)) => {
                    stopped = Some((why, false));
                    break;
                }
            },
            Err(e) => {
                stopped = Some((format!("discovery: {e}"), false));
                break;
            }
        }
    }
    while stopped.is_none() {
        // On shutdown the segmenter stops reading and closes the queue: what it read is finished.
        let Some(seg) = rx.recv().await else {
            break;
        };
        session.summary.segments_in += 1;
        match session.process(seg).await {
            Ok(()) => {}
            Err(Stop::LowBalance(why)) => stopped = Some((format!("LowPMBalance: {why}"), false)),
            Err(Stop::Exhausted(why)) => stopped = Some((why, false)),
            Err(Stop::Fatal(why)) => stopped = Some((why, false)),
        }
        if let Some(max) = session.opts.max_segments
            && session.summary.segments_in >= max
            && stopped.is_none()
        {
            stopped = Some(("segment limit".into(), true));
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(rx);
    let read = reader.await;
    if stopped.is_none() {
        stopped = Some(match read {
            Ok(Ok(_)) if user_stop.load(Ordering::Relaxed) => ("shutdown".into(), true),
            Ok(Ok(_)) => ("end of input".into(), true),
            Ok(Err(e)) => (format!("input: {e}"), false),
            Err(e) => (format!("input task: {e}"), false),
        });
    }
    session.hls.finish()?;
    // The challenges opened are followed while the evidence stays served (committee members
    // fetch it); a user's shutdown leaves them open on chain, named in receipts.jsonl.
    if user_stop.load(Ordering::Relaxed) {
        if !session.opened.is_empty() {
            tracing::warn!(target: "broadcaster", open = session.opened.len(), "shutdown: challenges left open on chain, not followed");
        }
    } else {
        session.follow_challenges().await;
    }
    session.summary.challenge_outcomes = std::mem::take(&mut session.opened);
    let _ = server_stop_tx.send(());
    if let Some(s) = server {
        let _ = s.await;
    }
    let _ = evidence_stop_tx.send(());
    if let Some(s) = evidence_server {
        let _ = s.await;
    }
    let (why, complete) = stopped.unwrap_or_default();
    let mut summary = session.summary;
    summary.stopped = why;
    summary.complete = complete;
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.realtime_factor = if summary.wall_secs > 0.0 {
        summary.media_secs / summary.wall_secs
    } else {
        0.0
    };
    Ok(summary)
}
