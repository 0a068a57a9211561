//! The chain: providers, blocks and rounds, and the events the summary reads.

use crate::{Result, Step, fail};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use std::collections::BTreeMap;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::{BondingManager, RoundsManager, TicketBroker};

pub(crate) fn provider_as(rpc: &str, key: &PrivateKeySigner) -> Result<DynProvider> {
    let url = rpc.parse().step("rpc url")?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url)
        .erased())
}

pub(crate) async fn mine(p: &DynProvider, blocks: u64) -> Result<()> {
    let _: serde_json::Value = p
        .raw_request("anvil_mine".into(), (format!("0x{blocks:x}"),))
        .await
        .step("anvil_mine")?;
    Ok(())
}

/// Mines to the start of the next round and initializes it.
pub(crate) async fn next_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    let rounds = RoundsManager::new(d.rounds_manager, gov);
    let r = rounds
        .currentRoundAndEnd()
        .call()
        .await
        .step("next round")?;
    let end = u64::try_from(r.endBlock).step("next round")?;
    let now = gov.get_block_number().await.step("next round")?;
    if end > now {
        mine(gov, end - now).await?;
    }
    // Views run at the latest block: mine until it is in the next round, so that the
    // initialization (and every quote after it) is of the round the new stake is active in.
    for _ in 0..100 {
        let round = rounds.currentRound().call().await.step("next round")?;
        if round > r.round {
            return initialize_round(d, gov).await;
        }
        mine(gov, 1).await?;
    }
    fail("next round", "the round did not change")
}

pub(crate) async fn initialize_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    let rounds = RoundsManager::new(d.rounds_manager, gov);
    if rounds
        .currentRoundInitialized()
        .call()
        .await
        .step("round")?
    {
        return Ok(());
    }
    let r = rounds
        .initializeRound()
        .send()
        .await
        .step("initializeRound")?
        .get_receipt()
        .await
        .step("initializeRound")?;
    if !r.status() {
        return fail("initializeRound", "reverted");
    }
    Ok(())
}

/// Redeemed tickets per recipient since `from`: count and face value.
pub(crate) async fn redemptions(
    p: &DynProvider,
    d: &Deployment,
    from: u64,
) -> Result<BTreeMap<Address, (u64, U256)>> {
    let filter = Filter::new()
        .address(d.ticket_broker)
        .event_signature(TicketBroker::TicketRedeemed::SIGNATURE_HASH)
        .from_block(from);
    let logs = p.get_logs(&filter).await.step("TicketRedeemed logs")?;
    let mut out: BTreeMap<Address, (u64, U256)> = BTreeMap::new();
    for log in logs {
        if let Ok(e) = log.log_decode::<TicketBroker::TicketRedeemed>() {
            let e = e.inner.data;
            let entry = out.entry(e.recipient).or_default();
            entry.0 += 1;
            entry.1 += e.faceValue;
        }
    }
    Ok(out)
}

/// LPT slashed per orchestrator since `from`.
pub(crate) async fn slashes(
    p: &DynProvider,
    d: &Deployment,
    from: u64,
) -> Result<BTreeMap<Address, U256>> {
    let filter = Filter::new()
        .address(d.bonding_manager)
        .event_signature(BondingManager::Slashed::SIGNATURE_HASH)
        .from_block(from);
    let logs = p.get_logs(&filter).await.step("Slashed logs")?;
    let mut out: BTreeMap<Address, U256> = BTreeMap::new();
    for log in logs {
        if let Ok(e) = log.log_decode::<BondingManager::Slashed>() {
            let e = e.inner.data;
            *out.entry(e.orchestrator).or_default() += e.penalty;
        }
    }
    Ok(out)
}
