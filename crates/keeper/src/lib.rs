//! The orchestrator's ticket-redemption keeper: it issues ticket parameters to senders, takes
//! their tickets, keeps every winning one durably before answering, watches what each sender can
//! still pay, and redeems winners on the TicketBroker when the gas is worth it — always before they
//! expire.
//!
//! - [`store`]: the SQLite queue (WAL, `synchronous = FULL`), inspectable by the operator.
//! - [`params`]: recipient random numbers by HMAC-SHA256 from a persisted secret.
//! - [`Keeper`]: the handle an orchestrator embeds (`params_for`, `submit`, `sender_can_pay`).
//! - [`chain`]: the chain snapshot intake checks against, read from the contracts.
//! - [`redeem`]: the redemption policy and the transaction lifecycle.
//! - [`txsend`]: the one sender of the account's transactions (redemptions and the embedding
//!   process's calls such as `reward()`), so that nonces are never shared.
//! - [`metrics`]: Prometheus counters; [`http`]: the local API; [`daemon`]: the standalone keeper.
//!
//! Ticket rules come from `streamflow-protocol` (the contract's checks in Rust), never from here.

pub mod chain;
pub mod daemon;
pub mod http;
pub mod keeper;
pub mod metrics;
pub mod params;
pub mod redeem;
pub mod store;
pub mod txsend;

pub use keeper::{Ack, Keeper, KeeperConfig, Rejection, Submission, TicketParams};
