//! Validation of a received ticket with the TicketBroker's checks, in its order, with its errors.
//!
//! [`Validator::check_redemption`] answers what `redeemWinningTicket` would do with the ticket if
//! called by `caller` against the chain state `view` gives: the payment, or the custom error (with its
//! arguments) the broker would revert with. [`Validator::check_intake`] is what an orchestrator runs
//! on every ticket it receives: the same checks, with `caller` = itself, except that a losing ticket
//! is reported rather than refused (losing tickets are the normal payment) — everything else the
//! broker would refuse at redemption is refused at intake.
//!
//! # The order mirrored
//!
//! `Validator::check` holds the order, once, as `TicketBroker._redeem` on this repository's main
//! branch checks it (one numbered step per contract check):
//!
//! 1. `MalformedTicket` — fewer than 192 bytes (packed input only);
//! 2. `WrongRecipient` — the caller is not the ticket's recipient;
//! 3. `ZeroSender`;
//! 4. `InvalidRecipientRand` — `keccak256(recipientRand) ≠ recipientRandHash`;
//! 5. `FutureCreationRound` — creation round after the current round;
//! 6. `TicketExpired` — `current ≥ creationRound + ticketValidityPeriod`;
//! 7. `UnknownCreationRound` — no block hash recorded for the creation round (always so for round 0:
//!    the broker's one-entry round cache starts at round 0 with an empty hash);
//! 8. `CreationRoundBlockHashMismatch`;
//! 9. `TicketUsed` — the digest is in the used set;
//! 10. `CompactSignatureUnsupported`, `InvalidSignatureLength`, `SignatureHighS`, `InvalidSignatureV`
//!     ([`crate::ticket::recover_signer`]);
//! 11. `InvalidSignature` — recovers to someone other than the sender (the zero address when
//!     `ecrecover` fails);
//! 12. `TicketNotWinning` (reported, not refused, at intake);
//! 13. `RecipientNotActive` — the recipient was not active in the creation round;
//! 14. `SenderUnlocked` — the sender's unlock period is over (`withdrawRound ≠ 0` and
//!     `current ≥ withdrawRound`);
//! 15. `InsufficientFunds(deposit + remaining allocation, faceValue)` — the deposit, then the
//!     recipient's remaining allocation of the reserve, can't pay the face value.
//!
//! If the contract's order changes, this list and `Validator::check` change together.

use crate::rejection::Rejection;
use crate::ticket::{self, SignedTicket, UnpackError};
use alloy::primitives::{Address, B256, U256, U512};
use streamflow_bindings::contracts::TicketBroker::{self as tb, TicketBrokerErrors as E};

/// A sender's funds as the broker stores them (`getSender`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderFunds {
    /// Pays winning tickets first.
    pub deposit: U256,
    /// Pays what the deposit can't, within each recipient's allocation.
    pub reserve: U256,
    /// The round from which the sender may withdraw (zero when not unlocking).
    pub withdraw_round: u64,
}

/// The chain state a redemption reads. Implementations answer as of the block the ticket would be
/// redeemed in: a keeper from its synced copy of the chain, a test harness from its EVM.
pub trait BrokerView {
    /// The RoundsManager's current round.
    fn current_round(&self) -> u64;
    /// The broker's `ticketValidityPeriod`.
    fn ticket_validity_period(&self) -> u64;
    /// The RoundsManager's `blockHashForRound(round)` (zero if the round was never initialized).
    fn block_hash_for_round(&self, round: u64) -> B256;
    /// Whether the ticket with this digest was redeemed (`isUsedTicket`). An orchestrator may also
    /// answer `true` for tickets it has already accepted, to refuse replays of losing tickets.
    fn is_used(&self, ticket_hash: &B256) -> bool;
    /// Whether `recipient` was an active orchestrator in `round` (what the staking contract's
    /// `noteFees` answers the broker).
    fn is_active(&self, recipient: Address, round: u64) -> bool;
    /// The sender's deposit, reserve and withdraw round.
    fn sender(&self, sender: Address) -> SenderFunds;
    /// What `recipient` may still take from `sender`'s reserve in `round`
    /// (`remainingReserveAllocation`; see [`reserve_available`]). Asked only when the deposit is short.
    fn remaining_reserve_allocation(&self, sender: Address, recipient: Address, round: u64)
    -> U256;
}

/// `ReserveLib.available`: `min(base × stake / totalActiveStake − claimed, reserve)`, zero when the
/// claims reached the allocation, the total is zero or the stake exceeds it. `base` and
/// `total_active_stake` are the snapshot of the sender's first reserve claim of the round (the reserve
/// and total stake now, if there was none).
pub fn reserve_available(
    base: U256,
    stake: U256,
    total_active_stake: U256,
    claimed: U256,
    reserve: U256,
) -> U256 {
    if total_active_stake.is_zero() || stake > total_active_stake {
        return U256::ZERO;
    }
    // base < 2^112 and stake ≤ total, so the quotient fits; the product is taken in 512 bits as
    // `Math.mulDiv` does.
    let wide = |x: U256| U512::from_limbs_slice(x.as_limbs());
    let allocation = wide(base) * wide(stake) / wide(total_active_stake);
    let allocation = U256::checked_from_limbs_slice(allocation.as_limbs()).unwrap_or(U256::MAX);
    if allocation <= claimed {
        return U256::ZERO;
    }
    (allocation - claimed).min(reserve)
}

/// What a redemption pays, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// The ticket's digest (`ticketHash`), the key of the broker's used set.
    pub ticket_hash: B256,
    /// The face value, paid in full.
    pub face_value: U256,
    /// The part taken from the deposit.
    pub from_deposit: U256,
    /// The part taken from the reserve (recorded against the recipient's allocation in the current
    /// round).
    pub from_reserve: U256,
}

/// A ticket accepted at intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intake {
    /// Whether the ticket wins the draw: a winning ticket must be kept and redeemed before it expires.
    pub winning: bool,
    /// What redeeming it now would pay (if it wins).
    pub payment: Payment,
}

/// Whether the draw refuses a losing ticket (redemption) or reports it (intake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draw {
    Refuse,
    Report,
}

/// Checks tickets for one TicketBroker (its EIP-712 domain is computed once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validator {
    domain_separator: B256,
}

impl Validator {
    /// A validator for the TicketBroker proxy at `broker` on `chain_id`.
    pub fn new(chain_id: u64, broker: Address) -> Self {
        Self {
            domain_separator: ticket::broker_domain(chain_id, broker).separator(),
        }
    }

    /// The broker's domain separator (its `domainSeparator()`).
    pub fn domain_separator(&self) -> B256 {
        self.domain_separator
    }

    /// What `redeemWinningTicket(packed)` called by `caller` would do: the payment, or the broker's
    /// error. Reads the bytes as the broker does (a 192-byte header, the rest as the signature).
    pub fn check_redemption_packed(
        &self,
        view: &impl BrokerView,
        caller: Address,
        packed: &[u8],
    ) -> Result<Payment, Rejection> {
        let t = SignedTicket::unpack_any_signature(packed).map_err(|e| match e {
            UnpackError::TooShort { length }
            | UnpackError::WrongLength { length }
            | UnpackError::MalformedBatch { length } => {
                Rejection(E::MalformedTicket(tb::MalformedTicket {
                    length: U256::from(length),
                }))
            }
        })?;
        self.check_redemption(view, caller, &t)
    }

    /// What `redeemWinningTicket` called by `caller` would do with `t`: the payment, or the broker's
    /// error with its arguments.
    pub fn check_redemption(
        &self,
        view: &impl BrokerView,
        caller: Address,
        t: &SignedTicket,
    ) -> Result<Payment, Rejection> {
        self.check(view, caller, t, Draw::Refuse)
            .map(|intake| intake.payment)
    }

    /// The intake check of an orchestrator `me`: every redemption check with `me` as the caller
    /// (so a ticket for someone else is `WrongRecipient`), except that a losing ticket is accepted
    /// and reported as such. Funds are checked for losing tickets too: a sender that could not pay
    /// a winning ticket should not be served.
    pub fn check_intake(
        &self,
        view: &impl BrokerView,
        me: Address,
        t: &SignedTicket,
    ) -> Result<Intake, Rejection> {
        self.check(view, me, t, Draw::Report)
    }

    /// The broker's checks, in its order (see the module documentation).
    fn check(
        &self,
        view: &impl BrokerView,
        caller: Address,
        t: &SignedTicket,
        draw: Draw,
    ) -> Result<Intake, Rejection> {
        let tk = &t.ticket;
        // 2. Only the recipient redeems.
        if tk.recipient != caller {
            return Err(E::WrongRecipient(tb::WrongRecipient {
                recipient: tk.recipient,
                caller,
            })
            .into());
        }
        // 3.
        if tk.sender.is_zero() {
            return Err(E::ZeroSender(tb::ZeroSender {}).into());
        }
        // 4.
        if !t.rand_matches() {
            return Err(E::InvalidRecipientRand(tb::InvalidRecipientRand {
                recipientRandHash: tk.recipient_rand_hash,
            })
            .into());
        }
        // 5, 6. Rounds: not in the future, not expired.
        let creation_round = u64::from(tk.creation_round);
        let round = view.current_round();
        if creation_round > round {
            return Err(E::FutureCreationRound(tb::FutureCreationRound {
                creationRound: U256::from(creation_round),
                currentRound: U256::from(round),
            })
            .into());
        }
        if U256::from(round)
            >= U256::from(creation_round) + U256::from(view.ticket_validity_period())
        {
            return Err(E::TicketExpired(tb::TicketExpired {
                creationRound: U256::from(creation_round),
                currentRound: U256::from(round),
            })
            .into());
        }
        // 7, 8. The creation round's block hash. The broker's per-call cache starts as
        // (round 0, zero hash), so round 0 never finds a hash.
        let block_hash = if creation_round == 0 {
            B256::ZERO
        } else {
            view.block_hash_for_round(creation_round)
        };
        if block_hash.is_zero() {
            return Err(E::UnknownCreationRound(tb::UnknownCreationRound {
                creationRound: U256::from(creation_round),
            })
            .into());
        }
        if block_hash != tk.creation_round_block_hash {
            return Err(
                E::CreationRoundBlockHashMismatch(tb::CreationRoundBlockHashMismatch {
                    creationRound: U256::from(creation_round),
                    blockHash: tk.creation_round_block_hash,
                })
                .into(),
            );
        }
        // 9. Not redeemed before.
        let ticket_hash = tk.digest(&self.domain_separator);
        if view.is_used(&ticket_hash) {
            return Err(E::TicketUsed(tb::TicketUsed {
                ticketHash: ticket_hash,
            })
            .into());
        }
        // 10, 11. The signature: its encoding, then its signer.
        let signer = t.recover_signer(&ticket_hash)?;
        if signer != tk.sender {
            return Err(E::InvalidSignature(tb::InvalidSignature {
                signer,
                sender: tk.sender,
            })
            .into());
        }
        // 12. The draw.
        let winning = t.is_winning();
        if !winning && draw == Draw::Refuse {
            return Err(E::TicketNotWinning(tb::TicketNotWinning {}).into());
        }
        // 13. The recipient was active when the ticket was created.
        if !view.is_active(tk.recipient, creation_round) {
            return Err(E::RecipientNotActive(tb::RecipientNotActive {
                recipient: tk.recipient,
                round: U256::from(creation_round),
            })
            .into());
        }
        // 14. The sender's funds are still committed.
        let funds = view.sender(tk.sender);
        if funds.withdraw_round != 0 && round >= funds.withdraw_round {
            return Err(E::SenderUnlocked(tb::SenderUnlocked {
                sender: tk.sender,
                withdrawRound: U256::from(funds.withdraw_round),
            })
            .into());
        }
        // 15. Paid in full: deposit first, then the reserve within the allocation.
        let face_value = U256::from(tk.face_value);
        let payment = if face_value <= funds.deposit {
            Payment {
                ticket_hash,
                face_value,
                from_deposit: face_value,
                from_reserve: U256::ZERO,
            }
        } else {
            let available = view.remaining_reserve_allocation(tk.sender, tk.recipient, round);
            let from_reserve = face_value - funds.deposit;
            if from_reserve > available {
                return Err(E::InsufficientFunds(tb::InsufficientFunds {
                    available: funds.deposit.saturating_add(available),
                    faceValue: face_value,
                })
                .into());
            }
            Payment {
                ticket_hash,
                face_value,
                from_deposit: funds.deposit,
                from_reserve,
            }
        };
        Ok(Intake { winning, payment })
    }
}

/// A [`BrokerView`] held in memory: fixtures for tests and benchmarks, and a reference model for
/// harnesses. Reserve allocations are stored as what remains (`allocation − claimed`) per
/// `(sender, recipient, round)`; the view caps them by the sender's current reserve, as the broker does.
#[derive(Debug, Clone, Default)]
pub struct MemoryBroker {
    /// The current round.
    pub current_round: u64,
    /// The ticket validity period in rounds.
    pub ticket_validity_period: u64,
    /// Block hashes of initialized rounds.
    pub block_hashes: std::collections::HashMap<u64, B256>,
    /// Digests of redeemed tickets.
    pub used: std::collections::HashSet<B256>,
    /// `(orchestrator, round)` pairs in which the orchestrator was active.
    pub active: std::collections::HashSet<(Address, u64)>,
    /// Senders' funds.
    pub senders: std::collections::HashMap<Address, SenderFunds>,
    /// Remaining reserve allocation per `(sender, recipient, round)`.
    pub reserve_allocations: std::collections::HashMap<(Address, Address, u64), U256>,
}

impl MemoryBroker {
    /// Records a redemption of a ticket from `sender` to `recipient` that paid `payment` in the
    /// current round, as the broker's writes do.
    pub fn apply(&mut self, sender: Address, recipient: Address, payment: &Payment) {
        self.used.insert(payment.ticket_hash);
        let funds = self.senders.entry(sender).or_default();
        funds.deposit -= payment.from_deposit;
        funds.reserve -= payment.from_reserve;
        if !payment.from_reserve.is_zero() {
            let left = self
                .reserve_allocations
                .entry((sender, recipient, self.current_round))
                .or_default();
            *left = left.saturating_sub(payment.from_reserve);
        }
    }
}

impl BrokerView for MemoryBroker {
    fn current_round(&self) -> u64 {
        self.current_round
    }

    fn ticket_validity_period(&self) -> u64 {
        self.ticket_validity_period
    }

    fn block_hash_for_round(&self, round: u64) -> B256 {
        self.block_hashes.get(&round).copied().unwrap_or_default()
    }

    fn is_used(&self, ticket_hash: &B256) -> bool {
        self.used.contains(ticket_hash)
    }

    fn is_active(&self, recipient: Address, round: u64) -> bool {
        self.active.contains(&(recipient, round))
    }

    fn sender(&self, sender: Address) -> SenderFunds {
        self.senders.get(&sender).copied().unwrap_or_default()
    }

    fn remaining_reserve_allocation(
        &self,
        sender: Address,
        recipient: Address,
        round: u64,
    ) -> U256 {
        let left = self
            .reserve_allocations
            .get(&(sender, recipient, round))
            .copied()
            .unwrap_or_default();
        left.min(self.sender(sender).reserve)
    }
}
