//! The orchestrator's side of a quote: the ticket parameters it offers a sender, and the check that
//! a received ticket uses them.
//!
//! The recipient's random number is derived, not stored: `recipientRand = keccak256(secret ‖
//! recipient ‖ seed)` for a secret the orchestrator keeps and a seed it publishes with the parameters
//! (a sender echoes the seed next to its tickets). A keeper that persisted the seed of a winning
//! ticket can always rebuild its `recipientRand`, and the secret never leaves the orchestrator.
//! Keccak-256 as a keyed hash has no length-extension weakness, so the seed reveals nothing of the
//! secret, and without the secret nobody can predict the number before it is revealed.

use crate::pricing::{self, PricingError, TicketTerms};
use crate::ticket::{self, Ticket};
use alloy::primitives::{Address, B256, U256, keccak256};

/// Ticket parameters an orchestrator offers with a price quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedParams {
    /// The orchestrator (the tickets' recipient).
    pub recipient: Address,
    /// The face value the sender must use.
    pub face_value: u128,
    /// The win probability the sender must use.
    pub win_prob: U256,
    /// The commitment to the orchestrator's random number for these parameters.
    pub recipient_rand_hash: B256,
    /// The seed the random number is derived from; the sender sends it back with its tickets.
    pub seed: B256,
}

/// A received ticket does not use the parameters it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsMismatch {
    /// The ticket pays someone else.
    #[error("ticket recipient {got} is not {want}")]
    Recipient {
        /// The ticket's recipient.
        got: Address,
        /// This orchestrator.
        want: Address,
    },
    /// The face value differs from the offered one.
    #[error("ticket face value {got} is not the offered {want}")]
    FaceValue {
        /// The ticket's face value.
        got: u128,
        /// The offered face value.
        want: u128,
    },
    /// The win probability differs from the offered one.
    #[error("ticket win probability {got} is not the offered {want}")]
    WinProb {
        /// The ticket's win probability.
        got: U256,
        /// The offered win probability.
        want: U256,
    },
    /// The ticket commits to another random number than the seed gives.
    #[error("ticket recipientRandHash {got} is not the one of seed {seed}")]
    RecipientRandHash {
        /// The ticket's commitment.
        got: B256,
        /// The seed the sender named.
        seed: B256,
    },
}

/// Issues ticket parameters for one orchestrator and recovers its random numbers from seeds.
#[derive(Clone)]
pub struct TicketParamsIssuer {
    recipient: Address,
    secret: B256,
}

impl std::fmt::Debug for TicketParamsIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketParamsIssuer")
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

impl TicketParamsIssuer {
    /// An issuer for `recipient` with a secret of the orchestrator's (read from a key file; never
    /// shared, rotating it orphans the seeds issued before).
    pub fn new(recipient: Address, secret: B256) -> Self {
        Self { recipient, secret }
    }

    /// The recipient random number for `seed`: `keccak256(secret ‖ recipient ‖ seed)`.
    pub fn recipient_rand(&self, seed: &B256) -> U256 {
        let mut buf = [0u8; 84];
        buf[..32].copy_from_slice(self.secret.as_slice());
        buf[32..52].copy_from_slice(self.recipient.as_slice());
        buf[52..].copy_from_slice(seed.as_slice());
        U256::from_be_bytes(keccak256(buf).0)
    }

    /// Parameters for tickets worth `expected_value` each (see [`pricing::ticket_terms`]), under a
    /// fresh `seed` (use a new one after any redemption attempt: a revealed random number lets the
    /// sender choose losing tickets).
    pub fn issue(
        &self,
        expected_value: U256,
        redeem_cost: U256,
        multiplier: u64,
        max_float: U256,
        seed: B256,
    ) -> Result<IssuedParams, PricingError> {
        let TicketTerms {
            face_value,
            win_prob,
        } = pricing::ticket_terms(expected_value, redeem_cost, multiplier, max_float)?;
        Ok(IssuedParams {
            recipient: self.recipient,
            face_value,
            win_prob,
            recipient_rand_hash: ticket::recipient_rand_hash(&self.recipient_rand(&seed)),
            seed,
        })
    }

    /// Checks that `t` uses `params` (issued by this issuer) and returns the random number to
    /// redeem it with. The broker cannot see this: it is the orchestrator's own check, before
    /// [`crate::Validator::check_intake`].
    pub fn check(&self, t: &Ticket, params: &IssuedParams) -> Result<U256, ParamsMismatch> {
        if t.recipient != self.recipient {
            return Err(ParamsMismatch::Recipient {
                got: t.recipient,
                want: self.recipient,
            });
        }
        if t.face_value != params.face_value {
            return Err(ParamsMismatch::FaceValue {
                got: t.face_value,
                want: params.face_value,
            });
        }
        if t.win_prob != params.win_prob {
            return Err(ParamsMismatch::WinProb {
                got: t.win_prob,
                want: params.win_prob,
            });
        }
        let rand = self.recipient_rand(&params.seed);
        if ticket::recipient_rand_hash(&rand) != t.recipient_rand_hash {
            return Err(ParamsMismatch::RecipientRandHash {
                got: t.recipient_rand_hash,
                seed: params.seed,
            });
        }
        Ok(rand)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TicketParamsIssuer {
        TicketParamsIssuer::new(Address::repeat_byte(0x0b), B256::repeat_byte(0x5e))
    }

    fn params(seed: u8) -> IssuedParams {
        issuer()
            .issue(
                U256::from(1_000),
                U256::from(10_000),
                10,
                U256::MAX,
                B256::repeat_byte(seed),
            )
            .unwrap()
    }

    fn ticket_for(p: &IssuedParams) -> Ticket {
        Ticket {
            recipient: p.recipient,
            face_value: p.face_value,
            win_prob: p.win_prob,
            recipient_rand_hash: p.recipient_rand_hash,
            ..Default::default()
        }
    }

    #[test]
    fn issued_params_check_and_give_the_committed_rand() {
        let p = params(1);
        assert_eq!(p.face_value, 100_000);
        assert_eq!(
            p.win_prob,
            pricing::win_prob(U256::from(1_000), U256::from(100_000)).unwrap()
        );
        let rand = issuer().check(&ticket_for(&p), &p).unwrap();
        assert_eq!(ticket::recipient_rand_hash(&rand), p.recipient_rand_hash);
        // Other seeds, other secrets, other recipients: other numbers.
        assert_ne!(params(2).recipient_rand_hash, p.recipient_rand_hash);
        let other = TicketParamsIssuer::new(Address::repeat_byte(0x0b), B256::repeat_byte(1));
        assert_ne!(
            other.recipient_rand(&p.seed),
            issuer().recipient_rand(&p.seed)
        );
        assert!(!format!("{:?}", issuer()).contains("5e5e"));
    }

    #[test]
    fn a_ticket_off_the_params_is_refused() {
        let p = params(1);
        let t = ticket_for(&p);
        let i = issuer();
        assert!(matches!(
            i.check(
                &Ticket {
                    recipient: Address::ZERO,
                    ..t
                },
                &p
            ),
            Err(ParamsMismatch::Recipient { .. })
        ));
        assert!(matches!(
            i.check(&Ticket { face_value: 1, ..t }, &p),
            Err(ParamsMismatch::FaceValue { .. })
        ));
        assert!(matches!(
            i.check(
                &Ticket {
                    win_prob: U256::MAX,
                    ..t
                },
                &p
            ),
            Err(ParamsMismatch::WinProb { .. })
        ));
        // The right hash under the wrong seed.
        let q = IssuedParams {
            seed: B256::repeat_byte(2),
            ..p
        };
        assert!(matches!(
            i.check(&t, &q),
            Err(ParamsMismatch::RecipientRandHash { .. })
        ));
    }
}
