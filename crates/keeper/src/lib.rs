//! The orchestrator's ticket-redemption keeper.
//! Store first.
pub mod store;
