//! The stateful harness: actions of every actor on the real bytecode, a reference model of balances
//! and stakes in Rust, and the comparison of the two after every step.
//!
//! Each [`Action`] names actors and amounts by small indices (like a forge handler's seeds), so that
//! proptest can shrink a failing sequence to a few readable steps. [`Harness::step`] runs the action
//! on the chain, applies its effects to the [`Model`] (from the action's own amounts, and from the
//! contracts' events where the amount is the contract's to decide, e.g. a reward), then
//! [`Harness::check`] compares the model with the contracts' views.

use std::collections::{BTreeMap, BTreeSet};

use alloy::{
    primitives::{Address, B256, Bytes, Log, U256},
    sol_types::{SolCall, SolEvent},
};
use streamflow_bindings::contracts::{
    BondingManager, LivepeerToken, RoundsManager, TicketBroker,
    committee_verifier::CommitteeVerifier,
    fault_verifier::{FaultVerifier, SegmentReceipt},
};

use alloy::primitives::keccak256;
use streamflow_protocol::{SignedTicket, Ticket, Validator, ticket::recipient_rand_hash};

use crate::{
    chain::{Chain, ChainError},
    view::ChainView,
    world::{self, Actor, World, service_id, tokens},
};

/// One step of a sequence. Indices wrap around the actor lists; amounts are in thousandths of an
/// ETH (`milli`) or whole LPT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A sender funds its own deposit and reserve.
    Fund {
        /// Sender index.
        sender: u8,
        /// Deposit, milli-ETH.
        deposit_milli: u32,
        /// Reserve, milli-ETH.
        reserve_milli: u32,
    },
    /// A sender funds another sender's deposit and reserve.
    FundFor {
        /// Paying sender index.
        funder: u8,
        /// Funded sender index.
        sender: u8,
        /// Deposit, milli-ETH.
        deposit_milli: u32,
        /// Reserve, milli-ETH.
        reserve_milli: u32,
    },
    /// A sender starts its unlock period.
    Unlock {
        /// Sender index.
        sender: u8,
    },
    /// A sender cancels its unlock.
    CancelUnlock {
        /// Sender index.
        sender: u8,
    },
    /// A sender withdraws its deposit and reserve.
    Withdraw {
        /// Sender index.
        sender: u8,
    },
    /// A sender signs a ticket for an orchestrator (nothing on chain: it joins the pool of issued
    /// tickets that redemptions pick from).
    Issue {
        /// Sender index.
        sender: u8,
        /// Recipient (orchestrator index).
        orch: u8,
        /// Face value, milli-ETH.
        face_milli: u32,
        /// Whether it wins for sure (`winProb = 2²⁵⁶−1`) or is a long shot (`winProb = 2²⁵⁰`).
        sure: bool,
    },
    /// The recipient of an issued ticket redeems it alone.
    Redeem {
        /// Pool index (wraps).
        pick: u16,
    },
    /// An orchestrator redeems up to `n` issued tickets (its own or not, duplicates allowed) in
    /// one batch.
    RedeemBatch {
        /// Orchestrator index.
        orch: u8,
        /// First pool index (wraps).
        pick: u16,
        /// Tickets in the batch.
        n: u8,
    },
    /// An orchestrator mints its round's reward.
    Reward {
        /// Orchestrator index.
        orch: u8,
    },
    /// An orchestrator announces new cuts.
    AnnounceCuts {
        /// Orchestrator index.
        orch: u8,
        /// Reward cut, ppm.
        reward_cut: u32,
        /// Fee share, ppm.
        fee_share: u32,
    },
    /// An orchestrator (re-)registers its service URI, region and service.
    RegisterServices {
        /// Orchestrator index.
        orch: u8,
    },
    /// A staker (orchestrators first, then delegators) bonds LPT to an orchestrator.
    Bond {
        /// Staker index.
        who: u8,
        /// Orchestrator index.
        to: u8,
        /// Whole LPT.
        lpt: u32,
    },
    /// A staker bonds LPT on behalf of another staker (to its current delegate).
    BondFor {
        /// Paying staker index.
        payer: u8,
        /// Owner staker index.
        owner: u8,
        /// Whole LPT.
        lpt: u32,
    },
    /// A staker unbonds a percentage of its stake into a lock.
    Unbond {
        /// Staker index.
        who: u8,
        /// Percent of its stake (1–100).
        pct: u8,
    },
    /// A staker rebonds one of its open locks.
    Rebond {
        /// Staker index.
        who: u8,
        /// Lock index among its open locks (wraps).
        pick: u8,
    },
    /// A staker withdraws one of its open locks.
    WithdrawStake {
        /// Staker index.
        who: u8,
        /// Lock index among its open locks (wraps).
        pick: u8,
    },
    /// A staker moves its stake to another orchestrator.
    Redelegate {
        /// Staker index.
        who: u8,
        /// Orchestrator index.
        to: u8,
    },
    /// A staker claims its earnings.
    Claim {
        /// Staker index.
        who: u8,
    },
    /// A staker withdraws a percentage of its booked fees to itself.
    WithdrawFees {
        /// Staker index.
        who: u8,
        /// Percent (1–100).
        pct: u8,
    },
    /// Blocks pass inside the round (or past its end, uninitialized).
    Roll {
        /// Blocks.
        blocks: u16,
    },
    /// The next round starts and is initialized.
    NextRound,
    /// A challenger challenges a receipt an orchestrator signed.
    OpenChallenge {
        /// Orchestrator index.
        orch: u8,
        /// Challenger index.
        challenger: u8,
        /// Segment number (a repeated one is a second challenge of the same segment).
        seq: u8,
    },
    /// The committee (governance, its sole member) signs a verdict on a challenge.
    Verdict {
        /// Challenge index (wraps).
        pick: u8,
        /// Fault or no fault.
        fault: bool,
    },
    /// Anyone resolves a challenge (a fault slashes the orchestrator).
    Resolve {
        /// Challenge index (wraps).
        pick: u8,
    },
    /// A challenger or orchestrator withdraws its FaultVerifier credit.
    ClaimCredit {
        /// Index over challengers then orchestrators (wraps).
        who: u8,
    },
    /// Governance sets the broker's unlock period.
    SetUnlockPeriod {
        /// Rounds.
        rounds: u8,
    },
    /// Governance sets the tickets' validity period.
    SetTicketValidity {
        /// Rounds.
        rounds: u8,
    },
    /// Governance sets the round length (from the next round).
    SetRoundLength {
        /// Blocks.
        blocks: u16,
    },
    /// Governance sets the minimum active stake.
    SetMinActiveStake {
        /// Whole LPT.
        lpt: u32,
    },
}

/// A ticket a sender signed during the sequence.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The packed ticket (257 bytes).
    pub packed: Bytes,
    /// Its EIP-712 digest (the broker's used-set key).
    pub digest: B256,
    /// Sender.
    pub sender: Address,
    /// Recipient.
    pub recipient: Address,
    /// Creation round.
    pub creation_round: u64,
    /// Face value, wei.
    pub face: U256,
}

/// A sender's funds in the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SenderFunds {
    /// Deposit, wei.
    pub deposit: U256,
    /// Reserve, wei.
    pub reserve: U256,
    /// Round from which it may withdraw (0: locked).
    pub withdraw_round: u64,
}

/// The reference model: what every balance and stake must be, computed in Rust.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// ETH of every actor and protocol contract.
    pub eth: BTreeMap<Address, U256>,
    /// Liquid LPT of every actor.
    pub lpt: BTreeMap<Address, U256>,
    /// LPT held by the BondingManager (pools and locks).
    pub bonded_lpt: U256,
    /// LPT total supply.
    pub supply: U256,
    /// Senders' funds.
    pub senders: BTreeMap<Address, SenderFunds>,
    /// Each pool's total stake.
    pub pools: BTreeMap<Address, U256>,
    /// Open locks: (delegator, lock id) → (orchestrator, amount).
    pub locks: BTreeMap<(Address, U256), (Address, U256)>,
    /// Tickets issued.
    pub issued: Vec<Issued>,
    /// Digests redeemed.
    pub used: BTreeSet<B256>,
    /// Σ face value of redeemed tickets (fees credited to orchestrators' pools).
    pub fees_credited: U256,
    /// Σ fees paid out to stakers.
    pub fees_withdrawn: U256,
    /// Reserve at a sender's first claim of a round: (sender, round) → reserve.
    pub reserve_snapshots: BTreeMap<(Address, u64), U256>,
    /// Reserve claimed: (sender, recipient, round) → wei.
    pub reserve_claimed: BTreeMap<(Address, Address, u64), U256>,
    /// Challenges opened.
    pub challenges: Vec<U256>,
    /// Σ LPT slashed, Σ paid to finders, Σ burned.
    pub slashed: U256,
    /// Σ LPT paid to finders.
    pub finder_paid: U256,
    /// Σ LPT burned by slashes.
    pub burned: U256,
    /// Ticket nonce.
    pub nonce: u32,
}

/// What went wrong: the property, what the contracts say, what the model says, and the view that
/// shows it (for the generated forge test).
#[derive(Clone, Debug)]
pub struct Violation {
    /// The property.
    pub property: &'static str,
    /// Human-readable detail.
    pub detail: String,
    /// How a forge test re-checks it.
    pub check: ForgeCheck,
}

/// A check a generated forge test can make after replaying the sequence.
#[derive(Clone, Debug)]
pub enum ForgeCheck {
    /// `uint256` returned by `target.staticcall(data)` (first word) equals `want`.
    ViewEq {
        /// Contract.
        target: Address,
        /// Calldata.
        data: Bytes,
        /// Expected value.
        want: U256,
    },
    /// The ETH balance of `who` equals `want`.
    BalanceEq {
        /// Account.
        who: Address,
        /// Expected value.
        want: U256,
    },
    /// The last call of the replay must have reverted (it succeeded on the chain).
    LastCallReverts,
    /// A relation the test states in a comment only (checked by the harness).
    Note,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.property, self.detail)
    }
}

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

fn violation(property: &'static str, detail: String, check: ForgeCheck) -> Violation {
    Violation {
        property,
        detail,
        check,
    }
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

    fn add(map: &mut BTreeMap<Address, U256>, who: Address, v: U256) {
        let e = map.entry(who).or_default();
        *e += v;
    }

    fn sub(map: &mut BTreeMap<Address, U256>, who: Address, v: U256) -> Step {
        let e = map.entry(who).or_default();
        if *e < v {
            return Err(violation(
                "conservation",
                format!("{who} would go below zero ({} < {v})", *e),
                ForgeCheck::Note,
            ));
        }
        *e -= v;
        Ok(())
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

    /// Runs one action and updates the model; returns a violation found while applying it.
    pub fn step(&mut self, action: &Action) -> Step {
        self.counters.steps += 1;
        let p = self.world.protocol;
        let ok = match *action {
            Action::Fund {
                sender,
                deposit_milli,
                reserve_milli,
            } => {
                let s = self.sender(sender).address;
                self.fund(s, s, milli(deposit_milli), milli(reserve_milli))?
            }
            Action::FundFor {
                funder,
                sender,
                deposit_milli,
                reserve_milli,
            } => {
                let f = self.sender(funder).address;
                let s = self.sender(sender).address;
                self.fund(f, s, milli(deposit_milli), milli(reserve_milli))?
            }
            Action::Unlock { sender } => {
                let s = self.sender(sender).address;
                let r = self.current_round();
                let period: u64 = self
                    .chain
                    .view(p.broker, &TicketBroker::unlockPeriodCall {})
                    .map(|x| x.saturating_to())
                    .unwrap_or_default();
                let res = self.send(s, p.broker, &TicketBroker::unlockCall {}, U256::ZERO);
                if res.is_ok() {
                    self.model.senders.entry(s).or_default().withdraw_round = r + period;
                }
                res.is_ok()
            }
            Action::CancelUnlock { sender } => {
                let s = self.sender(sender).address;
                let res = self.send(s, p.broker, &TicketBroker::cancelUnlockCall {}, U256::ZERO);
                if res.is_ok() {
                    self.model.senders.entry(s).or_default().withdraw_round = 0;
                }
                res.is_ok()
            }
            Action::Withdraw { sender } => self.withdraw(self.sender(sender).address)?,
            Action::Issue { .. } | Action::Redeem { .. } | Action::RedeemBatch { .. } => {
                self.tickets(action)?
            }
            Action::Reward { orch } => {
                let o = self.orch(orch).address;
                match self.send(
                    o,
                    p.bonding_manager,
                    &BondingManager::rewardCall {},
                    U256::ZERO,
                ) {
                    Ok(logs) => {
                        self.absorb(&logs)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::AnnounceCuts {
                orch,
                reward_cut,
                fee_share,
            } => {
                let o = self.orch(orch).address;
                let call = BondingManager::announceCutsCall {
                    _0: U256::from(reward_cut % 1_100_000),
                    _1: U256::from(fee_share % 1_100_000),
                };
                self.plain(o, p.bonding_manager, &call)?
            }
            Action::RegisterServices { orch } => {
                let o = self.orch(orch);
                world::register(&mut self.chain, &p, o).is_ok()
            }
            Action::Bond { who, to, lpt } => {
                let d = self.staker(who).address;
                let o = self.orch(to).address;
                let amount = tokens(u64::from(lpt % 5000) + 1);
                self.bond(d, d, amount, &BondingManager::bondCall { amount, to: o })?
            }
            Action::BondFor { payer, owner, lpt } => {
                let payer = self.staker(payer).address;
                let owner = self.staker(owner).address;
                let amount = tokens(u64::from(lpt % 5000) + 1);
                self.bond(
                    payer,
                    owner,
                    amount,
                    &BondingManager::bondForCall { amount, owner },
                )?
            }
            Action::Unbond { who, pct } => {
                let d = self.staker(who).address;
                let stake = self
                    .chain
                    .view(
                        p.bonding_manager,
                        &BondingManager::delegatorInfoCall { delegator: d },
                    )
                    .map(|i| i.stake)
                    .unwrap_or_default();
                let amount = ratio(stake, pct).max(U256::from(1));
                self.plain(d, p.bonding_manager, &BondingManager::unbondCall { amount })?
            }
            Action::Rebond { who, pick } => {
                let d = self.staker(who).address;
                match self.pick_lock(d, pick) {
                    Some(lock_id) => self.plain(
                        d,
                        p.bonding_manager,
                        &BondingManager::rebondCall { lockId: lock_id },
                    )?,
                    None => false,
                }
            }
            Action::WithdrawStake { who, pick } => {
                let d = self.staker(who).address;
                match self.pick_lock(d, pick) {
                    Some(lock_id) => self.plain(
                        d,
                        p.bonding_manager,
                        &BondingManager::withdrawStakeCall { lockId: lock_id },
                    )?,
                    None => false,
                }
            }
            Action::Redelegate { who, to } => {
                let d = self.staker(who).address;
                let o = self.orch(to).address;
                self.plain(
                    d,
                    p.bonding_manager,
                    &BondingManager::redelegateCall { to: o },
                )?
            }
            Action::Claim { who } => {
                let d = self.staker(who).address;
                self.plain(d, p.bonding_manager, &BondingManager::claimEarningsCall {})?
            }
            Action::WithdrawFees { who, pct } => {
                let d = self.staker(who).address;
                let fees = self
                    .chain
                    .view(
                        p.bonding_manager,
                        &BondingManager::delegatorInfoCall { delegator: d },
                    )
                    .map(|i| i.fees)
                    .unwrap_or_default();
                let amount = ratio(fees, pct).max(U256::from(1));
                let call = BondingManager::withdrawFeesCall { to: d, amount };
                match self.send(d, p.bonding_manager, &call, U256::ZERO) {
                    Ok(logs) => {
                        Self::add(&mut self.model.eth, d, amount);
                        Self::sub(&mut self.model.eth, p.broker, amount)?;
                        self.model.fees_withdrawn += amount;
                        self.absorb(&logs)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::Roll { blocks } => {
                self.chain.roll(u64::from(blocks % 120) + 1);
                true
            }
            Action::NextRound => world::next_round(&mut self.chain, &p).is_ok(),
            Action::OpenChallenge {
                orch,
                challenger,
                seq,
            } => self.open_challenge(orch, challenger, seq)?,
            Action::Verdict { pick, fault } => {
                let Some(&id) = self
                    .model
                    .challenges
                    .get(usize::from(pick) % self.model.challenges.len().max(1))
                else {
                    return Ok(());
                };
                let digest = self
                    .chain
                    .view(
                        p.committee,
                        &CommitteeVerifier::verdictDigestCall {
                            challengeId: id,
                            fault,
                        },
                    )
                    .unwrap_or_default();
                let sig = self.world.governance.sign_digest(&digest);
                let call = CommitteeVerifier::submitVerdictCall {
                    challengeId: id,
                    fault,
                    signatures: vec![sig],
                };
                let g = self.world.governance.address;
                self.plain(g, p.committee, &call)?
            }
            Action::Resolve { pick } => {
                let Some(&id) = self
                    .model
                    .challenges
                    .get(usize::from(pick) % self.model.challenges.len().max(1))
                else {
                    return Ok(());
                };
                let call = FaultVerifier::resolveCall { challengeId: id };
                self.plain(Address::repeat_byte(0x22), p.fault_verifier, &call)?
            }
            Action::ClaimCredit { who } => {
                let w = self.world.challengers.len() + self.world.orchestrators.len();
                let i = usize::from(who) % w;
                let a = self
                    .world
                    .challengers
                    .get(i)
                    .unwrap_or_else(|| &self.world.orchestrators[i - self.world.challengers.len()])
                    .address;
                let credit = self
                    .chain
                    .view(
                        p.fault_verifier,
                        &FaultVerifier::creditOfCall { account: a },
                    )
                    .unwrap_or_default();
                match self.send(
                    a,
                    p.fault_verifier,
                    &FaultVerifier::withdrawCall {},
                    U256::ZERO,
                ) {
                    Ok(_) => {
                        Self::add(&mut self.model.eth, a, credit);
                        Self::sub(&mut self.model.eth, p.fault_verifier, credit)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::SetUnlockPeriod { rounds } => {
                let call = TicketBroker::setUnlockPeriodCall {
                    period: U256::from(rounds % 8),
                };
                self.plain(self.world.governance.address, p.broker, &call)?
            }
            Action::SetTicketValidity { rounds } => {
                let call = TicketBroker::setTicketValidityPeriodCall {
                    period: U256::from(rounds % 8),
                };
                self.plain(self.world.governance.address, p.broker, &call)?
            }
            Action::SetRoundLength { blocks } => {
                let call = RoundsManager::setRoundLengthCall {
                    newRoundLength: U256::from(blocks % 100),
                };
                self.plain(self.world.governance.address, p.rounds, &call)?
            }
            Action::SetMinActiveStake { lpt } => {
                let call =
                    BondingManager::setMinActiveStakeCall::new((tokens(u64::from(lpt % 10_000)),));
                self.plain(self.world.governance.address, p.bonding_manager, &call)?
            }
        };
        if ok {
            self.counters.succeeded += 1;
        }
        Ok(())
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

    fn fund(
        &mut self,
        funder: Address,
        sender: Address,
        dep: U256,
        res: U256,
    ) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let value = dep + res;
        let res_call = if funder == sender {
            self.send(
                funder,
                p.broker,
                &TicketBroker::fundDepositAndReserveCall {
                    depositAmount: dep,
                    reserveAmount: res,
                },
                value,
            )
        } else {
            self.send(
                funder,
                p.broker,
                &TicketBroker::fundDepositAndReserveForCall {
                    sender,
                    depositAmount: dep,
                    reserveAmount: res,
                },
                value,
            )
        };
        if res_call.is_err() {
            if value != U256::ZERO {
                return Err(violation(
                    "funding",
                    format!("funding {dep} + {res} wei of {sender} by {funder} reverted"),
                    ForgeCheck::Note,
                ));
            }
            return Ok(false);
        }
        Self::sub(&mut self.model.eth, funder, value)?;
        Self::add(&mut self.model.eth, p.broker, value);
        let s = self.model.senders.entry(sender).or_default();
        s.deposit += dep;
        s.reserve += res;
        Ok(true)
    }

    fn withdraw(&mut self, s: Address) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let r = self.current_round();
        let validity: u64 = self
            .chain
            .view(p.broker, &TicketBroker::ticketValidityPeriodCall {})
            .map(|x| x.saturating_to())
            .unwrap_or_default();
        if self
            .send(s, p.broker, &TicketBroker::withdrawCall {}, U256::ZERO)
            .is_err()
        {
            return Ok(false);
        }
        let funds = self.model.senders.entry(s).or_default();
        let paid = funds.deposit + funds.reserve;
        funds.deposit = U256::ZERO;
        funds.reserve = U256::ZERO;
        if funds.withdraw_round == 0 || r < funds.withdraw_round {
            return Err(violation(
                "withdrawal only after the unlock period",
                format!(
                    "{} withdrew in round {r} (model withdraw round {})",
                    self.world.name_of(s),
                    funds.withdraw_round
                ),
                ForgeCheck::LastCallReverts,
            ));
        }
        Self::add(&mut self.model.eth, s, paid);
        Self::sub(&mut self.model.eth, p.broker, paid)?;
        if let Some(t) = self.model.issued.iter().find(|t| {
            t.sender == s && !self.model.used.contains(&t.digest) && r < t.creation_round + validity
        }) {
            return Err(violation(
                "no withdrawal while own tickets are live",
                format!(
                    "{} withdrew in round {r} while its ticket of round {} (validity {validity}) was unredeemed",
                    self.world.name_of(s),
                    t.creation_round
                ),
                ForgeCheck::LastCallReverts,
            ));
        }
        Ok(true)
    }

    fn bond<C: SolCall>(
        &mut self,
        payer: Address,
        _owner: Address,
        amount: U256,
        call: &C,
    ) -> Result<bool, Violation> {
        let p = self.world.protocol;
        match self.send(payer, p.bonding_manager, call, U256::ZERO) {
            Ok(logs) => {
                Self::sub(&mut self.model.lpt, payer, amount)?;
                self.model.bonded_lpt += amount;
                self.absorb(&logs)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn pick_lock(&self, d: Address, pick: u8) -> Option<U256> {
        let ids: Vec<U256> = self
            .model
            .locks
            .keys()
            .filter(|(who, _)| *who == d)
            .map(|(_, id)| *id)
            .collect();
        ids.get(usize::from(pick) % ids.len().max(1)).copied()
    }

    fn open_challenge(&mut self, orch: u8, challenger: u8, seq: u8) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let o = self.orch(orch);
        let c = &self.world.challengers[usize::from(challenger) % self.world.challengers.len()];
        let round = self.current_round();
        let receipt = SegmentReceipt::Receipt {
            broadcaster: self.world.senders[0].address,
            orchestrator: o.address,
            streamId: alloy::primitives::keccak256("stream"),
            seqNo: U256::from(seq % 8),
            inputHash: alloy::primitives::keccak256([seq]),
            serviceId: service_id(),
            renditions: vec![SegmentReceipt::Rendition {
                profile: alloy::primitives::keccak256("720p"),
                outputHash: alloy::primitives::keccak256([seq, 1]),
                pixels: 1280 * 720 * 60,
            }],
            ticket: SegmentReceipt::TicketParams {
                faceValue: tokens(1),
                winProb: U256::MAX >> 7,
                senderNonce: U256::from(seq),
                recipientRandHash: alloy::primitives::keccak256("rand"),
                creationRound: U256::from(round),
            },
        };
        let digest = self
            .chain
            .view(
                p.fault_verifier,
                &FaultVerifier::receiptDigestCall {
                    receipt: receipt.clone(),
                },
            )
            .unwrap_or_default();
        let signature = o.sign_digest(&digest);
        let bond = self
            .chain
            .view(p.fault_verifier, &FaultVerifier::paramsCall {})
            .map(|x| U256::from(x.challengeBond))
            .unwrap_or_default();
        let call = FaultVerifier::openChallengeCall {
            receipt,
            signature,
            evidence: Bytes::new(),
        };
        match self.chain.send(c.address, p.fault_verifier, &call, bond) {
            Ok(r) => {
                self.model.challenges.push(r.ret);
                Self::sub(&mut self.model.eth, c.address, bond)?;
                Self::add(&mut self.model.eth, p.fault_verifier, bond);
                self.absorb(&r.logs)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Applies what the contracts' events say moved (stake flows, rewards, slashes, redemptions),
    /// checking each against the rules as it goes.
    fn absorb(&mut self, logs: &[Log]) -> Step {
        let p = self.world.protocol;
        for (i, log) in logs.iter().enumerate() {
            let Some(topic) = log.topics().first() else {
                continue;
            };
            if log.address == p.bonding_manager {
                if *topic == BondingManager::Bonded::SIGNATURE_HASH {
                    let e = BondingManager::Bonded::decode_log_data(&log.data).map_err(decode)?;
                    Self::add(&mut self.model.pools, e.orchestrator, e.amount);
                } else if *topic == BondingManager::Unbonded::SIGNATURE_HASH {
                    let e = BondingManager::Unbonded::decode_log_data(&log.data).map_err(decode)?;
                    Self::sub(&mut self.model.pools, e.orchestrator, e.amount)?;
                    self.model
                        .locks
                        .insert((e.delegator, e.lockId), (e.orchestrator, e.amount));
                } else if *topic == BondingManager::Rebonded::SIGNATURE_HASH {
                    let e = BondingManager::Rebonded::decode_log_data(&log.data).map_err(decode)?;
                    let lock = self.model.locks.remove(&(e.delegator, e.lockId));
                    let locked = lock.map(|l| l.1).unwrap_or_default();
                    if locked != e.amount {
                        return Err(violation(
                            "rebond returns the lock",
                            format!("lock {} held {locked}, rebonded {}", e.lockId, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    Self::add(&mut self.model.pools, e.orchestrator, e.amount);
                } else if *topic == BondingManager::StakeWithdrawn::SIGNATURE_HASH {
                    let e = BondingManager::StakeWithdrawn::decode_log_data(&log.data)
                        .map_err(decode)?;
                    let lock = self.model.locks.remove(&(e.delegator, e.lockId));
                    let locked = lock.map(|l| l.1).unwrap_or_default();
                    if e.amount > locked {
                        return Err(violation(
                            "withdrawal within the lock",
                            format!("lock {} held {locked}, withdrew {}", e.lockId, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    Self::add(&mut self.model.lpt, e.delegator, e.amount);
                    if self.model.bonded_lpt < e.amount {
                        return Err(violation(
                            "conservation",
                            "bonded LPT below zero".into(),
                            ForgeCheck::Note,
                        ));
                    }
                    self.model.bonded_lpt -= e.amount;
                } else if *topic == BondingManager::Redelegated::SIGNATURE_HASH {
                    let e =
                        BondingManager::Redelegated::decode_log_data(&log.data).map_err(decode)?;
                    Self::sub(&mut self.model.pools, e.from, e.amount)?;
                    Self::add(&mut self.model.pools, e.to, e.amount);
                } else if *topic == BondingManager::Reward::SIGNATURE_HASH {
                    let e = BondingManager::Reward::decode_log_data(&log.data).map_err(decode)?;
                    Self::add(&mut self.model.pools, e.orchestrator, e.amount);
                    self.model.supply += e.amount;
                    self.model.bonded_lpt += e.amount;
                } else if *topic == BondingManager::Slashed::SIGNATURE_HASH {
                    let e = BondingManager::Slashed::decode_log_data(&log.data).map_err(decode)?;
                    self.counters.slashes += 1;
                    if e.finderFee > e.penalty {
                        return Err(violation(
                            "slashed = paid + burned",
                            format!("finder fee {} above penalty {}", e.finderFee, e.penalty),
                            ForgeCheck::Note,
                        ));
                    }
                    let burned = e.penalty - e.finderFee;
                    self.model.slashed += e.penalty;
                    self.model.finder_paid += e.finderFee;
                    self.model.burned += burned;
                    self.model.supply -= burned.min(self.model.supply);
                    self.model.bonded_lpt -= e.penalty.min(self.model.bonded_lpt);
                    Self::add(&mut self.model.lpt, e.finder, e.finderFee);
                    // How the penalty splits between the pool and its locks is the contract's rule:
                    // re-read them (the totals above stay computed).
                    self.resync_pool(e.orchestrator);
                }
            } else if log.address == p.broker {
                if *topic == TicketBroker::TicketRedeemed::SIGNATURE_HASH {
                    let e =
                        TicketBroker::TicketRedeemed::decode_log_data(&log.data).map_err(decode)?;
                    self.counters.redeemed += 1;
                    if !self.model.used.insert(e.ticketHash) {
                        return Err(violation(
                            "no double redemption",
                            format!("ticket {} redeemed twice", e.ticketHash),
                            ForgeCheck::LastCallReverts,
                        ));
                    }
                    self.model.fees_credited += e.faceValue;
                    let from_reserve = i
                        .checked_sub(1)
                        .and_then(|j| logs.get(j))
                        .filter(|l| {
                            l.address == p.broker
                                && l.topics().first()
                                    == Some(&TicketBroker::ReserveClaimed::SIGNATURE_HASH)
                        })
                        .is_some();
                    let funds = self.model.senders.entry(e.sender).or_default();
                    if !from_reserve {
                        if funds.deposit < e.faceValue {
                            return Err(violation(
                                "tickets are paid in full from funds",
                                format!(
                                    "deposit {} paid a ticket of {}",
                                    funds.deposit, e.faceValue
                                ),
                                ForgeCheck::LastCallReverts,
                            ));
                        }
                        funds.deposit -= e.faceValue;
                    }
                } else if *topic == TicketBroker::ReserveClaimed::SIGNATURE_HASH {
                    let e =
                        TicketBroker::ReserveClaimed::decode_log_data(&log.data).map_err(decode)?;
                    let round: u64 = e.round.saturating_to();
                    let funds = *self.model.senders.entry(e.sender).or_default();
                    let snap = *self
                        .model
                        .reserve_snapshots
                        .entry((e.sender, round))
                        .or_insert(funds.reserve);
                    let claimed = self
                        .model
                        .reserve_claimed
                        .entry((e.sender, e.recipient, round))
                        .or_default();
                    *claimed += e.amount;
                    let claimed = *claimed;
                    let stake = self
                        .chain
                        .view(
                            p.bonding_manager,
                            &BondingManager::activeStakeCall {
                                orchestrator: e.recipient,
                                round: e.round,
                            },
                        )
                        .unwrap_or_default();
                    let total = self
                        .chain
                        .view(
                            p.bonding_manager,
                            &BondingManager::totalActiveStakeCall { round: e.round },
                        )
                        .unwrap_or_default();
                    let allocation = if total.is_zero() {
                        U256::ZERO
                    } else {
                        snap * stake / total
                    };
                    self.counters.checks += 1;
                    if claimed > allocation {
                        return Err(violation(
                            "reserve claims within allocation",
                            format!(
                                "{} claimed {claimed} of {}'s reserve in round {round}; allocation {allocation} (reserve {snap} × {stake} / {total})",
                                self.world.name_of(e.recipient),
                                self.world.name_of(e.sender)
                            ),
                            ForgeCheck::ViewEq {
                                target: p.broker,
                                data: TicketBroker::claimedReserveCall {
                                    sender: e.sender,
                                    recipient: e.recipient,
                                    round: e.round,
                                }
                                .abi_encode()
                                .into(),
                                want: allocation,
                            },
                        ));
                    }
                    // the deposit is emptied first, the reserve pays the rest
                    let f = self.model.senders.entry(e.sender).or_default();
                    if f.reserve < e.amount {
                        return Err(violation(
                            "conservation",
                            format!("reserve {} paid {}", f.reserve, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    f.reserve -= e.amount;
                    f.deposit = U256::ZERO;
                }
            }
        }
        Ok(())
    }

    fn resync_pool(&mut self, o: Address) {
        let p = self.world.protocol;
        let total = self
            .chain
            .view(
                p.bonding_manager,
                &BondingManager::totalStakeOfCall { orchestrator: o },
            )
            .unwrap_or_default();
        self.model.pools.insert(o, total);
        let keys: Vec<(Address, U256)> = self
            .model
            .locks
            .iter()
            .filter(|(_, (orch, _))| *orch == o)
            .map(|(k, _)| *k)
            .collect();
        for (d, id) in keys {
            if let Ok(info) = self.chain.view(
                p.bonding_manager,
                &BondingManager::lockInfoCall {
                    delegator: d,
                    lockId: id,
                },
            ) {
                self.model.locks.insert((d, id), (o, info.amount));
            }
        }
    }
}

fn decode(e: alloy::sol_types::Error) -> Violation {
    violation("event decoding", e.to_string(), ForgeCheck::Note)
}

impl Harness<'_> {
    /// The broker's ticket rules from the protocol core.
    fn validator(&self) -> Validator {
        Validator::new(crate::chain::CHAIN_ID, self.world.protocol.broker)
    }

    /// Ticket actions: a locked sender signs (with the protocol core), recipients redeem singly
    /// (the Rust validation's verdict compared with the broker's) or in batches.
    fn tickets(&mut self, action: &Action) -> Result<bool, Violation> {
        let p = self.world.protocol;
        match *action {
            Action::Issue {
                sender,
                orch,
                face_milli,
                sure,
            } => {
                let s = self.sender(sender);
                let o = self.orch(orch);
                // Only locked senders get work (an orchestrator stops serving one that unlocked).
                if self
                    .model
                    .senders
                    .get(&s.address)
                    .is_some_and(|f| f.withdraw_round != 0)
                {
                    return Ok(false);
                }
                let Some(signer) = s.signer.as_ref() else {
                    return Ok(false);
                };
                let round = self.current_round();
                let block_hash = self
                    .chain
                    .view(
                        p.rounds,
                        &RoundsManager::blockHashForRoundCall {
                            round: U256::from(round),
                        },
                    )
                    .unwrap_or_default();
                self.model.nonce += 1;
                let nonce = self.model.nonce;
                let rand = U256::from_be_bytes(keccak256(nonce.to_be_bytes()).0);
                let face = u128::from(face_milli.max(1)) * 1_000_000_000_000_000;
                let ticket = Ticket {
                    recipient: o.address,
                    sender: s.address,
                    face_value: face,
                    win_prob: if sure {
                        U256::MAX
                    } else {
                        U256::from(1) << 250
                    },
                    sender_nonce: nonce,
                    recipient_rand_hash: recipient_rand_hash(&rand),
                    creation_round: u32::try_from(round).unwrap_or(u32::MAX),
                    creation_round_block_hash: block_hash,
                };
                let ds = self.validator().domain_separator();
                let signed = SignedTicket {
                    ticket,
                    recipient_rand: rand,
                    signature: Bytes::from(ticket.sign(&ds, signer).to_vec()),
                };
                if self.model.issued.len() >= MAX_POOL {
                    self.model.issued.remove(0);
                }
                self.model.issued.push(Issued {
                    packed: signed.pack().into(),
                    digest: ticket.digest(&ds),
                    sender: s.address,
                    recipient: o.address,
                    creation_round: round,
                    face: U256::from(face),
                });
                Ok(true)
            }
            Action::Redeem { pick } => {
                let Some(t) = self
                    .model
                    .issued
                    .get(usize::from(pick) % self.model.issued.len().max(1))
                    .cloned()
                else {
                    return Ok(false);
                };
                let validator = self.validator();
                let predicted = {
                    let view = ChainView::new(&mut self.chain, p);
                    validator.check_redemption_packed(&view, t.recipient, &t.packed)
                };
                let call = TicketBroker::redeemWinningTicketCall {
                    ticket: t.packed.clone(),
                };
                let actual = self.chain.send(t.recipient, p.broker, &call, U256::ZERO);
                self.counters.checks += 1;
                match (predicted, actual) {
                    (Ok(pay), Ok(r)) => {
                        let reserve_before = self
                            .model
                            .senders
                            .get(&t.sender)
                            .map(|f| f.reserve)
                            .unwrap_or_default();
                        self.absorb(&r.logs)?;
                        let reserve_after = self
                            .model
                            .senders
                            .get(&t.sender)
                            .map(|f| f.reserve)
                            .unwrap_or_default();
                        if reserve_before - reserve_after != pay.from_reserve {
                            return Err(violation(
                                "Rust validation = contract",
                                format!(
                                    "validation said {} from the reserve, the broker took {}",
                                    pay.from_reserve,
                                    reserve_before - reserve_after
                                ),
                                ForgeCheck::Note,
                            ));
                        }
                        Ok(true)
                    }
                    (Err(rej), Err(ChainError::Reverted(data)))
                        if data.as_ref() == rej.abi_encode().as_slice() =>
                    {
                        Ok(false)
                    }
                    (predicted, actual) => Err(violation(
                        "Rust validation = contract",
                        format!(
                            "ticket {} redeemed by {}: Rust says {:?}, the broker {}",
                            t.digest,
                            self.world.name_of(t.recipient),
                            predicted,
                            match &actual {
                                Ok(_) => "paid it".to_string(),
                                Err(e) => e.to_string(),
                            }
                        ),
                        if actual.is_ok() {
                            ForgeCheck::LastCallReverts
                        } else {
                            ForgeCheck::Note
                        },
                    )),
                }
            }
            Action::RedeemBatch { orch, pick, n } => {
                let o = self.orch(orch).address;
                let len = self.model.issued.len();
                if len == 0 {
                    return Ok(false);
                }
                let mut batch = Vec::new();
                for i in 0..usize::from(n.clamp(1, 6)) {
                    batch.extend_from_slice(
                        &self.model.issued[(usize::from(pick) + i * 7) % len].packed,
                    );
                }
                let call = TicketBroker::batchRedeemWinningTicketsCall {
                    tickets: batch.into(),
                };
                self.plain(o, p.broker, &call)
            }
            _ => Ok(false),
        }
    }
}

/// Most tickets kept in the pool redemptions pick from.
const MAX_POOL: usize = 48;
