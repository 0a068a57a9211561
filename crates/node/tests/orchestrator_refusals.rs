//! Refusals that depend on the node's state, through the real `streamflow-node orchestrator run`
//! process on a real anvil: every pool slot busy (`CapacityExceeded`, with a retry hint) and a
//! sender that called `unlock()` on the broker (`SenderUnlocking`). Neither reads the body,
//! transcodes, or takes the tickets, as the node's own counters show.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/orch.rs"]
mod common;

use std::time::Duration;

use alloy::providers::ProviderBuilder;
use common::{ETHER, Net, Node, SERVICE, job, ladder, segment, wait_for};
use streamflow_bindings::contracts::TicketBroker;
use streamflow_node::client::ClientError;
use streamflow_node::wire::{self, ErrorKind, QuoteRequest};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The counters that move when the node reads a body, transcodes or takes a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Work {
    bodies_read: u64,
    body_bytes: u64,
    transcodes: u64,
    tickets: u64,
}

async fn work(node: &Node) -> Work {
    Work {
        bodies_read: node.counter("bodies_read_total").await,
        body_bytes: node.counter("body_bytes_total").await,
        transcodes: node.counter("transcodes_started_total").await,
        tickets: node.counter("tickets_accepted_total").await,
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T, ClientError>) -> ClientError {
    match r {
        Err(e) => e,
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_slots_and_unlocking_senders_are_refused_without_work() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let net = Net::start(40).await;
    net.register();
    net.next_round().await;
    let alice = net.sender(2, 10 * ETHER, ETHER).await;
    let dave = net.sender(5, 10 * ETHER, 0).await;
    let node = Node::start(&net).await;
    let o = &node.client;
    let req = |sender| QuoteRequest {
        sender,
        service_id: wire::service_id(SERVICE),
        region: None,
    };
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req(alice.address())).await.is_ok()
        })
        .await
    );

    // The node's one slot is held by a segment whose upload is half done (its slot is reserved
    // before its body is read).
    let q = o.quote(&req(alice.address())).await.unwrap();
    assert_eq!(q.capacity.slots, 1);
    let body = segment(320, 240, 25, 1.0);
    let (t, _) = alice.ticket(&q.ticket_params);
    let held_job = job(&body, 1, ladder());
    let held_pay = alice.payment(&q.ticket_params, vec![t]);
    let addr = node.url.trim_start_matches("http://").trim_end_matches('/');
    let mut upload = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/segment HTTP/1.1\r\nhost: {addr}\r\n{}: {}\r\n{}: {}\r\ncontent-type: video/mp2t\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        wire::HEADER_JOB,
        wire::encode_header(&held_job).unwrap(),
        wire::HEADER_PAYMENT,
        wire::encode_header(&held_pay).unwrap(),
        body.len()
    );
    let half = body.len() / 2;
    upload.write_all(head.as_bytes()).await.unwrap();
    upload.write_all(&body[..half]).await.unwrap();
    upload.flush().await.unwrap();
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req(alice.address()))
                .await
                .unwrap()
                .capacity
                .in_flight
                == 1
        })
        .await,
        "the half-uploaded segment never took the slot"
    );
    // Its admission ends with its ticket taken (then its body is awaited).
    assert!(
        wait_for(Duration::from_secs(60), || async {
            node.counter("tickets_accepted_total").await >= 1
        })
        .await,
        "the half-uploaded segment's ticket was never taken"
    );
    let before = work(&node).await;
    let (t, _) = alice.ticket(&q.ticket_params);
    let e = refusal(
        o.segment(
            &job(&body, 2, ladder()),
            &alice.payment(&q.ticket_params, vec![t]),
            body.clone(),
        )
        .await,
    );
    assert_eq!(e.kind(), Some(ErrorKind::CapacityExceeded), "{e}");
    assert!(e.api().is_some_and(|a| a.retry_after_ms.is_some()), "{e}");
    assert_eq!(work(&node).await, before, "work done for a refused segment");
    // The held segment's upload completes, and it is served.
    upload.write_all(&body[half..]).await.unwrap();
    let mut answer = String::new();
    upload.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(node.counter("segments_served_total").await, 1);

    // Dave has ticket parameters, then calls unlock() on the broker.
    let p = o.quote(&req(dave.address())).await.unwrap().ticket_params;
    let as_dave = ProviderBuilder::new()
        .wallet(dave.key.clone())
        .connect_http(net.devnet.anvil.endpoint_url());
    let r = TicketBroker::new(net.d().ticket_broker, &as_dave)
        .unlock()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    // Once the node has seen it, no more parameters...
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req(dave.address()))
                .await
                .err()
                .and_then(|e| e.kind())
                == Some(ErrorKind::SenderUnlocking)
        })
        .await,
        "the node never noticed the unlock"
    );
    // ... and a segment paid with the parameters it had is refused without work.
    let before = work(&node).await;
    let (t, _) = dave.ticket(&p);
    let e = refusal(
        o.segment(
            &job(&body, 3, ladder()),
            &dave.payment(&p, vec![t]),
            body.clone(),
        )
        .await,
    );
    assert_eq!(e.kind(), Some(ErrorKind::SenderUnlocking), "{e}");
    assert_eq!(
        work(&node).await,
        before,
        "work done for an unlocking sender"
    );
}
