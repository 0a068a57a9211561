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
//! - [`issuer`]: the ticket parameters an orchestrator quotes (face value, win probability and a
//!   commitment to a random number derived from a secret and a seed), and the check that a received
//!   ticket uses them.
//! - [`pricing`]: face value and win probability from an expected value per ticket.
//! - [`ecdsa`]: the one secp256k1 implementation (libsecp256k1) used to sign and recover.
//! - [`eip712`]: the domain and typed-data hash shared by the contracts.
//!
//! Errors are the contracts' own custom errors, decoded types from `streamflow-bindings`, so a
//! refusal here is the refusal the chain would give, with the same arguments.
//!
//! ```
//! use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
//! use streamflow_protocol::{
//!     LocalSigner, MemoryBroker, SignedTicket, Ticket, TicketParamsIssuer, Validator,
//!     validate::SenderFunds,
//! };
//!
//! let (chain_id, broker) = (31337, Address::repeat_byte(0x33));
//! let validator = Validator::new(chain_id, broker);
//! let orchestrator = Address::repeat_byte(0x0b);
//! let sender = LocalSigner::from_bytes(&keccak256("a broadcaster key"))?;
//!
//! // The orchestrator quotes: 1e12 wei per segment, redemption worth 1e15 wei, face value 10×.
//! let issuer = TicketParamsIssuer::new(orchestrator, keccak256("the orchestrator's secret"));
//! let params = issuer.issue(
//!     U256::from(10u64.pow(12)), U256::from(10u64.pow(15)), 10, U256::MAX, B256::repeat_byte(1),
//! )?;
//!
//! // The broadcaster signs a ticket with those parameters (round 7, whose block hash it read).
//! let t = Ticket {
//!     recipient: params.recipient,
//!     sender: sender.address(),
//!     face_value: params.face_value,
//!     win_prob: params.win_prob,
//!     sender_nonce: 1,
//!     recipient_rand_hash: params.recipient_rand_hash,
//!     creation_round: 7,
//!     creation_round_block_hash: B256::repeat_byte(7),
//! };
//! let signature = t.sign(&validator.domain_separator(), &sender);
//!
//! // The orchestrator checks the parameters, then the broker's rules against its view of the chain.
//! let recipient_rand = issuer.check(&t, &params)?;
//! let received = SignedTicket { ticket: t, recipient_rand, signature: Bytes::copy_from_slice(&signature) };
//! let mut chain = MemoryBroker { current_round: 7, ticket_validity_period: 2, ..Default::default() };
//! chain.block_hashes.insert(7, B256::repeat_byte(7));
//! chain.active.insert((orchestrator, 7));
//! chain.senders.insert(sender.address(), SenderFunds { deposit: U256::from(10u64.pow(18)), ..Default::default() });
//! let intake = validator.check_intake(&chain, orchestrator, &received)?;
//! if intake.winning {
//!     let calldata = received.pack(); // 257 bytes for redeemWinningTicket
//!     assert_eq!(calldata.len(), 257);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ecdsa;
pub mod eip712;
pub mod issuer;
pub mod pricing;
pub mod receipt;
pub mod rejection;
pub mod ticket;
pub mod validate;

pub use ecdsa::LocalSigner;
pub use eip712::Domain;
pub use issuer::TicketParamsIssuer;
pub use receipt::{CommitteeVerdict, SegmentReceipt};
pub use rejection::Rejection;
pub use ticket::{SignedTicket, Ticket};
pub use validate::{BrokerView, MemoryBroker, Validator};
