//! The world the stateful harness runs in: the deployed protocol, its actors with their keys, and
//! the state every case starts from (actors funded, orchestrators bonded and registered, senders
//! funded, the first round with stake initialized), saved once as a snapshot.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use streamflow_bindings::contracts::{
    BondingManager, Controller, IServiceRegistry, LivepeerToken, RoundsManager, ServiceRegistry,
    TicketBroker,
};
use streamflow_protocol::LocalSigner;

use crate::{
    chain::{Chain, ChainError, Result, Snapshot},
    deploy::{DeployConfig, Protocol, deploy},
    variants::{Variant, VariantCode},
};

/// One LPT (or one ether), in base units.
pub fn unit() -> U256 {
    U256::from(10u64).pow(U256::from(18))
}

/// `n` whole tokens (LPT or ETH).
pub fn tokens(n: u64) -> U256 {
    U256::from(n) * unit()
}

/// Orchestrators in the world.
pub const ORCHESTRATORS: usize = 3;
/// Delegators in the world.
pub const DELEGATORS: usize = 3;
/// Senders (broadcasters) in the world.
pub const SENDERS: usize = 3;
/// Challengers in the world.
pub const CHALLENGERS: usize = 2;

/// The service every orchestrator offers, checked by the committee.
pub fn service_id() -> B256 {
    keccak256("streamflow-fuzz transcode 720p")
}

/// The region every orchestrator serves.
pub fn region() -> B256 {
    keccak256("streamflow-fuzz region")
}

/// A named account with its key.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Readable name used in printed sequences and generated forge tests.
    pub name: String,
    /// The account.
    pub address: Address,
    /// Its secret key (test keys derived from the name).
    pub key: B256,
    /// Its signer (the protocol core's libsecp256k1 signer).
    pub signer: Option<LocalSigner>,
}

impl Actor {
    fn new(name: String) -> Self {
        let key = keccak256(format!("streamflow-fuzz key {name}"));
        let signer = LocalSigner::from_bytes(&key).ok();
        let address = signer.as_ref().map(|s| s.address()).unwrap_or_default();
        Self {
            name,
            address,
            key,
            signer,
        }
    }

    /// Signs a 32-byte digest: 65 bytes `r ‖ s ‖ v`, low-s, `v ∈ {27, 28}` (empty if the key is
    /// unusable, which the contracts then refuse).
    pub fn sign_digest(&self, digest: &B256) -> Bytes {
        self.signer
            .as_ref()
            .map(|s| Bytes::from(s.sign_digest(digest).to_vec()))
            .unwrap_or_default()
    }
}

/// Starting ETH of each sender, challenger and staker.
pub fn starting_eth() -> U256 {
    tokens(1000)
}

/// Starting liquid LPT of each orchestrator and delegator.
pub fn starting_lpt() -> U256 {
    tokens(20_000)
}

/// Self-bond of each orchestrator at setup.
pub fn starting_self_bond() -> U256 {
    tokens(5_000)
}

/// The deployed protocol, its actors, and the snapshot cases start from.
#[derive(Debug, Clone)]
pub struct World {
    /// Contract addresses.
    pub protocol: Protocol,
    /// Governance: owner of the Controller and sole committee member.
    pub governance: Actor,
    /// Orchestrators (index = actor id in actions).
    pub orchestrators: Vec<Actor>,
    /// Delegators.
    pub delegators: Vec<Actor>,
    /// Senders.
    pub senders: Vec<Actor>,
    /// Challengers.
    pub challengers: Vec<Actor>,
    /// The state every case starts from.
    pub start: Snapshot,
    /// Genesis LPT supply.
    pub genesis_supply: U256,
    /// The broken variant swapped in, if any.
    pub variant: Option<&'static Variant>,
}

impl World {
    /// Deploys the protocol and brings it to the starting state. Takes a fraction of a second; a
    /// harness builds it once and restores [`World::start`] for every case.
    pub fn build() -> Result<Self> {
        Self::build_with(None)
    }

    /// Like [`World::build`], then upgrades one proxy to a broken implementation (`code`: its
    /// creation code, and its admin extension's) before the starting snapshot; see
    /// [`crate::variants`].
    pub fn build_with(variant: Option<(&'static Variant, VariantCode)>) -> Result<Self> {
        let mut chain = Chain::new();
        chain.record(true);
        let governance = Actor::new("governance".into());
        let cfg = DeployConfig {
            governance: governance.address,
            ..DeployConfig::default()
        };
        let p = deploy(&mut chain, &cfg)?;
        let orchestrators: Vec<Actor> = (0..ORCHESTRATORS)
            .map(|i| Actor::new(format!("orch{i}")))
            .collect();
        let delegators: Vec<Actor> = (0..DELEGATORS)
            .map(|i| Actor::new(format!("delegator{i}")))
            .collect();
        let senders: Vec<Actor> = (0..SENDERS)
            .map(|i| Actor::new(format!("sender{i}")))
            .collect();
        let challengers: Vec<Actor> = (0..CHALLENGERS)
            .map(|i| Actor::new(format!("challenger{i}")))
            .collect();

        let g = governance.address;
        chain.set_balance(g, starting_eth());
        chain.send(
            g,
            p.service_registry,
            &ServiceRegistry::setKnownServiceCall {
                id: service_id(),
                defaultVerifier: p.committee,
                known: true,
            },
            U256::ZERO,
        )?;
        for a in senders.iter().chain(&challengers) {
            chain.set_balance(a.address, starting_eth());
        }
        for a in orchestrators.iter().chain(&delegators) {
            chain.set_balance(a.address, starting_eth());
            chain.send(
                g,
                p.token,
                &LivepeerToken::transferCall {
                    to: a.address,
                    value: starting_lpt(),
                },
                U256::ZERO,
            )?;
            chain.send(
                a.address,
                p.token,
                &LivepeerToken::approveCall {
                    spender: p.bonding_manager,
                    value: U256::MAX,
                },
                U256::ZERO,
            )?;
        }
        for o in &orchestrators {
            chain.send(
                o.address,
                p.bonding_manager,
                &BondingManager::bondCall {
                    amount: starting_self_bond(),
                    to: o.address,
                },
                U256::ZERO,
            )?;
            register(&mut chain, &p, o)?;
        }
        for s in &senders {
            chain.send(
                s.address,
                p.broker,
                &TicketBroker::fundDepositAndReserveCall {
                    depositAmount: tokens(1),
                    reserveAmount: tokens(2),
                },
                tokens(3),
            )?;
        }
        next_round(&mut chain, &p)?;
        if let Some((v, code)) = &variant {
            // From a fresh account, so that a replaying forge test gets the same address.
            let installer = Address::repeat_byte(0x5e);
            let mut init = code.implementation.to_vec();
            init.extend_from_slice(p.controller.into_word().as_slice());
            if let Some(admin_code) = &code.admin {
                // Deployed first and passed to the implementation: `constructor(controller, admin)`.
                let mut admin_init = admin_code.to_vec();
                admin_init.extend_from_slice(p.controller.into_word().as_slice());
                let admin = chain.create(installer, admin_init.into())?;
                init.extend_from_slice(admin.into_word().as_slice());
            }
            let implementation = chain.create(installer, init.into())?;
            chain.send(
                g,
                p.controller,
                &Controller::upgradeProxyCall {
                    proxy: (v.proxy)(&p),
                    implementation,
                    data: Bytes::new(),
                },
                U256::ZERO,
            )?;
        }
        crate::batch::install(&mut chain);
        let start = chain.snapshot();
        Ok(Self {
            protocol: p,
            governance,
            orchestrators,
            delegators,
            senders,
            challengers,
            start,
            genesis_supply: cfg.genesis_supply,
            variant: variant.map(|(v, _)| v),
        })
    }

    /// A chain in the starting state.
    pub fn chain(&self) -> Chain {
        let mut chain = Chain::new();
        chain.restore(&self.start);
        chain.record(false);
        chain
    }

    /// A chain in the starting state that keeps recording: its journal starts with everything
    /// that built the world (for writing a failing sequence out as a forge test).
    pub fn recording_chain(&self) -> Chain {
        let mut chain = Chain::new();
        chain.restore(&self.start);
        chain
    }

    /// Every actor that holds ETH or LPT, governance first.
    pub fn all_actors(&self) -> impl Iterator<Item = &Actor> {
        std::iter::once(&self.governance)
            .chain(&self.orchestrators)
            .chain(&self.delegators)
            .chain(&self.senders)
            .chain(&self.challengers)
    }

    /// Orchestrators and delegators: the accounts that stake.
    pub fn stakers(&self) -> impl Iterator<Item = &Actor> {
        self.orchestrators.iter().chain(&self.delegators)
    }

    /// The name of an address, for printing.
    pub fn name_of(&self, a: Address) -> String {
        self.all_actors()
            .find(|x| x.address == a)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| a.to_string())
    }
}

/// Registers `o` in the ServiceRegistry with the committee-checked service.
pub fn register(chain: &mut Chain, p: &Protocol, o: &Actor) -> Result<()> {
    chain.send(
        o.address,
        p.service_registry,
        &ServiceRegistry::registerCall {
            serviceURI_: format!("https://{}.example", o.name),
            regions: vec![region()],
            services: vec![IServiceRegistry::Service {
                id: service_id(),
                verifier: Address::ZERO,
            }],
        },
        U256::ZERO,
    )?;
    Ok(())
}

/// Rolls to the first block of the next round and initializes it.
pub fn next_round(chain: &mut Chain, p: &Protocol) -> Result<()> {
    let start = chain.view(p.rounds, &RoundsManager::currentRoundStartBlockCall {})?;
    let len = chain.view(p.rounds, &RoundsManager::roundLengthCall {})?;
    chain.set_block((start + len).saturating_to());
    match chain.send(
        Address::repeat_byte(0x11),
        p.rounds,
        &RoundsManager::initializeRoundCall {},
        U256::ZERO,
    ) {
        Ok(_) | Err(ChainError::Reverted(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
