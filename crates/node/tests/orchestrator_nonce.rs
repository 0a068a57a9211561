//! One owner of the orchestrator account's nonce: `reward()` and the embedded keeper's
//! redemptions are sent with the same key, on a real anvil with automine off (blocks mined by
//! hand). A transaction the keeper recorded but that never reached the node (a crash between
//! recording and broadcasting, a node that lost its pool) still owns its nonce: `reward()` takes
//! the next one, the keeper's rebroadcast does not collide with it, and both land.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "common/orch.rs"]
mod common;

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use common::Net;
use streamflow_bindings::contracts::{BondingManager, LivepeerToken};
use streamflow_keeper::daemon;
use streamflow_node::orchestrator::chain::{RewardOutcome, reward_once};
use streamflow_node::orchestrator::cli::{Config, Overrides};

async fn landed(net: &Net, h: B256) -> bool {
    net.provider
        .get_transaction_receipt(h)
        .await
        .unwrap()
        .is_some_and(|r| r.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reward_never_takes_the_nonce_of_a_recorded_redemption() {
    let net = Net::start(40).await;
    net.register();
    net.next_round().await;
    let config = Config::load(&net.config, &Overrides::default()).unwrap();
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let (_keeper, redeemer) = daemon::open(&config.keeper_config().unwrap())
        .await
        .unwrap();
    let tx = redeemer.tx_sender();
    let d = net.d().clone();
    let _: serde_json::Value = net
        .provider
        .raw_request("evm_setAutomine".into(), (false,))
        .await
        .unwrap();

    // A transaction of the account, recorded by the keeper, that never reached the node.
    let lost = tx
        .send_call(
            d.livepeer_token,
            LivepeerToken::approveCall {
                spender: Address::repeat_byte(7),
                value: U256::from(1u8),
            }
            .abi_encode()
            .into(),
        )
        .await
        .unwrap();
    let _: serde_json::Value = net
        .provider
        .raw_request("anvil_dropTransaction".into(), (lost,))
        .await
        .unwrap();
    assert!(
        net.provider
            .get_transaction_by_hash(lost)
            .await
            .unwrap()
            .is_none()
    );

    // reward() now: it must not reuse the lost transaction's nonce.
    let round = net.round().await;
    let out = reward_once(&net.provider, &d, &tx, false).await.unwrap();
    let RewardOutcome::Rewarded(r, reward) = out else {
        panic!("reward not sent: {out:?}");
    };
    assert_eq!(r, round);
    // Asked again before it is mined: it waits for the open one, it does not send a second.
    assert_eq!(
        reward_once(&net.provider, &d, &tx, false).await.unwrap(),
        RewardOutcome::Pending(round, reward)
    );

    // The keeper's reconciliation rebroadcasts what it recorded; then a block is mined.
    redeemer.step().await.unwrap();
    net.mine(1).await;
    let nonce_of = |h: B256| {
        let p = net.provider.clone();
        async move {
            p.get_transaction_by_hash(h)
                .await
                .unwrap()
                .map(|t| t.nonce())
        }
    };
    assert!(
        landed(&net, lost).await,
        "the keeper's recorded transaction was dropped (its nonce {:?}, reward's {:?})",
        nonce_of(lost).await,
        nonce_of(reward).await
    );
    assert!(landed(&net, reward).await, "reward() did not land");
    let info = BondingManager::new(d.bonding_manager, &net.provider)
        .orchestratorInfo(net.orch.address())
        .call()
        .await
        .unwrap();
    assert_eq!(info.lastRewardRound, U256::from(round));
    // Once mined and confirmed the keeper closes both records; the check then reports it done.
    net.mine(1).await;
    redeemer.step().await.unwrap();
    assert!(tx.open_calls().unwrap().is_empty());
    assert_eq!(
        reward_once(&net.provider, &d, &tx, false).await.unwrap(),
        RewardOutcome::AlreadyDone(round)
    );
}
