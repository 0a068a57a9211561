//! End to end: a real anvil, the real forge deploy script, then the generated bindings against the
//! deployed proxies.

use alloy::{
    node_bindings::AnvilInstance,
    primitives::U256,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use std::process::Command;
use streamflow_bindings::{
    Deployment,
    contracts::{BondingManager, Controller, LivepeerToken, RoundsManager, TicketBroker},
    devnet::Devnet,
    ids,
};

/// A new anvil (1,000-block rounds) with the protocol deployed by its first dev account
/// (governance), whose signer is returned; the anvil stops when the instance is dropped.
fn fresh_deployment() -> (AnvilInstance, PrivateKeySigner, Deployment) {
    let net = Devnet::start(1000).expect("anvil with the protocol deployed");
    (net.anvil, net.governance, net.deployment)
}

#[tokio::test]
async fn deploy_script_wires_the_protocol_and_bindings_drive_it() {
    let (anvil, signer, d) = fresh_deployment();
    let gov = signer.address();

    assert_eq!(d.chain_id, anvil.chain_id());
    assert_eq!(d.governance, gov);
    assert_eq!(d.round_length, 1000);
    assert_eq!(d.rpc_url.as_deref(), Some(anvil.endpoint().as_str()));

    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(anvil.endpoint_url());
    let controller = Controller::new(d.controller, &provider);
    let rounds = RoundsManager::new(d.rounds_manager, &provider);
    let token = LivepeerToken::new(d.livepeer_token, &provider);

    // Wiring: registry entries point at the proxies, the protocol is unpaused, governance owns it.
    assert_eq!(
        controller
            .getContract(ids::rounds_manager())
            .call()
            .await
            .unwrap(),
        d.rounds_manager
    );
    assert_eq!(
        controller
            .getContract(ids::livepeer_token())
            .call()
            .await
            .unwrap(),
        d.livepeer_token
    );
    for (id, expected) in [
        (ids::bonding_manager(), d.bonding_manager),
        (ids::minter(), d.minter),
        (ids::service_registry(), d.service_registry),
        (ids::ticket_broker(), d.ticket_broker),
        (ids::fault_verifier(), d.fault_verifier),
    ] {
        assert_eq!(controller.getContract(id).call().await.unwrap(), expected);
    }
    // The broker is wired to the real staking contract, with tickets expiring before new stake
    // matures and leaving stake stops sharing fees (validity <= maturity <= unbonding).
    let broker = TicketBroker::new(d.ticket_broker, &provider);
    let deps = broker.dependencies().call().await.unwrap();
    assert_eq!(deps.bondingManager, d.bonding_manager);
    assert_eq!(deps.roundsManager, d.rounds_manager);
    let staking = BondingManager::new(d.bonding_manager, &provider);
    let unbonding = staking.unbondingPeriod().call().await.unwrap();
    let maturity = staking.maturityPeriod().call().await.unwrap();
    let validity = broker.ticketValidityPeriod().call().await.unwrap();
    assert!(validity <= maturity && maturity <= unbonding);
    assert_eq!(
        maturity, validity,
        "the default deployment matures stake after the ticket validity"
    );
    assert!(!controller.paused().call().await.unwrap());
    assert_eq!(controller.owner().call().await.unwrap(), gov);
    assert_eq!(
        token.balanceOf(gov).call().await.unwrap(),
        U256::from(10_000_000u64) * U256::from(10u64).pow(U256::from(18u64))
    );

    // Rounds through the proxy: initialize once, the second call is refused with the named error.
    let round = rounds.currentRound().call().await.unwrap();
    let receipt = rounds
        .initializeRound()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let initialized = receipt
        .decoded_log::<RoundsManager::RoundInitialized>()
        .expect("RoundInitialized event");
    assert_eq!(initialized.round, round);
    assert_eq!(
        rounds.blockHashForRound(round).call().await.unwrap(),
        initialized.blockHash
    );

    let err = rounds
        .initializeRound()
        .send()
        .await
        .expect_err("second initialize in a round");
    let decoded = err
        .as_decoded_interface_error::<RoundsManager::RoundsManagerErrors>()
        .expect("a RoundsManager custom error");
    assert!(
        matches!(decoded, RoundsManager::RoundsManagerErrors::RoundAlreadyInitialized(ref e) if e.round == round),
        "{decoded:?}"
    );
}

#[tokio::test]
async fn paused_protocol_refuses_round_initialization() {
    let (anvil, signer, d) = fresh_deployment();
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(anvil.endpoint_url());

    let controller = Controller::new(d.controller, &provider);
    controller
        .pause()
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let err = RoundsManager::new(d.rounds_manager, &provider)
        .initializeRound()
        .send()
        .await
        .expect_err("paused");
    let decoded = err
        .as_decoded_interface_error::<RoundsManager::RoundsManagerErrors>()
        .expect("a RoundsManager custom error");
    assert!(
        matches!(
            decoded,
            RoundsManager::RoundsManagerErrors::ProtocolIsPaused(_)
        ),
        "{decoded:?}"
    );
}

#[tokio::test]
async fn deploy_block_is_the_first_block_with_the_protocol() {
    let (anvil, _signer, d) = fresh_deployment();
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    assert!(d.deploy_block >= 1, "{d:?}");
    // The Controller is the deployment's first contract: absent just before, present from it on.
    let before = provider
        .get_code_at(d.controller)
        .block_id((d.deploy_block - 1).into())
        .await
        .unwrap();
    let at = provider
        .get_code_at(d.controller)
        .block_id(d.deploy_block.into())
        .await
        .unwrap();
    assert!(before.is_empty(), "code before the deploy block");
    assert!(
        !at.is_empty(),
        "no code at the deploy block {}",
        d.deploy_block
    );
}

#[test]
fn status_reads_the_recorded_chain_and_stops_quietly_on_a_closed_pipe() {
    let Devnet {
        anvil,
        deployment: d,
        file,
        ..
    } = Devnet::start(1000).expect("anvil with the protocol deployed");
    let status = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamflow-status"));
        cmd.env_remove("ETH_RPC_URL")
            .arg("--deployment")
            .arg(file.path());
        cmd
    };

    // No --rpc-url: the anvil on its random port is found through the file's `rpcUrl`.
    let out = status().output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&anvil.endpoint()), "{stdout}");
    assert!(stdout.contains(&d.ticket_broker.to_string()), "{stdout}");

    // `streamflow-status | head -0`: the reader is gone before anything is written.
    let mut child = status()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
