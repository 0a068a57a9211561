//! [`Rejection`]: a ticket refused with the TicketBroker's own custom error.

use alloy::sol_types::SolInterface;
use streamflow_bindings::contracts::TicketBroker::TicketBrokerErrors;

/// A ticket the broker would refuse, with the custom error (and arguments) its redemption would
/// revert with — the type generated from the contract's ABI, not a copy of it. Two rejections are
/// equal when their ABI encodings are (selector and arguments).
#[derive(Debug, Clone)]
pub struct Rejection(pub TicketBrokerErrors);

impl Rejection {
    /// The contract's error.
    pub fn error(&self) -> &TicketBrokerErrors {
        &self.0
    }

    /// The 4-byte selector, as `batchRedeemWinningTickets` reports a failed ticket.
    pub fn selector(&self) -> [u8; 4] {
        self.0.selector()
    }

    /// The revert data: selector and ABI-encoded arguments.
    pub fn abi_encode(&self) -> Vec<u8> {
        self.0.abi_encode()
    }
}

impl From<TicketBrokerErrors> for Rejection {
    fn from(e: TicketBrokerErrors) -> Self {
        Self(e)
    }
}

impl PartialEq for Rejection {
    fn eq(&self, other: &Self) -> bool {
        self.abi_encode() == other.abi_encode()
    }
}

impl Eq for Rejection {}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TicketBroker would revert with {:?}", self.0)
    }
}

impl std::error::Error for Rejection {}
