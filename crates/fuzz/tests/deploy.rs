//! The in-process deployment is the scripted one: owner, registry, parameters, unpaused.

use alloy::primitives::U256;
use streamflow_bindings::{
    contracts::{BondingManager, Controller, LivepeerToken, RoundsManager, TicketBroker},
    ids,
};
use streamflow_fuzz::{Chain, DeployConfig, deploy};

#[test]
fn deploys_and_wires_the_full_protocol() {
    let mut chain = Chain::new();
    let cfg = DeployConfig::default();
    let p = deploy(&mut chain, &cfg).expect("deploy");

    assert_eq!(
        chain.view(p.controller, &Controller::ownerCall {}).unwrap(),
        cfg.governance
    );
    assert!(
        !chain
            .view(p.controller, &Controller::pausedCall {})
            .unwrap()
    );
    for (id, addr) in [
        (ids::livepeer_token(), p.token),
        (ids::rounds_manager(), p.rounds),
        (ids::bonding_manager(), p.bonding_manager),
        (ids::service_registry(), p.service_registry),
        (ids::ticket_broker(), p.broker),
        (ids::fault_verifier(), p.fault_verifier),
        (ids::minter(), p.minter),
    ] {
        let got = chain
            .view(p.controller, &Controller::getContractCall { id })
            .unwrap();
        assert_eq!(got, addr, "registry entry {id}");
    }
    let bal = chain
        .view(
            p.token,
            &LivepeerToken::balanceOfCall {
                account: cfg.governance,
            },
        )
        .unwrap();
    assert_eq!(bal, cfg.genesis_supply);
    let len = chain
        .view(p.rounds, &RoundsManager::roundLengthCall {})
        .unwrap();
    assert_eq!(len, U256::from(cfg.round_length));
    assert_eq!(
        chain
            .view(p.broker, &TicketBroker::ticketValidityPeriodCall {})
            .unwrap(),
        U256::from(2)
    );
    assert_eq!(
        chain
            .view(p.broker, &TicketBroker::unlockPeriodCall {})
            .unwrap(),
        U256::from(3)
    );
    let min = chain
        .view(p.bonding_manager, &BondingManager::minActiveStakeCall {})
        .unwrap();
    assert_eq!(
        min,
        U256::from(1000u64) * U256::from(10u64).pow(U256::from(18))
    );
}

#[test]
fn snapshot_restore_returns_to_the_saved_state() {
    let mut chain = Chain::new();
    let cfg = DeployConfig::default();
    let p = deploy(&mut chain, &cfg).expect("deploy");
    let snap = chain.snapshot();
    let who = alloy::primitives::Address::repeat_byte(7);
    chain
        .send(
            cfg.governance,
            p.token,
            &LivepeerToken::transferCall {
                to: who,
                value: U256::from(5),
            },
            U256::ZERO,
        )
        .unwrap();
    chain.roll(10);
    assert_eq!(
        chain
            .view(p.token, &LivepeerToken::balanceOfCall { account: who })
            .unwrap(),
        U256::from(5)
    );
    chain.restore(&snap);
    assert_eq!(
        chain
            .view(p.token, &LivepeerToken::balanceOfCall { account: who })
            .unwrap(),
        U256::ZERO
    );
    assert_eq!(chain.block_number(), cfg.block);
}
