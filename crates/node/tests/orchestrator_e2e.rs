//! A paid segment end to end: the orchestrator registered by its own command, the real
//! `streamflow-node orchestrator run` process on a real anvil, real tickets, real FFmpeg.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/orch.rs"]
mod common;

use std::time::Duration;

use alloy::primitives::{B256, U256};
use common::{ETHER, Net, Node, SERVICE, TICKET_EV, job, ladder, segment, wait_for};
use streamflow_bindings::contracts::fault_verifier::FaultVerifier;
use streamflow_node::orchestrator::ledger::expected_value;
use streamflow_node::wire::{self, QuoteRequest};
use streamflow_protocol::ecdsa::recover;
use streamflow_protocol::receipt::fault_verifier_domain;
use streamflow_transcoder::decode::Limits;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_segment_is_transcoded_receipted_and_its_winner_redeemed() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let net = Net::start(40).await;
    net.register();
    net.next_round().await;
    let alice = net.sender(2, 10 * ETHER, ETHER).await;
    let node = Node::start(&net).await;
    let o = &node.client;

    let info = o.info().await.unwrap();
    assert_eq!(info.address, net.orch.address());
    assert_eq!(info.chain_id, net.d().chain_id);
    assert_eq!(info.services.len(), 1);
    assert_eq!(info.services[0].service_id, wire::service_id(SERVICE));

    // The keeper syncs with the chain shortly after start: quotes succeed from then on.
    let req = QuoteRequest {
        sender: alice.address(),
        service_id: wire::service_id(SERVICE),
        region: Some(wire::service_id("local")),
    };
    assert!(
        wait_for(Duration::from_secs(60), || async {
            o.quote(&req).await.is_ok()
        })
        .await,
        "no quote: {:?}",
        o.quote(&req).await
    );
    let quote = o.quote(&req).await.unwrap();
    assert_eq!(quote.orchestrator, net.orch.address());
    assert_eq!(quote.ticket_params.recipient, net.orch.address());
    assert_eq!(quote.input_formats, vec![wire::FORMAT_MPEGTS.to_string()]);
    assert_eq!(quote.capacity.slots, 1);
    // Face value = expected value here: every ticket wins.
    assert_eq!(quote.ticket_params.win_prob, U256::MAX);

    let body = segment(320, 240, 25, 2.0);
    let (ticket, ticket_hash) = alice.ticket(&quote.ticket_params);
    let payment = alice.payment(&quote.ticket_params, vec![ticket]);
    let profiles = ladder();
    let j = job(&body, 7, profiles.clone());
    let result = o.segment(&j, &payment, body.clone()).await.unwrap();

    // Renditions: both rungs, exact pixel accounting, bytes as hashed, probing as they claim.
    assert_eq!(result.renditions.len(), 2);
    let limits = Limits::default();
    for (r, p) in result.renditions.iter().zip(&profiles) {
        assert_eq!(r.name, p.name);
        assert_eq!(r.profile_id, wire::profile_id(p));
        assert_eq!(
            r.pixels,
            u64::from(r.width) * u64::from(r.height) * r.frames
        );
        assert!(r.frames >= 49, "{} frames", r.frames);
        let bytes = o.rendition(r.output_hash).await.unwrap();
        assert_eq!(wire::content_hash(&bytes), r.output_hash);
        assert_eq!(bytes.len() as u64, r.bytes);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.ts");
        std::fs::write(&f, &bytes).unwrap();
        let probed = streamflow_transcoder::probe::probe(&f, &limits).unwrap();
        assert_eq!((probed.width, probed.height), (r.width, r.height));
        assert_eq!(probed.frames, r.frames);
    }
    assert_eq!(
        (result.renditions[0].width, result.renditions[0].height),
        (320, 240)
    );
    assert_eq!(
        (result.renditions[1].width, result.renditions[1].height),
        (192, 144)
    );
    assert_eq!(o.source(j.input_hash).await.unwrap(), body);

    // Accounting: the ticket's expected value in, the actual pixels' price out.
    let pixels: u64 = result.renditions.iter().map(|r| r.pixels).sum();
    let charged = quote.price.fee_for(pixels).unwrap();
    assert_eq!(result.balance.received, U256::from(TICKET_EV));
    assert_eq!(
        expected_value(TICKET_EV, quote.ticket_params.win_prob),
        U256::from(TICKET_EV)
    );
    assert_eq!(result.balance.charged, charged);
    assert_eq!(
        result.balance.credit,
        alloy::primitives::I256::try_from(U256::from(TICKET_EV) - charged).unwrap()
    );

    // The receipt: exactly the contract's digest, signed by the orchestrator, naming the first
    // ticket and the renditions.
    let rc = &result.receipt.receipt;
    assert_eq!(rc.broadcaster, alice.address());
    assert_eq!(rc.orchestrator, net.orch.address());
    assert_eq!(rc.seq_no, U256::from(7u8));
    assert_eq!(rc.input_hash, j.input_hash);
    assert_eq!(
        rc.ticket.recipient_rand_hash,
        quote.ticket_params.recipient_rand_hash
    );
    assert_eq!(rc.ticket.sender_nonce, U256::from(1u8));
    assert_eq!(rc.renditions.len(), 2);
    assert_eq!(
        rc.renditions[0].output_hash,
        result.renditions[0].output_hash
    );
    let on_chain: B256 = FaultVerifier::new(net.d().fault_verifier, &net.provider)
        .receiptDigest(rc.to_abi())
        .call()
        .await
        .unwrap();
    let sep = fault_verifier_domain(net.d().chain_id, net.d().fault_verifier).separator();
    assert_eq!(rc.digest(&sep).unwrap(), on_chain);
    let sig: [u8; 65] = result.receipt.signature.as_ref().try_into().unwrap();
    assert_eq!(recover(&on_chain, &sig), Some(net.orch.address()));

    // The winning ticket is redeemed on chain by the node's embedded keeper (blocks are mined so
    // that it sees new heads).
    assert_eq!(result.winning_tickets, 1);
    assert!(
        wait_for(Duration::from_secs(90), || async {
            net.mine(1).await;
            net.is_used(ticket_hash).await
        })
        .await,
        "the winning ticket was not redeemed"
    );

    // `status` shows the registration, and the node called reward() for this round by itself.
    let round = net.round().await;
    assert!(
        wait_for(Duration::from_secs(60), || async {
            net.status()["lastRewardRound"] == serde_json::json!(format!("{round:#x}"))
                || net.status()["lastRewardRound"] == serde_json::json!(round.to_string())
        })
        .await,
        "reward() was not called in round {round}: {}",
        net.status()
    );
    let s = net.status();
    assert_eq!(s["registered"], true);
    assert_eq!(s["active"], true);
    assert_eq!(s["serviceUri"], "http://127.0.0.1:8935");
    assert_eq!(
        s["services"][0][0],
        serde_json::json!(wire::service_id(SERVICE))
    );
    assert!(node.counter("segments_served_total").await == 1);
}
