//! What a broken property reports, and how a generated forge test re-checks it.

use alloy::primitives::{Address, Bytes, U256};

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

/// A violation of `property`.
pub(super) fn violation(property: &'static str, detail: String, check: ForgeCheck) -> Violation {
    Violation {
        property,
        detail,
        check,
    }
}

/// An event that did not decode.
pub(super) fn decode(e: alloy::sol_types::Error) -> Violation {
    violation("event decoding", e.to_string(), ForgeCheck::Note)
}
