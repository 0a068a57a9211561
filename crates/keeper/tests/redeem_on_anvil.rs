//! The keeper against the real contracts on a real anvil: intake, a batch redemption settled from
//! the broker's used set, a lost race, a gas spike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy::primitives::U256;
use alloy::providers::Provider;
use common::{Chain, ETHER};
use streamflow_bindings::contracts::RoundsManager;
use streamflow_keeper::Keeper;
use streamflow_keeper::redeem::Policy;
use streamflow_keeper::store::TicketState;

fn policy() -> Policy {
    Policy {
        confirmations: 2,
        ..Policy::default()
    }
}

#[tokio::test]
async fn winners_are_redeemed_in_one_batch_and_settled_from_chain_state() {
    let chain = Chain::start(20, 10 * ETHER, ETHER).await;
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::open(dir.path().join("k.db"), chain.config(ETHER / 1000)).unwrap();
    let redeemer = chain.redeemer(&keeper, policy());
    redeemer.refresh().await.unwrap();
    let seed_before = keeper
        .params_for(chain.sender.address())
        .await
        .unwrap()
        .seed;

    let mut hashes = Vec::new();
    for nonce in 0..4 {
        let ack = keeper
            .submit(&chain.make_ticket(&keeper, nonce, ETHER, true).await)
            .await
            .unwrap();
        assert!(ack.winning);
        hashes.push(ack.ticket_hash);
    }
    // A losing ticket is accepted and never redeemed.
    let losing = keeper
        .submit(&chain.make_ticket(&keeper, 9, ETHER, false).await)
        .await
        .unwrap();
    assert!(!losing.winning);

    let report = redeemer.step().await.unwrap();
    assert_eq!(report.sent.len(), 1, "one batch: {report:?}");
    // Submitted, not yet final: the receipt needs its confirmations.
    let submitted = keeper.with_store(|s| s.tickets_in(TicketState::Submitted).unwrap());
    assert_eq!(submitted.len(), 4);
    // The random number went on chain: the seed is retired, new parameters carry a new one.
    assert_ne!(
        keeper
            .params_for(chain.sender.address())
            .await
            .unwrap()
            .seed,
        seed_before
    );
    chain.mine(2).await;
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.redeemed, 4, "{report:?}");
    assert!(report.sent.is_empty());
    for h in &hashes {
        assert!(chain.is_used(*h).await);
        let t = keeper.with_store(|s| s.ticket(h).unwrap().unwrap());
        assert_eq!(t.state, TicketState::Redeemed);
        assert_eq!(t.tx_hash, Some(report_tx(&keeper, h)));
        assert!(t.gas_used.unwrap() > 0 && t.gas_cost.unwrap() > 0);
    }
    assert!(!chain.is_used(losing.ticket_hash).await);
    assert_eq!(chain.deposit().await, U256::from(6 * ETHER));
    assert!(keeper.with_store(|s| s.open_txs().unwrap()).is_empty());
    // Nothing left to do.
    assert_eq!(redeemer.step().await.unwrap().sent.len(), 0);
}

fn report_tx(keeper: &Keeper, h: &alloy::primitives::B256) -> alloy::primitives::B256 {
    keeper
        .with_store(|s| s.ticket(h).unwrap())
        .and_then(|t| t.tx_hash)
        .expect("a transaction")
}

#[tokio::test]
async fn a_ticket_redeemed_by_another_instance_is_marked_done_without_a_transaction() {
    let chain = Chain::start(20, 10 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let keeper = Keeper::open(&db, chain.config(ETHER / 1000)).unwrap();
    let redeemer = chain.redeemer(&keeper, policy());
    redeemer.refresh().await.unwrap();
    let ack = keeper
        .submit(&chain.make_ticket(&keeper, 1, ETHER, true).await)
        .await
        .unwrap();
    // A second instance with the same key and a copy of the queue (same secret, same ticket).
    let copy = dir.path().join("copy.db");
    keeper.with_store(|s| s.backup_to(&copy)).unwrap();
    let other = Keeper::open(&copy, chain.config(ETHER / 1000)).unwrap();
    let other_redeemer = chain.redeemer(&other, policy());
    assert_eq!(other_redeemer.step().await.unwrap().sent.len(), 1);
    chain.mine(1).await;
    assert!(chain.is_used(ack.ticket_hash).await);

    // The first instance finds it used: redeemed, no transaction of its own, nothing retried.
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.redeemed, 1, "{report:?}");
    assert!(report.sent.is_empty());
    let t = keeper.with_store(|s| s.ticket(&ack.ticket_hash).unwrap().unwrap());
    assert_eq!(t.state, TicketState::Redeemed);
    assert_eq!(t.attempts, 0);
    chain.mine(3).await;
    assert!(redeemer.step().await.unwrap().sent.is_empty());
}

/// Submits one winning ticket of 0.02 ETH, then holds the base fee at 100 gwei (×100) block after
/// block, stepping the keeper, until it sends or the ticket's validity ends. Returns the keeper,
/// the ticket and `(block, tx)` if it sent.
async fn spike(
    chain: &Chain,
    dir: &std::path::Path,
    ceiling: u128,
) -> (
    Keeper,
    alloy::primitives::B256,
    Option<(u64, alloy::primitives::B256)>,
    u64,
) {
    let keeper = Keeper::open(dir.join("k.db"), chain.config(1_000)).unwrap();
    let redeemer = chain.redeemer(
        &keeper,
        Policy {
            max_fee_per_gas: ceiling,
            priority_fee_per_gas: 1_000_000_000,
            safety_margin_blocks: 10,
            ..policy()
        },
    );
    redeemer.refresh().await.unwrap();
    // 1 % of 0.02 ETH pays 140k gas at ~1.4 gwei: fine at 1 gwei, not at 100 gwei.
    let face = 20_000_000_000_000_000u128;
    let ack = keeper
        .submit(&chain.make_ticket(&keeper, 1, face, true).await)
        .await
        .unwrap();
    let creation_round = chain.round().await;
    let rm = RoundsManager::new(chain.d.rounds_manager, &chain.provider);
    // The first block of round creation + 2, from which the broker refuses it.
    let end = rm.currentRoundAndEnd().call().await.unwrap().endBlock;
    let expiry_block = u64::try_from(end).unwrap() + chain.d.round_length;
    let mut sent = None;
    for _ in 0..400 {
        if chain.round().await >= creation_round + 2 {
            break;
        }
        chain.initialize_round_if_needed().await;
        // The spike: the latest block's base fee is 100 gwei.
        chain.set_base_fee(100_000_000_000).await;
        chain.mine(1).await;
        let block = chain.block().await;
        let report = redeemer.step().await.unwrap();
        if let Some(h) = report.sent.first() {
            sent = Some((block, *h));
            break;
        }
        if report.expired == 1 {
            break;
        }
        assert_eq!(report.waiting.len(), 1, "{report:?}");
    }
    // Let the keeper settle what happened.
    chain.mine(3).await;
    if !rm.currentRoundInitialized().call().await.unwrap() {
        chain.next_round().await;
    }
    redeemer.step().await.unwrap();
    (keeper, ack.ticket_hash, sent, expiry_block)
}

#[tokio::test]
async fn a_gas_spike_is_waited_out_and_the_ticket_still_redeemed_before_expiry() {
    let chain = Chain::start(40, 10 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let ceiling = 300_000_000_000u128;
    let (keeper, h, sent, expiry_block) = spike(&chain, dir.path(), ceiling).await;
    let (sent_block, tx) = sent.expect("redeemed before expiry");
    // It waited for cheaper gas until its deadline (expiry − 10 blocks), then went.
    assert!(
        sent_block + 10 >= expiry_block,
        "sent at {sent_block}, expiry at {expiry_block}: did not wait"
    );
    assert!(sent_block < expiry_block);
    let r = chain
        .provider
        .get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap();
    assert!(r.effective_gas_price <= ceiling);
    assert!(chain.is_used(h).await);
    let t = keeper.with_store(|s| s.ticket(&h).unwrap().unwrap());
    assert_eq!(t.state, TicketState::Redeemed, "{t:?}");
}

#[tokio::test]
async fn a_spike_above_the_ceiling_expires_the_ticket_with_the_reason() {
    let chain = Chain::start(40, 10 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let (keeper, h, sent, _) = spike(&chain, dir.path(), 50_000_000_000).await;
    assert!(sent.is_none(), "sent above the ceiling: {sent:?}");
    let t = keeper.with_store(|s| s.ticket(&h).unwrap().unwrap());
    assert_eq!(t.state, TicketState::Expired, "{t:?}");
    assert!(
        t.reason.as_deref().unwrap_or("").contains("ceiling"),
        "{t:?}"
    );
    assert!(!chain.is_used(h).await);
}

#[tokio::test]
async fn pending_winners_are_redeemed_after_the_node_comes_back() {
    let chain = Chain::start(20, 10 * ETHER, 0).await;
    let target: std::net::SocketAddr = format!("127.0.0.1:{}", chain.anvil.port()).parse().unwrap();
    let proxy = common::Proxy::start(target).await;
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::open(dir.path().join("k.db"), chain.config(ETHER / 1000)).unwrap();
    let redeemer = chain.redeemer_at(&keeper, policy(), &proxy.url);
    redeemer.refresh().await.unwrap();
    let mut hashes = Vec::new();
    for nonce in 0..3 {
        let ack = keeper
            .submit(&chain.make_ticket(&keeper, nonce, ETHER, true).await)
            .await
            .unwrap();
        hashes.push(ack.ticket_hash);
    }
    // The node becomes unreachable before the keeper could redeem anything.
    proxy.set_up(false);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(
        redeemer.run(std::time::Duration::from_millis(20), async move {
            let _ = stopped.await;
        }),
    );
    // A round and a half of blocks pass (30 of the tickets' 40), the keeper polling all along.
    for _ in 0..30 {
        chain.mine(1).await;
        chain.initialize_round_if_needed().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for h in &hashes {
        assert!(!chain.is_used(*h).await);
    }
    proxy.set_up(true);
    let done = common::wait_for(std::time::Duration::from_secs(30), || async {
        chain.mine(1).await;
        keeper.with_store(|s| s.tickets_in(TicketState::Redeemed).unwrap().len()) == hashes.len()
    })
    .await;
    let _ = stop.send(());
    run.await.unwrap();
    assert!(done, "not redeemed after the outage");
    for h in &hashes {
        assert!(chain.is_used(*h).await);
    }
}
