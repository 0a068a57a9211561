//! The real `streamflow-node orchestrator run` process killed with SIGKILL in the middle of a
//! paid stream and started again on the same data folder: each sender's balance (tickets'
//! expected value in, work charged out) is what it was, the segment that was in flight counted
//! once at most, nothing lost and nothing charged twice.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/orch.rs"]
mod common;

use std::time::Duration;

use alloy::primitives::{I256, U256};
use common::{ETHER, Net, Node, SERVICE, TICKET_EV, job, ladder, segment, wait_for};
use streamflow_node::wire::{self, QuoteRequest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_survive_a_kill_9_mid_segment_counted_once() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let net = Net::start(40).await;
    net.register();
    net.next_round().await;
    let alice = net.sender(2, 10 * ETHER, ETHER).await;
    let req = QuoteRequest {
        sender: alice.address(),
        service_id: wire::service_id(SERVICE),
        region: None,
    };
    let ev = I256::try_from(TICKET_EV).unwrap();

    let mut first = Node::start(&net).await;
    let o = first.client.clone();
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req).await.is_ok()
        })
        .await
    );
    // One whole segment: one ticket in, its pixels' price out.
    // 720p so that transcoding takes long enough for the kill to land in it.
    let body = segment(1280, 720, 25, 2.4);
    let q = o.quote(&req).await.unwrap();
    let (t, _) = alice.ticket(&q.ticket_params);
    let r1 = o
        .segment(
            &job(&body, 1, ladder()),
            &alice.payment(&q.ticket_params, vec![t]),
            body.clone(),
        )
        .await
        .unwrap();
    let charge = I256::try_from(r1.balance.charged).unwrap();
    let b1 = ev - charge;
    assert_eq!(r1.balance.credit, b1);

    // The same segment again, paid; the process is killed while it transcodes.
    let q = o.quote(&req).await.unwrap();
    assert_eq!(q.balance, b1);
    let (t, _) = alice.ticket(&q.ticket_params);
    let pay = alice.payment(&q.ticket_params, vec![t]);
    let in_flight = {
        let (o, body) = (o.clone(), body.clone());
        tokio::spawn(async move { o.segment(&job(&body, 2, ladder()), &pay, body).await })
    };
    let started = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            if first.counter("transcodes_started_total").await >= 2 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
    .await;
    assert!(started, "the second segment never started");
    first.kill9();
    // Answered only if the kill came after the answer (a loaded machine): then it was charged.
    let answered = in_flight.await.unwrap().is_ok();

    // Started again on the same data folder.
    let second = Node::start(&net).await;
    let o = second.client.clone();
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req).await.is_ok()
        })
        .await
    );
    let after = o.quote(&req).await.unwrap().balance;
    // The second ticket was accepted (durably, by the keeper) before the kill: its credit is kept.
    // Its segment was charged at most once (once if the kill came after the charge was written,
    // the answer lost with the process), never twice, and nothing else moved.
    assert!(
        after == b1 + ev - charge || (!answered && after == b1 + ev),
        "balance after the restart {after}, before {b1}, ticket {ev}, segment {charge}"
    );

    eprintln!(
        "killed {} the in-flight segment's charge was written (answered: {answered})",
        if after == b1 + ev { "before" } else { "after" }
    );

    // The stream goes on from that balance. The restarted keeper redeems the winners it holds at
    // once, which retires the random number it quoted: like a broadcaster, ask again then.
    let mut r3 = None;
    for _ in 0..5 {
        let q = o.quote(&req).await.unwrap();
        let (t, _) = alice.ticket(&q.ticket_params);
        match o
            .segment(
                &job(&body, 3, ladder()),
                &alice.payment(&q.ticket_params, vec![t]),
                body.clone(),
            )
            .await
        {
            Ok(r) => {
                r3 = Some(r);
                break;
            }
            Err(e) if e.kind() == Some(wire::ErrorKind::TicketParamsExpired) => continue,
            Err(e) => panic!("segment 3: {e}"),
        }
    }
    let r3 = r3.expect("segment 3 served after the restart");
    assert_eq!(r3.balance.charged, U256::try_from(charge).unwrap());
    assert_eq!(r3.balance.credit, after + ev - charge);
}
