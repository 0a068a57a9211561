//! The chain: providers, blocks and rounds, and the events the summary reads.

use crate::{Result, Step};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use std::collections::BTreeMap;
use streamflow_bindings::contracts::{BondingManager, TicketBroker};
use streamflow_bindings::{Deployment, devnet};

pub(crate) fn provider_as(rpc: &str, key: &PrivateKeySigner) -> Result<DynProvider> {
    Ok(devnet::provider_as(rpc.parse().step("rpc url")?, key))
}

pub(crate) async fn mine(p: &DynProvider, blocks: u64) -> Result<()> {
    devnet::mine(p, blocks).await.step("anvil_mine")
}

/// Mines into the next round (until views at the latest block see it, so that the
/// initialization and every quote after it are of the round the new stake is active in) and
/// initializes it.
pub(crate) async fn next_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    devnet::next_round(gov, d).await.step("next round")?;
    Ok(())
}

pub(crate) async fn initialize_round(d: &Deployment, gov: &DynProvider) -> Result<()> {
    devnet::initialize_round(gov, d)
        .await
        .step("initializeRound")?;
    Ok(())
}

pub(crate) async fn transfer_lpt(
    d: &Deployment,
    gov: &DynProvider,
    to: Address,
    amount: U256,
) -> Result<()> {
    devnet::transfer_lpt(gov, d, to, amount)
        .await
        .step("LPT transfer")
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
