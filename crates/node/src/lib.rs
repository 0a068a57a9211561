//! The off-chain roles of a Streamflow network node, as a library with one module per role; the
//! `streamflow-node` binary is a thin command line over it (one subcommand per role).
//!
//! - [`wire`]: the HTTP API an orchestrator serves to broadcasters (quotes, paid segments, receipts,
//!   renditions) and the error kinds a client acts on. Every role speaks it through these types.
//! - [`broadcaster`]: the broadcaster role (funds, input, negotiation, payment, verification, HLS).
//! - [`pool`]: the orchestrator's transcoder pool: where a paid segment is transcoded (in-process
//!   slots running `streamflow-transcoder`, and remote workers), its scheduling, and the worker
//!   protocol it serves under `/v1/worker`.
//! - [`worker`]: the transcoder worker role, a chain-unaware process that takes segments from an
//!   orchestrator's pool.
//! - [`challenge`]: a broadcaster's challenge of a faulty segment on the FaultVerifier (open with the
//!   bond, follow to the verdict, collect); [`evidence`]: its content-addressed evidence store and
//!   server; [`verifier`]: the committee member role that judges such challenges.
//! - [`orchestrator`]: the orchestrator role: the API server over an embedded ticket keeper, the
//!   pool and a content store; its operator commands. [`client`]: the Rust client of that API.
//!
//! Ticket and receipt rules come from `streamflow-protocol`, ticket intake and redemption from
//! `streamflow-keeper`, transcoding and verification from `streamflow-transcoder`: this crate
//! composes them and never restates their rules.

pub mod broadcaster;
pub mod challenge;
pub mod client;
pub mod evidence;
pub mod orchestrator;
pub mod pool;
pub mod verifier;
pub mod wire;
pub mod worker;
