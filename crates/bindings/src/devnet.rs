//! A local chain with the protocol deployed, for tests, benchmarks and local tooling: a real anvil on
//! a random loopback port (the pinned npm build in `node_modules/.bin`), and the repository's own
//! deploy script (`script/Deploy.s.sol`, run by forge) so that what runs is exactly what a deployer
//! deploys.

use crate::{Deployment, DeploymentError};
use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    signers::local::PrivateKeySigner,
};
use std::{
    path::{Path, PathBuf},
    process::{Command, ExitStatus},
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long a deploy script may run before it is killed (the machine may be loaded).
pub const DEPLOY_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a local chain could not be started or deployed to.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// anvil did not start.
    #[error("anvil did not start (run `make setup`): {0}")]
    Anvil(String),
    /// forge could not be run.
    #[error("could not run forge (run `make setup`): {0}")]
    Forge(#[from] std::io::Error),
    /// The deploy script exited with an error.
    #[error("forge script failed: {0}")]
    ScriptFailed(ExitStatus),
    /// The deploy script did not finish in time and was killed.
    #[error("forge script did not finish within {0:?}")]
    Timeout(Duration),
    /// The deployment file the script wrote is unreadable.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
}

/// The repository's root (the forge project and `node_modules`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A new anvil on a random loopback port; it stops when the instance is dropped.
pub fn spawn_anvil() -> Result<AnvilInstance, DevnetError> {
    Anvil::at(repo_root().join("node_modules/.bin/anvil"))
        .port(0u16)
        .try_spawn()
        .map_err(|e| DevnetError::Anvil(e.to_string()))
}

/// forge shares `cache/` and `broadcast/` in the repository: one script run at a time.
static FORGE: Mutex<()> = Mutex::new(());

/// Runs `script/Deploy.s.sol` against `rpc` as `sender` (an unlocked anvil account, which becomes
/// governance) with `round_length` blocks per round, writes the deployment to `out` (with `rpc` as
/// its RPC URL) and returns it.
pub fn deploy(
    rpc: &str,
    sender: Address,
    out: &Path,
    round_length: u64,
) -> Result<Deployment, DevnetError> {
    let _one_at_a_time = FORGE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // `--slow`: one transaction at a time, each confirmed before the next. Without it forge sends in
    // parallel, and on a loaded machine one rejected send leaves a nonce gap that anvil queues
    // behind for ever.
    let mut child = Command::new(repo_root().join("node_modules/.bin/forge"))
        .current_dir(repo_root())
        .args(["script", "script/Deploy.s.sol", "--rpc-url", rpc])
        .args(["--broadcast", "--slow", "--unlocked", "-q", "--sender"])
        .arg(sender.to_string())
        .env("STREAMFLOW_DEPLOYMENT", out)
        .env("STREAMFLOW_RPC_URL", rpc)
        .env("ROUND_LENGTH", round_length.to_string())
        .spawn()?;
    let deadline = Instant::now() + DEPLOY_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DevnetError::Timeout(DEPLOY_TIMEOUT));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        return Err(DevnetError::ScriptFailed(status));
    }
    Ok(Deployment::load(out)?)
}

/// A running anvil with the protocol deployed by its first dev account (governance). Everything
/// stops, and the deployment file is deleted, when it is dropped.
#[derive(Debug)]
pub struct Devnet {
    /// The chain (its dev accounts' keys are `anvil.keys()`).
    pub anvil: AnvilInstance,
    /// The first dev account: the deployer and governance.
    pub governance: PrivateKeySigner,
    /// The deployed addresses.
    pub deployment: Deployment,
    /// The deployment file (under `deployments/`, deleted on drop).
    pub file: tempfile::NamedTempFile,
}

impl Devnet {
    /// Starts anvil and deploys the protocol with `round_length` blocks per round.
    pub fn start(round_length: u64) -> Result<Self, DevnetError> {
        let anvil = spawn_anvil()?;
        let governance: PrivateKeySigner = anvil.keys()[0].clone().into();
        let file = tempfile::Builder::new()
            .prefix(".tmp-devnet-")
            .suffix(".json")
            .tempfile_in(repo_root().join("deployments"))?;
        let deployment = deploy(
            &anvil.endpoint(),
            governance.address(),
            file.path(),
            round_length,
        )?;
        Ok(Self {
            anvil,
            governance,
            deployment,
            file,
        })
    }
}
