//! The stateful harness: actions of every actor on the real bytecode, a reference model of balances
//! and stakes in Rust, and the comparison of the two after every step.
//!
//! Each [`Action`] names actors and amounts by small indices (like a forge handler's seeds), so that
//! proptest can shrink a failing sequence to a few readable steps. [`Harness::step`] runs the action
//! on the chain, applies its effects to the [`Model`] (from the action's own amounts, and from the
//! contracts' events where the amount is the contract's to decide, e.g. a reward), then
//! [`Harness::check`] compares the model with the contracts' views.
//!
//! Its parts, by concern: [`action`] (what a step does), [`model`] (the reference model, its
//! arithmetic and its fee ledger), `actions` (running each action and applying its amounts to the
//! model), `tickets` (signing and redeeming tickets, each redemption decided by the Rust validation
//! first), `events` (the model's rules for what the contracts' events say moved), `compare` (the
//! comparison with the contracts' views, asked in one transaction) and [`violation`] (what a broken
//! property reports).

use alloy::{
    primitives::{Address, Log, U256},
    sol_types::SolCall,
};
use streamflow_bindings::contracts::{LivepeerToken, RoundsManager};

use crate::{
    chain::{Chain, ChainError},
    world::{self, Actor, World, tokens},
};

pub mod action;
mod actions;
mod compare;
mod events;
pub mod model;
mod tickets;
pub mod violation;

pub use action::Action;
pub use model::{Issued, Model, SenderFunds};
use violation::violation;
pub use violation::{ForgeCheck, Violation};

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Steps run.
    pub steps: u64,
    /// Steps whose calls all succeeded.
    pub succeeded: u64,
    /// Individual comparisons made between the model and the contracts.
    pub checks: u64,
    /// Tickets redeemed.
    pub redeemed: u64,
    /// Slashes.
    pub slashes: u64,
    /// EVM transactions run (calls sent and views), the unit of cost of a step.
    pub evm_calls: u64,
    /// Time spent setting up cases (restoring the starting state, reading the model's start).
    pub setup_time: std::time::Duration,
    /// Time spent running actions and applying them to the model.
    pub action_time: std::time::Duration,
    /// Time spent comparing the model with the contracts.
    pub check_time: std::time::Duration,
}

impl Counters {
    /// Adds `other`'s counts and times to these.
    pub fn merge(&mut self, other: &Self) {
        self.steps += other.steps;
        self.succeeded += other.succeeded;
        self.checks += other.checks;
        self.redeemed += other.redeemed;
        self.slashes += other.slashes;
        self.evm_calls += other.evm_calls;
        self.setup_time += other.setup_time;
        self.action_time += other.action_time;
        self.check_time += other.check_time;
    }
}

/// The chain, the world and the model of one case.
pub struct Harness<'w> {
    /// The world (actors, addresses).
    pub world: &'w World,
    /// The chain.
    pub chain: Chain,
    /// The reference model.
    pub model: Model,
    /// Counters.
    pub counters: Counters,
}

type Step = Result<(), Violation>;

fn ratio(amount: U256, pct: u8) -> U256 {
    amount * U256::from(pct.clamp(1, 100)) / U256::from(100u8)
}

fn milli(m: u32) -> U256 {
    U256::from(m) * U256::from(10u64).pow(U256::from(15))
}

impl<'w> Harness<'w> {
    /// A case at the world's starting state; the model is read from it once (its starting point),
    /// then only ever computed.
    pub fn new(world: &'w World) -> Self {
        let started = std::time::Instant::now();
        let mut h = Self::on(world, world.chain());
        h.counters.setup_time = started.elapsed();
        h
    }

    /// Like [`Harness::new`], on a chain that records every operation (see [`Chain::journal`]).
    pub fn recording(world: &'w World) -> Self {
        Self::on(world, world.recording_chain())
    }

    fn on(world: &'w World, mut chain: Chain) -> Self {
        let started = std::time::Instant::now();
        let p = world.protocol;
        let mut model = Model {
            supply: world.genesis_supply,
            ..Model::default()
        };
        for a in world.all_actors() {
            model.eth.insert(a.address, chain.balance(a.address));
            let lpt = chain
                .view(
                    p.token,
                    &LivepeerToken::balanceOfCall { account: a.address },
                )
                .unwrap_or_default();
            model.lpt.insert(a.address, lpt);
        }
        for c in [p.broker, p.fault_verifier, p.bonding_manager] {
            model.eth.insert(c, chain.balance(c));
        }
        model.bonded_lpt = world::starting_self_bond() * U256::from(world.orchestrators.len());
        for o in &world.orchestrators {
            model.pools.insert(o.address, world::starting_self_bond());
        }
        for s in &world.senders {
            model.senders.insert(
                s.address,
                SenderFunds {
                    deposit: tokens(1),
                    reserve: tokens(2),
                    withdraw_round: 0,
                },
            );
        }
        let counters = Counters {
            setup_time: started.elapsed(),
            evm_calls: chain.transactions(),
            ..Counters::default()
        };
        Self {
            world,
            chain,
            model,
            counters,
        }
    }

    fn orch(&self, i: u8) -> &'w Actor {
        &self.world.orchestrators[usize::from(i) % self.world.orchestrators.len()]
    }

    fn sender(&self, i: u8) -> &'w Actor {
        &self.world.senders[usize::from(i) % self.world.senders.len()]
    }

    fn staker(&self, i: u8) -> &'w Actor {
        let n = self.world.orchestrators.len() + self.world.delegators.len();
        let i = usize::from(i) % n;
        self.world
            .orchestrators
            .get(i)
            .unwrap_or_else(|| &self.world.delegators[i - self.world.orchestrators.len()])
    }

    fn current_round(&mut self) -> u64 {
        self.chain
            .view(
                self.world.protocol.rounds,
                &RoundsManager::currentRoundCall {},
            )
            .map(|r| r.saturating_to())
            .unwrap_or_default()
    }

    fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Vec<Log>, ChainError> {
        let r = self.chain.send(from, to, call, value)?;
        Ok(r.logs)
    }

    /// Runs one action, then compares the model with the contracts — unless the action changed
    /// nothing (every call it made reverted): the EVM undid it and the model did not move, so the
    /// comparison would repeat the previous one.
    pub fn step_and_check(&mut self, action: &Action) -> Step {
        let before = self.counters.succeeded;
        let calls = self.chain.transactions();
        let started = std::time::Instant::now();
        let stepped = self.step(action);
        let stepped_at = std::time::Instant::now();
        self.counters.action_time += stepped_at - started;
        let checked = match stepped {
            Ok(()) if self.counters.succeeded != before => self.check(),
            other => other,
        };
        self.counters.check_time += stepped_at.elapsed();
        self.counters.evm_calls += self.chain.transactions() - calls;
        checked
    }

    /// A call whose effects the model takes from the events it emits.
    fn plain<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<bool, Violation> {
        match self.send(from, to, call, U256::ZERO) {
            Ok(logs) => {
                self.absorb(&logs)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }
}
