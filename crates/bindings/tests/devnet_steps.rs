//! The chain steps of `streamflow_bindings::devnet` against a real anvil and the real deploy
//! script: each does what it says on chain, and a failure names its step.

use alloy::primitives::U256;
use alloy::providers::Provider;
use streamflow_bindings::contracts::{BondingManager, RoundsManager};
use streamflow_bindings::devnet::{self, ChainError, Devnet, ETHER};

const ROUND_LENGTH: u64 = 20;

#[tokio::test]
async fn steps_move_the_chain_and_failures_name_their_step() {
    let net = tokio::task::spawn_blocking(|| Devnet::start(ROUND_LENGTH))
        .await
        .expect("join")
        .expect("anvil with the protocol deployed");
    let d = &net.deployment;
    let gov = net.provider_as(&net.governance);
    let read = net.provider();
    let rounds = RoundsManager::new(d.rounds_manager, &read);

    // next_round: exactly one round further, initialized, and the latest block is in it.
    let start = devnet::current_round(&read, d).await.expect("round");
    let round = devnet::next_round(&gov, d).await.expect("next round");
    assert_eq!(round, start + 1);
    assert_eq!(devnet::current_round(&read, d).await.expect("round"), round);
    assert!(
        rounds
            .currentRoundInitialized()
            .call()
            .await
            .expect("initialized")
    );
    // Already initialized: nothing to do, and not an error.
    assert!(!devnet::initialize_round(&gov, d).await.expect("idempotent"));

    // mine: the block number moves by what was asked.
    let before = read.get_block_number().await.expect("block");
    devnet::mine(&read, 7).await.expect("mine");
    assert_eq!(read.get_block_number().await.expect("block"), before + 7);

    // mine_into_next_round: in the next round, not initialized (that is the caller's step).
    let later = devnet::mine_into_next_round(&read, d).await.expect("mine");
    assert_eq!(later, round + 1);
    assert!(
        !rounds
            .currentRoundInitialized()
            .call()
            .await
            .expect("initialized")
    );
    assert!(devnet::initialize_round(&gov, d).await.expect("initialize"));

    // bond_orchestrator: the stake is bonded to the orchestrator itself.
    let orch = net.key(1);
    let stake = U256::from(1_500u64) * U256::from(ETHER);
    devnet::bond_orchestrator(&gov, &net.provider_as(&orch), orch.address(), d, stake)
        .await
        .expect("bond");
    let bonding = BondingManager::new(d.bonding_manager, &read);
    let delegator = bonding
        .delegatorInfo(orch.address())
        .call()
        .await
        .expect("delegator");
    assert_eq!(delegator.stake, stake);
    assert_eq!(delegator.delegate, orch.address());
    assert!(
        bonding
            .isOrchestrator(orch.address())
            .call()
            .await
            .expect("orchestrator")
    );

    // fund_sender and sender_funds: what was paid in is what the broker holds; zero sends nothing.
    let sender = net.key(2);
    let as_sender = net.provider_as(&sender);
    let nonce = read
        .get_transaction_count(sender.address())
        .await
        .expect("nonce");
    devnet::fund_sender(&as_sender, d, U256::ZERO, U256::ZERO)
        .await
        .expect("nothing to fund");
    assert_eq!(
        read.get_transaction_count(sender.address())
            .await
            .expect("nonce"),
        nonce
    );
    let (deposit, reserve) = (U256::from(3 * ETHER / 2), U256::from(ETHER / 4));
    devnet::fund_sender(&as_sender, d, deposit, reserve)
        .await
        .expect("fund");
    let funds = devnet::sender_funds(&read, d, sender.address())
        .await
        .expect("funds");
    assert_eq!(
        funds,
        devnet::SenderFunds {
            deposit,
            reserve,
            withdraw_round: U256::ZERO
        }
    );
    assert!(
        !devnet::is_used_ticket(&read, d, alloy::primitives::B256::repeat_byte(1))
            .await
            .expect("used")
    );

    // transact: a call refused in estimation, and a transaction mined and reverted, both name
    // their step.
    let as_gov = RoundsManager::new(d.rounds_manager, &gov);
    match devnet::transact("initialize twice", as_gov.initializeRound()).await {
        Err(e @ ChainError::Contract { step, .. }) => {
            assert_eq!(step, "initialize twice");
            assert!(e.to_string().starts_with("initialize twice: "), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A fixed gas limit skips estimation, so this one is mined and reverts. (It is also the same
    // provider's next send after a refused one: it must not wait behind a nonce gap.)
    let mined = as_gov.initializeRound().gas(200_000);
    match devnet::transact("initialize twice", mined).await {
        Err(e @ ChainError::Reverted { step, tx }) => {
            assert_eq!(step, "initialize twice");
            let receipt = read
                .get_transaction_receipt(tx)
                .await
                .expect("rpc")
                .expect("mined");
            assert!(!receipt.status());
            assert!(e.to_string().contains("reverted"), "{e}");
        }
        other => panic!("expected a mined revert, got {other:?}"),
    }
}
