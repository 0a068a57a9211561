//! The real Streamflow bytecode in an in-process EVM, for property tests that run fast.
//!
//! - [`chain`]: revm over an in-memory database with block control, typed calls through the
//!   bindings' `sol!` types, and snapshot/restore of the whole state;
//! - [`deploy`]: the full protocol deployed by the deployer's own bytecode (`FullProtocolDeployer`),
//!   exactly as `script/Deploy.s.sol` wires it;
//! - [`world`]: the deployed protocol with its actors, set up once and saved as the snapshot every
//!   case starts from;
//! - [`harness`]: the stateful harness (actions, the reference model, its comparison with the
//!   contracts after every step), and [`machine`] its proptest state machine and budgeted runner;
//! - [`batch`]: many views in one EVM transaction (the comparison's hot path);
//! - [`forge`]: a failing sequence written out as a forge test; [`variants`]: deliberately broken
//!   contracts the harness must catch; [`bench`]: its throughput against forge's invariant runner.

// A property violation ends a case: the size of the error path does not matter.
#![allow(clippy::result_large_err)]

pub mod chain;
pub mod deploy;

pub use chain::{Chain, ChainError, Snapshot};
pub use deploy::{DeployConfig, Protocol, deploy};
pub mod batch;
pub mod bench;
pub mod forge;
pub mod harness;
pub mod machine;
pub mod variants;
pub mod view;
pub mod world;
