//! A redemption transaction's life on a real anvil with automine off (blocks mined by hand): a
//! transaction stuck under a rising base fee is replaced (same nonce, higher fees) and exactly one
//! of the two lands; a reorg that drops the block holding the redemption is noticed before the
//! confirmations and the redemption sent again; nothing is marked redeemed that isn't.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use common::{Chain, ETHER};
use std::time::Duration;
use streamflow_keeper::Keeper;
use streamflow_keeper::redeem::{Policy, Redeemer};
use streamflow_keeper::store::TicketState;

const GWEI: u128 = 1_000_000_000;

async fn one_winner(
    chain: &Chain,
    dir: &std::path::Path,
    policy: Policy,
) -> (Keeper, Redeemer, B256) {
    let keeper = Keeper::open(dir.join("k.db"), chain.config(ETHER / 1000)).unwrap();
    let redeemer = chain.redeemer(&keeper, policy);
    redeemer.refresh().await.unwrap();
    let ack = keeper
        .submit(&chain.make_ticket(&keeper, 1, ETHER, true).await)
        .await
        .unwrap();
    (keeper, redeemer, ack.ticket_hash)
}

fn state_of(keeper: &Keeper, h: &B256) -> TicketState {
    keeper.with_store(|s| s.ticket(h).unwrap().unwrap().state)
}

#[tokio::test]
async fn a_stuck_redemption_is_replaced_with_higher_fees_and_exactly_one_lands() {
    let chain = Chain::start(40, 10 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy {
        confirmations: 2,
        replace_after_secs: 1,
        max_fee_per_gas: 200 * GWEI,
        ..Policy::default()
    };
    let (keeper, redeemer, h) = one_winner(&chain, dir.path(), policy).await;
    let orch = chain.orch.address();
    let nonce_before = chain.nonce_of(orch).await;
    let deposit_before = chain.deposit().await;

    chain.set_automine(false).await;
    let first = redeemer.step().await.unwrap().sent;
    assert_eq!(first.len(), 1);
    let first = first[0];
    let first_tx = chain
        .provider
        .get_transaction_by_hash(first)
        .await
        .unwrap()
        .unwrap();
    let first_fee = alloy::consensus::Transaction::max_fee_per_gas(&first_tx);
    // The base fee jumps above what it offered: blocks come and go without it.
    chain.set_base_fee(first_fee * 5).await;
    chain.mine(1).await;
    assert!(
        chain
            .provider
            .get_transaction_receipt(first)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(state_of(&keeper, &h), TicketState::Submitted);

    // After `replace_after_secs`, the keeper replaces it: same nonce, fees above the base fee.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut second = None;
    while second.is_none() && std::time::Instant::now() < deadline {
        second = redeemer.step().await.unwrap().sent.first().copied();
        if second.is_none() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(second.is_some(), "the stuck transaction was never replaced");
    let second = second.unwrap();
    assert_ne!(second, first);
    let second_tx = chain
        .provider
        .get_transaction_by_hash(second)
        .await
        .unwrap()
        .unwrap();
    use alloy::consensus::Transaction as _;
    assert_eq!(second_tx.nonce(), first_tx.nonce());
    assert!(
        second_tx.max_fee_per_gas() > first_fee * 5,
        "{} vs base fee {}",
        second_tx.max_fee_per_gas(),
        first_fee * 5
    );
    assert!(second_tx.max_fee_per_gas() <= 200 * GWEI);
    assert!(second_tx.max_priority_fee_per_gas() > first_tx.max_priority_fee_per_gas());

    chain.set_base_fee(first_fee * 5).await;
    chain.mine(1).await;
    let receipt = chain
        .provider
        .get_transaction_receipt(second)
        .await
        .unwrap();
    assert!(
        receipt.is_some_and(|r| r.status()),
        "the replacement did not land"
    );
    // One block deep only: not final yet, whichever record the keeper looks at first.
    redeemer.step().await.unwrap();
    assert_eq!(state_of(&keeper, &h), TicketState::Submitted);

    chain.mine(2).await;
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.redeemed, 1, "{report:?}");
    assert!(report.sent.is_empty());
    let t = keeper.with_store(|s| s.ticket(&h).unwrap().unwrap());
    assert_eq!(t.state, TicketState::Redeemed);
    // Settled from the transaction that landed, with its gas.
    assert_eq!(t.tx_hash, Some(second));
    assert!(t.gas_cost.unwrap_or(0) > 0, "{t:?}");
    // Exactly one landed: one nonce used, the face value paid once, the first never mined.
    assert!(
        chain
            .provider
            .get_transaction_receipt(first)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(chain.nonce_of(orch).await, nonce_before + 1);
    assert_eq!(chain.deposit().await, deposit_before - U256::from(ETHER));
    assert!(keeper.with_store(|s| s.open_txs().unwrap()).is_empty());
    chain.mine(3).await;
    assert!(redeemer.step().await.unwrap().sent.is_empty());
}

#[tokio::test]
async fn a_reorg_dropping_the_redemption_is_noticed_and_it_is_sent_again() {
    let chain = Chain::start(40, 10 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy {
        confirmations: 3,
        replace_after_secs: 3_600,
        ..Policy::default()
    };
    let (keeper, redeemer, h) = one_winner(&chain, dir.path(), policy).await;
    let orch = chain.orch.address();
    let nonce_before = chain.nonce_of(orch).await;
    let deposit_before = chain.deposit().await;

    chain.set_automine(false).await;
    let sent = redeemer.step().await.unwrap().sent;
    assert_eq!(sent.len(), 1);
    let before_block = chain.snapshot().await;
    chain.mine(2).await;
    assert!(chain.is_used(h).await, "mined");
    // Two blocks deep of the three required: still submitted.
    redeemer.step().await.unwrap();
    assert_eq!(state_of(&keeper, &h), TicketState::Submitted);

    // The reorg: both blocks are gone, and the transaction with them.
    chain.revert(before_block).await;
    chain.mine(1).await;
    assert!(!chain.is_used(h).await);
    assert!(
        chain
            .provider
            .get_transaction_receipt(sent[0])
            .await
            .unwrap()
            .is_none()
    );
    // The keeper notices and sends it again; the ticket is not marked redeemed meanwhile.
    redeemer.step().await.unwrap();
    assert_eq!(state_of(&keeper, &h), TicketState::Submitted);
    chain.mine(1).await;
    assert!(chain.is_used(h).await, "the redemption was not sent again");
    redeemer.step().await.unwrap();
    assert_eq!(
        state_of(&keeper, &h),
        TicketState::Submitted,
        "final after one block"
    );

    chain.mine(3).await;
    let report = redeemer.step().await.unwrap();
    assert_eq!(report.redeemed, 1, "{report:?}");
    let t = keeper.with_store(|s| s.ticket(&h).unwrap().unwrap());
    assert_eq!(t.state, TicketState::Redeemed);
    assert_eq!(chain.nonce_of(orch).await, nonce_before + 1);
    assert_eq!(chain.deposit().await, deposit_before - U256::from(ETHER));
    assert!(keeper.with_store(|s| s.open_txs().unwrap()).is_empty());
}
