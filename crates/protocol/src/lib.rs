//! The Streamflow protocol's rules in Rust, for every off-chain component (the redemption keeper,
//! the orchestrator and broadcaster nodes, the test harnesses).
//!
//! - [`ticket`]: the payment ticket, its 257-byte packed encoding (`TicketLib.pack`), its EIP-712
//!   hash under the TicketBroker's domain, signing, the broker's signature rules and the lottery draw.
//! - [`receipt`]: the segment receipt an orchestrator signs for each segment (EIP-712, as the
//!   FaultVerifier hashes it) and the committee verdict typed data.
//! - [`validate`]: a received ticket checked with the TicketBroker's checks, in its order, with its
//!   errors, against a [`validate::BrokerView`] of the chain state; plus the intake check an
//!   orchestrator runs on every ticket (losing tickets accepted and reported).
//! - [`pricing`]: face value and win probability from an expected value per ticket.
//! - [`ecdsa`]: the one secp256k1 implementation (libsecp256k1) used to sign and recover.
//! - [`eip712`]: the domain and typed-data hash shared by the contracts.
//!
//! Errors are the contracts' own custom errors, decoded types from `streamflow-bindings`, so a
//! refusal here is the refusal the chain would give, with the same arguments.

pub mod ecdsa;
pub mod eip712;
pub mod pricing;
pub mod receipt;
pub mod rejection;
pub mod ticket;
pub mod validate;

pub use ecdsa::LocalSigner;
pub use eip712::Domain;
pub use receipt::{CommitteeVerdict, SegmentReceipt};
pub use rejection::Rejection;
pub use ticket::{SignedTicket, Ticket};
pub use validate::{BrokerView, MemoryBroker, Validator};
