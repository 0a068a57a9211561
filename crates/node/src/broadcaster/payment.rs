//! Paying a segment: tickets made with an orchestrator's quoted parameters, signed by the
//! broadcaster under the TicketBroker's EIP-712 domain, their count chosen so that their expected
//! value covers the segment's price less the credit the broadcaster already has there.
//!
//! Nonces: every ticket made with the same `recipientRandHash` gets the next `senderNonce`. An
//! orchestrator keeps its commitment (and so its hash) for a sender until it reveals it, across
//! the sender's streams and restarts, so a process can't start from 1: each sequence starts at a
//! random point of the lower half of the 32-bit range (two streams' sequences of a thousand tickets
//! overlap with a probability of about 10⁻⁶), and a refusal as a replay moves it a million ahead
//! ([`TicketMaker::skip`]).

use std::collections::HashMap;

use alloy::primitives::{Address, B256, Bytes, I256, U256, U512};
use streamflow_keeper::TicketParams;
use streamflow_protocol::LocalSigner;
use streamflow_protocol::ticket::{SignedTicket, Ticket, broker_domain};

use crate::wire::{Payment, Price};

/// Why a payment could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The parameters' face value or win probability is zero: tickets worth nothing.
    #[error("ticket parameters worth nothing (face value {face_value}, winProb {win_prob})")]
    Worthless {
        /// Face value.
        face_value: U256,
        /// Win probability.
        win_prob: U256,
    },
    /// A field doesn't fit the ticket.
    #[error("{0} does not fit the ticket")]
    Overflow(&'static str),
    /// More tickets than allowed for one segment.
    #[error("{needed} tickets needed, at most {max} per segment")]
    TooMany {
        /// Tickets needed.
        needed: u64,
        /// The cap.
        max: u64,
    },
}

/// `faceValue × winProb / 2²⁵⁶`, rounded to the nearest wei: a ticket's expected value.
pub fn expected_value(face_value: U256, win_prob: U256) -> U256 {
    let product = U512::from(face_value) * U512::from(win_prob);
    let half = U512::from(1u8) << 255;
    let ev: U512 = (product.saturating_add(half)) >> 256;
    U256::from_limbs_slice(&ev.as_limbs()[..4])
}

/// How many tickets of expected value `ev` pay `fee` given `credit` already held (at least zero).
pub fn tickets_needed(fee: U256, credit: I256, ev: U256) -> u64 {
    let owed = if credit.is_negative() {
        fee.saturating_add(credit.unsigned_abs())
    } else {
        fee.saturating_sub(credit.into_raw())
    };
    if owed.is_zero() || ev.is_zero() {
        return 0;
    }
    u64::try_from(owed.div_ceil(ev)).unwrap_or(u64::MAX)
}

/// Makes and signs tickets for any number of orchestrators.
#[derive(Debug)]
pub struct TicketMaker {
    signer: LocalSigner,
    domain_separator: B256,
    nonces: HashMap<(Address, B256), u32>,
    /// Most tickets in one payment.
    pub max_tickets: u64,
}

impl TicketMaker {
    /// A maker signing as `signer` for the TicketBroker at `broker` on `chain_id`.
    pub fn new(signer: LocalSigner, chain_id: u64, broker: Address) -> Self {
        Self {
            signer,
            domain_separator: broker_domain(chain_id, broker).separator(),
            nonces: HashMap::new(),
            max_tickets: 1_000,
        }
    }

    /// Moves the nonce sequence of `params` a million ahead (after a refusal as a replay).
    pub fn skip(&mut self, params: &TicketParams) {
        let n = self
            .nonces
            .entry((params.recipient, params.recipient_rand_hash))
            .or_insert_with(|| rand::random::<u32>() >> 1);
        *n = n.saturating_add(1 << 20);
    }

    /// The sender.
    pub fn sender(&self) -> Address {
        self.signer.address()
    }

    /// The price of `pixels` at `price`, in wei.
    pub fn fee(price: &Price, pixels: u64) -> U256 {
        price.fee_for(pixels).unwrap_or(U256::MAX)
    }

    /// A payment of `count` tickets made with `params`.
    pub fn pay(&mut self, params: &TicketParams, count: u64) -> Result<Payment, PaymentError> {
        if params.face_value.is_zero() || params.win_prob.is_zero() {
            return Err(PaymentError::Worthless {
                face_value: params.face_value,
                win_prob: params.win_prob,
            });
        }
        if count > self.max_tickets {
            return Err(PaymentError::TooMany {
                needed: count,
                max: self.max_tickets,
            });
        }
        let face_value =
            u128::try_from(params.face_value).map_err(|_| PaymentError::Overflow("faceValue"))?;
        let creation_round = u32::try_from(params.creation_round)
            .map_err(|_| PaymentError::Overflow("creationRound"))?;
        let nonce = self
            .nonces
            .entry((params.recipient, params.recipient_rand_hash))
            .or_insert_with(|| rand::random::<u32>() >> 1);
        let mut tickets = Vec::with_capacity(count as usize);
        for _ in 0..count {
            *nonce = nonce
                .checked_add(1)
                .ok_or(PaymentError::Overflow("senderNonce"))?;
            let ticket = Ticket {
                recipient: params.recipient,
                sender: self.signer.address(),
                face_value,
                win_prob: params.win_prob,
                sender_nonce: *nonce,
                recipient_rand_hash: params.recipient_rand_hash,
                creation_round,
                creation_round_block_hash: params.creation_round_block_hash,
            };
            let signature = ticket.sign(&self.domain_separator, &self.signer);
            let signed = SignedTicket {
                ticket,
                recipient_rand: U256::ZERO,
                signature: Bytes::copy_from_slice(&signature),
            };
            tickets.push(Bytes::from(signed.pack()));
        }
        Ok(Payment {
            sender: self.signer.address(),
            seed: params.seed,
            tickets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;
    use streamflow_protocol::Validator;

    fn params() -> TicketParams {
        TicketParams {
            recipient: Address::repeat_byte(0x0b),
            face_value: U256::from(1_000_000u64),
            win_prob: U256::MAX / U256::from(1000u64),
            recipient_rand_hash: B256::repeat_byte(3),
            seed: B256::repeat_byte(4),
            creation_round: 7,
            creation_round_block_hash: B256::repeat_byte(7),
            expiration_block: 100,
        }
    }

    #[test]
    fn expected_value_and_ticket_count() {
        let p = params();
        assert_eq!(
            expected_value(p.face_value, p.win_prob),
            U256::from(1000u64)
        );
        assert_eq!(
            expected_value(U256::from(5u64), U256::MAX),
            U256::from(5u64)
        );
        let ev = U256::from(1000u64);
        assert_eq!(tickets_needed(U256::from(2500u64), I256::ZERO, ev), 3);
        assert_eq!(
            tickets_needed(U256::from(2500u64), I256::try_from(500).expect("i"), ev),
            2
        );
        assert_eq!(
            tickets_needed(U256::from(2500u64), I256::try_from(3000).expect("i"), ev),
            0
        );
        assert_eq!(
            tickets_needed(U256::from(2500u64), I256::try_from(-600).expect("i"), ev),
            4
        );
        assert_eq!(tickets_needed(U256::ZERO, I256::ZERO, ev), 0);
    }

    #[test]
    fn tickets_are_signed_for_the_broker_with_fresh_nonces() {
        let key = LocalSigner::from_bytes(&keccak256("a broadcaster")).expect("key");
        let sender = key.address();
        let broker = Address::repeat_byte(0x33);
        let mut maker = TicketMaker::new(key, 31337, broker);
        let p = params();
        let a = maker.pay(&p, 2).expect("pay");
        let b = maker.pay(&p, 1).expect("pay");
        assert_eq!(a.seed, p.seed);
        let domain = Validator::new(31337, broker).domain_separator();
        let mut nonces = Vec::new();
        for packed in a.tickets.iter().chain(&b.tickets) {
            let t = SignedTicket::unpack(packed).expect("257 bytes");
            assert_eq!(t.recipient_rand, U256::ZERO);
            assert_eq!(t.ticket.recipient, p.recipient);
            assert_eq!(t.ticket.face_value, 1_000_000);
            assert_eq!(t.ticket.creation_round, 7);
            assert_eq!(
                t.recover_signer(&t.ticket.digest(&domain)).expect("sig"),
                sender
            );
            nonces.push(t.ticket.sender_nonce);
        }
        assert_eq!(nonces, vec![nonces[0], nonces[0] + 1, nonces[0] + 2]);
        assert!(nonces[0] < 1 << 31, "room left above the start");
        // Another process (another maker) starts elsewhere: no replay across streams.
        let mut other = TicketMaker::new(
            LocalSigner::from_bytes(&keccak256("a broadcaster")).expect("key"),
            31337,
            broker,
        );
        let nonce_of = |pay: &Payment| {
            SignedTicket::unpack(&pay.tickets[0])
                .expect("t")
                .ticket
                .sender_nonce
        };
        let first = nonce_of(&other.pay(&p, 1).expect("pay"));
        assert!(!nonces.contains(&first), "{first} in {nonces:?}");
        // A refusal as a replay moves the sequence ahead.
        other.skip(&p);
        assert_eq!(
            nonce_of(&other.pay(&p, 1).expect("pay")),
            first + (1 << 20) + 1
        );
        assert!(matches!(
            maker.pay(
                &TicketParams {
                    win_prob: U256::ZERO,
                    ..p.clone()
                },
                1
            ),
            Err(PaymentError::Worthless { .. })
        ));
        assert!(matches!(
            maker.pay(&p, 1001),
            Err(PaymentError::TooMany { .. })
        ));
    }
}
