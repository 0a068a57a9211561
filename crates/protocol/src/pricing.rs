//! Face value and win probability: how an orchestrator turns the expected value it wants per ticket
//! into ticket terms, with the arithmetic go-livepeer uses.

use alloy::primitives::U256;

/// The largest win probability, `2²⁵⁶ − 1`: a ticket with it always wins.
pub const MAX_WIN_PROB: U256 = U256::MAX;

/// Why ticket terms cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// A zero face value pays nothing whatever the draw.
    #[error("face value is zero")]
    ZeroFaceValue,
    /// The face value is below the expected value: no win probability reaches it.
    #[error("face value {face_value} is below the expected value {expected_value}")]
    FaceValueBelowExpectedValue {
        /// The face value asked for.
        face_value: U256,
        /// The expected value per ticket.
        expected_value: U256,
    },
    /// The face value does not fit the ticket's `uint128` field.
    #[error("face value {0} exceeds 2^128 - 1")]
    FaceValueTooLarge(U256),
    /// The sender's funds cannot cover a face value of at least the expected value.
    #[error(
        "the sender can cover at most {max_float} wei per ticket, below the expected value {expected_value}"
    )]
    InsufficientFloat {
        /// What the sender can cover.
        max_float: U256,
        /// The expected value per ticket.
        expected_value: U256,
    },
}

/// Ticket terms: a face value and the win probability that makes the expected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketTerms {
    /// Wei paid by a winning ticket.
    pub face_value: u128,
    /// The ticket's `winProb`.
    pub win_prob: U256,
}

/// The win probability that gives `expected_value` per ticket at `face_value`:
/// `expected_value × ⌈(2²⁵⁶ − 1) / face_value⌉`, and `2²⁵⁶ − 1` when the two are equal. Rounding
/// up the quotient errs by at most `expected_value / 2²⁵⁶` wei per ticket in the recipient's favour.
pub fn win_prob(expected_value: U256, face_value: U256) -> Result<U256, PricingError> {
    if face_value.is_zero() {
        return Err(PricingError::ZeroFaceValue);
    }
    if face_value < expected_value {
        return Err(PricingError::FaceValueBelowExpectedValue {
            face_value,
            expected_value,
        });
    }
    if face_value == expected_value {
        return Ok(MAX_WIN_PROB);
    }
    let quotient = MAX_WIN_PROB.div_ceil(face_value);
    // face_value > expected_value, so expected_value × ⌈M / face_value⌉ ≤ M + expected_value − ...;
    // the product only overflows for face values above 2^128, which tickets can't carry.
    expected_value
        .checked_mul(quotient)
        .ok_or(PricingError::FaceValueTooLarge(face_value))
}

/// Ticket terms for `expected_value` per ticket, as go-livepeer's recipient sets them: the face value
/// is `redeem_cost × multiplier` (a winning ticket should pay its redemption many times over), raised
/// to the expected value if below it, and lowered to `max_float` (what the sender's deposit and the
/// recipient's reserve allocation can pay) if above; then [`win_prob`].
pub fn ticket_terms(
    expected_value: U256,
    redeem_cost: U256,
    multiplier: u64,
    max_float: U256,
) -> Result<TicketTerms, PricingError> {
    let mut face_value = redeem_cost.saturating_mul(U256::from(multiplier));
    if face_value < expected_value {
        face_value = expected_value;
    }
    if face_value > max_float {
        if max_float < expected_value {
            return Err(PricingError::InsufficientFloat {
                max_float,
                expected_value,
            });
        }
        face_value = max_float;
    }
    let win_prob = win_prob(expected_value, face_value)?;
    let face_value =
        u128::try_from(face_value).map_err(|_| PricingError::FaceValueTooLarge(face_value))?;
    Ok(TicketTerms {
        face_value,
        win_prob,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_face_value_always_wins() {
        assert_eq!(
            win_prob(U256::from(7), U256::from(7)).unwrap(),
            MAX_WIN_PROB
        );
    }

    #[test]
    fn quotient_rounds_up() {
        // (2^256 - 1) / 3 is exact: 0x5555…55.
        let exact = MAX_WIN_PROB / U256::from(3);
        assert_eq!(win_prob(U256::from(1), U256::from(3)).unwrap(), exact);
        // (2^256 - 1) / 2 = 2^255 - 1 remainder 1: rounded up to 2^255.
        assert_eq!(
            win_prob(U256::from(1), U256::from(2)).unwrap(),
            U256::from(1) << 255
        );
        assert_eq!(
            win_prob(U256::from(3), U256::from(1000)).unwrap(),
            U256::from(3) * MAX_WIN_PROB.div_ceil(U256::from(1000))
        );
    }

    #[test]
    fn refuses_what_no_probability_reaches() {
        assert_eq!(
            win_prob(U256::from(1), U256::ZERO),
            Err(PricingError::ZeroFaceValue)
        );
        assert!(matches!(
            win_prob(U256::from(2), U256::from(1)),
            Err(PricingError::FaceValueBelowExpectedValue { .. })
        ));
    }

    #[test]
    fn terms_follow_cost_then_float() {
        let ev = U256::from(1_000u64);
        // 100 gwei × 100k gas × 10 = 1e17 wei face value.
        let cost = U256::from(100_000_000_000u64 * 100_000);
        let t = ticket_terms(ev, cost, 10, U256::MAX).unwrap();
        assert_eq!(t.face_value, 100_000_000_000_000_000);
        assert_eq!(t.win_prob, win_prob(ev, U256::from(t.face_value)).unwrap());
        // Capped by the sender's float.
        let t = ticket_terms(ev, cost, 10, U256::from(5_000u64)).unwrap();
        assert_eq!(t.face_value, 5_000);
        // Raised to the expected value when redemption is cheap.
        let t = ticket_terms(ev, U256::from(1), 1, U256::MAX).unwrap();
        assert_eq!((t.face_value, t.win_prob), (1_000, MAX_WIN_PROB));
        assert!(matches!(
            ticket_terms(ev, cost, 10, U256::from(999u64)),
            Err(PricingError::InsufficientFloat { .. })
        ));
    }
}
