//! A sender that can't pay any more, on a real chain: another orchestrator redeems the sender's
//! tickets and takes most of its deposit. The keeper learns it from the broker's events (its
//! periodic full read is pushed out of the way), refuses the next winner with `LowPMBalance`, and
//! sends its own pending winners at once instead of waiting for cheaper gas.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use common::{Chain, ETHER};
use streamflow_bindings::contracts::TicketBroker;
use streamflow_keeper::redeem::Policy;
use streamflow_keeper::store::TicketState;
use streamflow_keeper::{Keeper, Rejection};

#[tokio::test]
async fn a_sender_drained_by_others_is_refused_and_our_winners_go_first() {
    let chain = Chain::start(20, ETHER, ETHER / 5).await;
    // A second orchestrator, active from the next round: the sender pays both.
    let other: PrivateKeySigner = chain.anvil.keys()[3].clone().into();
    chain.bond(&other).await;
    chain.next_round().await;

    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::open(dir.path().join("k.db"), chain.config(ETHER / 1000)).unwrap();
    // Gas must be under 0.01 % of the face value: these tickets would wait until their deadline.
    let policy = Policy {
        max_cost_bps: 1,
        confirmations: 2,
        ..Policy::default()
    };
    // Only the events can tell the keeper (no full re-read for 1,000 blocks).
    let redeemer = chain.redeemer(&keeper, policy).with_full_read_every(1_000);
    redeemer.refresh().await.unwrap();
    let sender = chain.sender.address();

    let face = ETHER / 10;
    let mut ours = Vec::new();
    for nonce in 0..3 {
        let ack = keeper
            .submit(&chain.make_ticket(&keeper, nonce, face, true).await)
            .await
            .unwrap();
        ours.push(ack.ticket_hash);
    }
    // Made now (on parameters not yet revealed), submitted after the drain.
    let next = chain.make_ticket(&keeper, 3, face, true).await;
    for _ in 0..2 {
        let report = redeemer.step().await.unwrap();
        assert!(
            report.sent.is_empty(),
            "should wait for cheaper gas: {report:?}"
        );
        assert_eq!(report.waiting.len(), 3, "{report:?}");
        chain.mine(1).await;
    }
    assert!(redeemer.contested_senders().is_empty());

    // The other orchestrator takes 0.75 ETH of the 1 ETH deposit.
    chain.redeem_elsewhere(&other, 100, 3 * ETHER / 4).await;
    assert_eq!(chain.deposit().await, U256::from(ETHER / 4));

    redeemer.refresh().await.unwrap();
    assert_eq!(redeemer.contested_senders(), vec![sender]);
    // Deposit 0.25 + our reserve share 0.1 − pending 0.3 = 0.05 ETH left: a 0.1 ETH winner is
    // refused before the orchestrator works for it, and nothing of it is stored.
    match keeper.submit(&next).await {
        Err(Rejection::LowPMBalance {
            available,
            face_value,
            ..
        }) => {
            assert_eq!(available, U256::from(ETHER / 20));
            assert_eq!(face_value, U256::from(face));
        }
        other => panic!("expected LowPMBalance, got {other:?}"),
    }
    assert!(!keeper.sender_can_pay(sender, U256::from(face)));
    assert_eq!(
        keeper.with_store(|s| s.all_tickets().unwrap().len()),
        ours.len()
    );

    // Our pending winners go now, whatever the gas, in one transaction.
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert_eq!(
        keeper.with_store(|s| s.tickets_in(TicketState::Submitted).unwrap().len()),
        3
    );
    chain.mine(2).await;
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.redeemed, 3, "{report:?}");
    for h in &ours {
        assert!(chain.is_used(*h).await);
    }
    // The deposit paid 0.25 ETH, our reserve share the remaining 0.05 ETH.
    let s = TicketBroker::new(chain.d.ticket_broker, &chain.provider)
        .getSender(sender)
        .call()
        .await
        .unwrap();
    assert_eq!(s.deposit, U256::ZERO);
    assert_eq!(s.reserve, U256::from(ETHER / 5 - ETHER / 20));
    // Nothing pending any more: the sender is no longer contested.
    redeemer.step().await.unwrap();
    assert!(redeemer.contested_senders().is_empty());
}
