//! Rust access to a Streamflow deployment.
//!
//! - [`contracts`]: typed alloy bindings (ABI + bytecode) generated at compile time from the forge
//!   artifacts in `out/`, which this crate's build script refreshes with `forge build`;
//! - [`Deployment`]: the addresses that `script/Deploy.s.sol` writes as JSON;
//! - [`ids`]: the Controller registry identifiers, derived exactly as the contracts derive them;
//! - [`signing_provider`]: the provider every role signs its transactions through;
//! - [`devnet`]: a real anvil with the protocol deployed by the repository's deploy script, for
//!   tests, benchmarks and local tooling.

pub mod contracts;
pub mod deployment;
pub mod devnet;
pub mod ids;
mod signer;

pub use deployment::{Deployment, DeploymentError};
pub use signer::signing_provider;
