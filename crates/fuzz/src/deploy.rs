//! The full protocol deployed in-process, wired by the deployer's own bytecode.
//!
//! `script/InProcessDeployer.sol` runs `FullProtocolDeployer._deployFullProtocol` with
//! `_defaultFullConfig` in its constructor, i.e. the code `script/Deploy.s.sol` runs, so this
//! deployment is the one the forge script produces (same contracts, proxies, registry entries,
//! parameters and unpause), with `governance` in the broadcaster's place.

use alloy::{
    primitives::{Address, Bytes, U256},
    sol,
    sol_types::SolConstructor,
};

use crate::chain::{Chain, ChainError, Result};

sol!(
    #[derive(Debug)]
    InProcessDeployer,
    "../../out/InProcessDeployer.sol/InProcessDeployer.json"
);

/// Parameters of an in-process deployment (those `Deploy.s.sol` reads from its environment).
#[derive(Debug, Clone)]
pub struct DeployConfig {
    /// The broadcaster's role: owner of the Controller, genesis holder, sole committee member.
    pub governance: Address,
    /// Blocks per round.
    pub round_length: u64,
    /// LPT minted to `governance`.
    pub genesis_supply: U256,
    /// The block the deployment happens at.
    pub block: u64,
}

impl Default for DeployConfig {
    fn default() -> Self {
        Self {
            governance: Address::repeat_byte(0x60),
            round_length: 50,
            genesis_supply: U256::from(10_000_000u64) * U256::from(10u64).pow(U256::from(18)),
            block: 1000,
        }
    }
}

/// The addresses of a deployment; protocol contracts are their proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// Owner of the Controller and sole committee member.
    pub governance: Address,
    /// Blocks per round at deployment.
    pub round_length: u64,
    /// Registry, pause switch, upgrade authority.
    pub controller: Address,
    /// LPT.
    pub token: Address,
    /// Rounds and block hashes.
    pub rounds: Address,
    /// Staking.
    pub bonding_manager: Address,
    /// Inflation.
    pub minter: Address,
    /// Orchestrators' services.
    pub service_registry: Address,
    /// Deposits, reserves, tickets.
    pub broker: Address,
    /// Challenges.
    pub fault_verifier: Address,
    /// On-chain equivocation proofs.
    pub equivocation: Address,
    /// M-of-N verdicts.
    pub committee: Address,
}

/// Deploys the full protocol on `chain` at `cfg.block`; governance accepts the Controller.
pub fn deploy(chain: &mut Chain, cfg: &DeployConfig) -> Result<Protocol> {
    chain.set_block(cfg.block);
    let mut init = InProcessDeployer::BYTECODE.to_vec();
    init.extend(
        InProcessDeployer::constructorCall {
            governance: cfg.governance,
            roundLength: U256::from(cfg.round_length),
            genesisSupply: cfg.genesis_supply,
        }
        .abi_encode(),
    );
    chain.deployer_mode(true);
    let created = chain.create(cfg.governance, Bytes::from(init));
    chain.deployer_mode(false);
    let deployer = created?;
    let f = chain.view(deployer, &InProcessDeployer::deploymentCall {})?;
    let p = Protocol {
        governance: cfg.governance,
        round_length: cfg.round_length,
        controller: f.core.controller,
        token: f.core.token,
        rounds: f.core.rounds,
        bonding_manager: f.staking.bondingManager,
        minter: f.staking.minter,
        service_registry: f.staking.serviceRegistry,
        broker: f.broker.broker,
        fault_verifier: f.verifier.faultVerifier,
        equivocation: f.verifier.equivocation,
        committee: f.verifier.committee,
    };
    if p.controller == Address::ZERO {
        return Err(ChainError::NoAddress);
    }
    chain.send(
        cfg.governance,
        p.controller,
        &streamflow_bindings::contracts::Controller::acceptOwnershipCall {},
        U256::ZERO,
    )?;
    Ok(p)
}
