//! The reference model: what every balance, stake and sender's funds must be, computed in Rust from
//! the actions' own amounts and the contracts' events (read back from the chain only where the
//! contract alone decides a split, e.g. a slash between a pool and its locks).
//!
//! The model's fee ledger (fees credited by redemptions, paid out to stakers, still held by the
//! broker) is kept here and only here.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::{Address, B256, Bytes, U256};

use super::{ForgeCheck, Step, violation};

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

impl Model {
    /// A redeemed ticket's face value, credited to its recipient's pool.
    pub fn credit_fees(&mut self, face_value: U256) {
        self.fees_credited += face_value;
    }

    /// Fees the broker paid out to a staker (`to`): ETH moves from the broker to it.
    pub fn pay_fees(&mut self, to: Address, broker: Address, amount: U256) -> Step {
        add(&mut self.eth, to, amount);
        sub(&mut self.eth, broker, amount)?;
        self.fees_withdrawn += amount;
        Ok(())
    }

    /// Fees credited and not paid out: what the broker holds besides the senders' funds.
    pub fn fees_held(&self) -> U256 {
        self.fees_credited - self.fees_withdrawn.min(self.fees_credited)
    }

    /// Fees claimed ≤ credited: no more was paid out than redemptions credited.
    pub fn fees_paid_within_credits(&self) -> Step {
        if self.fees_withdrawn > self.fees_credited {
            return Err(violation(
                "fees claimed ≤ credited",
                format!(
                    "fees paid out {} exceed fees credited {}",
                    self.fees_withdrawn, self.fees_credited
                ),
                ForgeCheck::Note,
            ));
        }
        Ok(())
    }

    /// Fees claimed ≤ credited: the fees stakers have booked or pending (`booked`, the contracts'
    /// answer) plus those paid out never exceed what redemptions credited.
    pub fn fees_booked_within_credits(&self, booked: U256) -> Step {
        if booked + self.fees_withdrawn > self.fees_credited {
            return Err(violation(
                "fees claimed ≤ credited",
                format!(
                    "fees booked {booked} + withdrawn {} exceed fees credited {}",
                    self.fees_withdrawn, self.fees_credited
                ),
                ForgeCheck::Note,
            ));
        }
        Ok(())
    }
}

/// Adds `v` to `who`'s entry of `map`.
pub(super) fn add(map: &mut BTreeMap<Address, U256>, who: Address, v: U256) {
    let e = map.entry(who).or_default();
    *e += v;
}

/// Takes `v` from `who`'s entry of `map`; a violation if it would go below zero.
pub(super) fn sub(map: &mut BTreeMap<Address, U256>, who: Address, v: U256) -> Step {
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
