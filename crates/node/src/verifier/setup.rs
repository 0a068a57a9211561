//! Setting up a committee on a dev chain whose governance is a single key (the deploy script's
//! `single-key` mode, the default on the local chain 31337): the members and threshold M of the
//! CommitteeVerifier, its verdict period, and known services whose default verification function
//! is the committee (an orchestrator that offers such a service and names no verifier of its own is
//! judged by the committee).
//!
//! Under timelock governance these same calls (`addMember`, `removeMember`, `setThreshold`,
//! `setVerdictPeriod` on the CommitteeVerifier, `setKnownService` on the ServiceRegistry) must be
//! scheduled through the timelock instead; [`setup_committee`] refuses.

use std::collections::BTreeSet;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::ServiceRegistry;
use streamflow_bindings::contracts::committee_verifier::CommitteeVerifier;

use super::VerifierError;
use crate::wire::service_id;

/// What the committee should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeSetup {
    /// The members, exactly (others are removed).
    pub members: Vec<Address>,
    /// The signature threshold M.
    pub threshold: u64,
    /// Blocks the committee has per review (unchanged if `None`).
    pub verdict_period_blocks: Option<u64>,
    /// Service names to declare known, judged by the committee by default (e.g. `h264-abr`).
    pub services: Vec<String>,
}

/// What was done.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupReport {
    /// Members added.
    pub added: Vec<Address>,
    /// Members removed.
    pub removed: Vec<Address>,
    /// The threshold now.
    pub threshold: u64,
    /// The verdict period now, in blocks.
    pub verdict_period_blocks: u64,
    /// The services declared, with their ids.
    pub services: Vec<(String, B256)>,
    /// Transactions sent.
    pub transactions: usize,
    /// Gas they used.
    pub gas_used: u64,
}

fn chain(e: impl std::fmt::Display) -> VerifierError {
    VerifierError::Chain(e.to_string())
}

/// The current members, from the CommitteeVerifier's `MemberAdded` / `MemberRemoved` events.
pub async fn current_members(
    provider: &DynProvider,
    d: &Deployment,
) -> Result<BTreeSet<Address>, VerifierError> {
    let filter = Filter::new()
        .address(d.committee_verifier)
        .event_signature(vec![
            CommitteeVerifier::MemberAdded::SIGNATURE_HASH,
            CommitteeVerifier::MemberRemoved::SIGNATURE_HASH,
        ])
        .from_block(d.deploy_block);
    let mut logs = provider.get_logs(&filter).await.map_err(chain)?;
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    let mut set = BTreeSet::new();
    for l in logs {
        if let Ok(e) = CommitteeVerifier::MemberAdded::decode_log(&l.inner) {
            set.insert(e.member);
        } else if let Ok(e) = CommitteeVerifier::MemberRemoved::decode_log(&l.inner) {
            set.remove(&e.member);
        }
    }
    Ok(set)
}

/// Makes the committee of `d` what `setup` says, sending as `governance` through `provider`
/// (which must sign for it).
pub async fn setup_committee(
    provider: &DynProvider,
    governance: Address,
    d: &Deployment,
    setup: &CommitteeSetup,
) -> Result<SetupReport, VerifierError> {
    if d.governance != governance {
        return Err(VerifierError::Config(format!(
            "governance of this deployment is {} (a timelock?), not {governance}: schedule the calls through it",
            d.governance
        )));
    }
    let wanted: BTreeSet<Address> = setup.members.iter().copied().collect();
    if setup.threshold == 0 || setup.threshold > wanted.len() as u64 {
        return Err(VerifierError::Config(format!(
            "threshold {} must be between 1 and the {} members",
            setup.threshold,
            wanted.len()
        )));
    }
    let committee = CommitteeVerifier::new(d.committee_verifier, provider);
    let mut report = SetupReport::default();
    let mut note = |r: alloy::rpc::types::TransactionReceipt| -> Result<(), VerifierError> {
        if !r.status() {
            return Err(VerifierError::Chain(format!(
                "transaction {} reverted",
                r.transaction_hash
            )));
        }
        report.transactions += 1;
        report.gas_used += r.gas_used;
        Ok(())
    };
    macro_rules! send {
        ($call:expr) => {{
            let call = $call.from(governance);
            call.call().await.map_err(chain)?;
            note(
                call.send()
                    .await
                    .map_err(chain)?
                    .get_receipt()
                    .await
                    .map_err(chain)?,
            )?;
        }};
    }
    let current = current_members(provider, d).await?;
    let mut added = Vec::new();
    for m in wanted.difference(&current) {
        send!(committee.addMember(*m));
        added.push(*m);
    }
    let threshold = U256::from(setup.threshold);
    if committee.threshold().call().await.map_err(chain)? != threshold {
        send!(committee.setThreshold(threshold));
    }
    let mut removed = Vec::new();
    for m in current.difference(&wanted) {
        send!(committee.removeMember(*m));
        removed.push(*m);
    }
    if let Some(p) = setup.verdict_period_blocks {
        let p = U256::from(p);
        if committee.verdictPeriod().call().await.map_err(chain)? != p {
            send!(committee.setVerdictPeriod(p));
        }
    }
    let registry = ServiceRegistry::new(d.service_registry, provider);
    let mut services = Vec::new();
    for name in &setup.services {
        let id = service_id(name);
        send!(registry.setKnownService(id, d.committee_verifier, true));
        services.push((name.clone(), id));
    }
    let period = committee.verdictPeriod().call().await.map_err(chain)?;
    Ok(SetupReport {
        added,
        removed,
        threshold: setup.threshold,
        verdict_period_blocks: u64::try_from(period).unwrap_or(u64::MAX),
        services,
        ..report
    })
}

/// The provider's chain matches the deployment's.
pub async fn check_chain(provider: &DynProvider, d: &Deployment) -> Result<(), VerifierError> {
    let id = provider.get_chain_id().await.map_err(chain)?;
    if id != d.chain_id {
        return Err(VerifierError::Chain(format!(
            "the node is on chain {id}, the deployment on {}",
            d.chain_id
        )));
    }
    Ok(())
}
