//! A local chain with the protocol deployed, for tests, benchmarks and local tooling: a real anvil on
//! a random loopback port (the pinned npm build in `node_modules/.bin`), and the repository's own
//! deploy script (`script/Deploy.s.sol`, run by forge) so that what runs is exactly what a deployer
//! deploys.
//!
//! It also has the steps tests and local tooling take on such a chain, each once: sending a
//! transaction and waiting for its receipt ([`transact`]), mining ([`mine`]), moving into the next
//! round ([`next_round`], or [`mine_into_next_round`] then [`initialize_round`]), bonding an
//! orchestrator ([`bond_orchestrator`]), funding a sender ([`fund_sender`]) and reading what the
//! broker holds ([`sender_funds`], [`is_used_ticket`]).

use crate::contracts::{BondingManager, LivepeerToken, RoundsManager, TicketBroker};
use crate::{Deployment, DeploymentError};
use alloy::{
    contract::{CallBuilder, CallDecoder},
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, U256},
    providers::{DynProvider, PendingTransactionError, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    transports::{TransportError, http::reqwest::Url},
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

impl Devnet {
    /// Dev account `index` of the chain (0 is governance).
    pub fn key(&self, index: usize) -> PrivateKeySigner {
        self.anvil.keys()[index].clone().into()
    }

    /// A provider without a wallet, for reads and anvil's own methods.
    pub fn provider(&self) -> DynProvider {
        ProviderBuilder::new()
            .connect_http(self.anvil.endpoint_url())
            .erased()
    }

    /// A provider that signs as `key`.
    pub fn provider_as(&self, key: &PrivateKeySigner) -> DynProvider {
        provider_as(self.anvil.endpoint_url(), key)
    }
}

/// One wei-denominated ether (and one LPT: the token has 18 decimals too).
pub const ETHER: u128 = 1_000_000_000_000_000_000;

/// How long [`transact`] waits for a transaction's receipt (the machine may be loaded).
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a step on a local chain failed; `step` names it (e.g. `"initializeRound"`).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A contract call or transaction was refused (by the node or by a revert in estimation).
    #[error("{step}: {source}")]
    Contract {
        /// The step.
        step: &'static str,
        /// The error.
        #[source]
        source: alloy::contract::Error,
    },
    /// A plain RPC request failed.
    #[error("{step}: {source}")]
    Rpc {
        /// The step.
        step: &'static str,
        /// The error.
        #[source]
        source: TransportError,
    },
    /// The transaction was sent but its receipt did not come.
    #[error("{step}: no receipt: {source}")]
    Receipt {
        /// The step.
        step: &'static str,
        /// The error.
        #[source]
        source: PendingTransactionError,
    },
    /// The transaction was mined and reverted.
    #[error("{step}: transaction {tx} reverted")]
    Reverted {
        /// The step.
        step: &'static str,
        /// The transaction's hash.
        tx: B256,
    },
    /// The chain did not get where it was driven to.
    #[error("{step}: {reason}")]
    Stuck {
        /// The step.
        step: &'static str,
        /// What did not happen.
        reason: String,
    },
}

fn contract(step: &'static str) -> impl FnOnce(alloy::contract::Error) -> ChainError {
    move |source| ChainError::Contract { step, source }
}

fn rpc(step: &'static str) -> impl FnOnce(TransportError) -> ChainError {
    move |source| ChainError::Rpc { step, source }
}

/// A provider on `url` that signs as `key`: [`crate::signing_provider`], which every role uses.
pub fn provider_as(url: Url, key: &PrivateKeySigner) -> DynProvider {
    crate::signing_provider(url, key)
}

/// Sends `call`, waits (at most [`RECEIPT_TIMEOUT`]) for its receipt and returns it; a revert is an
/// error.
pub async fn transact<P: Provider, D: CallDecoder>(
    step: &'static str,
    call: CallBuilder<P, D>,
) -> Result<TransactionReceipt, ChainError> {
    let receipt = call
        .send()
        .await
        .map_err(contract(step))?
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .map_err(|source| ChainError::Receipt { step, source })?;
    if !receipt.status() {
        return Err(ChainError::Reverted {
            step,
            tx: receipt.transaction_hash,
        });
    }
    Ok(receipt)
}

/// Mines `blocks` blocks at once (`anvil_mine`).
pub async fn mine(p: &impl Provider, blocks: u64) -> Result<(), ChainError> {
    let _: serde_json::Value = p
        .raw_request("anvil_mine".into(), (format!("0x{blocks:x}"),))
        .await
        .map_err(rpc("anvil_mine"))?;
    Ok(())
}

/// The current round, as the RoundsManager sees it at the latest block.
pub async fn current_round(p: &impl Provider, d: &Deployment) -> Result<u64, ChainError> {
    let round = RoundsManager::new(d.rounds_manager, p)
        .currentRound()
        .call()
        .await
        .map_err(contract("currentRound"))?;
    u64::try_from(round).map_err(|_| ChainError::Stuck {
        step: "currentRound",
        reason: format!("round {round} is out of range"),
    })
}

/// Initializes the current round unless it is initialized already, as `gov` (any account may).
/// Someone else (an orchestrator's node) initializing it at the same time is not an error. Whether
/// this call initialized it.
pub async fn initialize_round(gov: &impl Provider, d: &Deployment) -> Result<bool, ChainError> {
    let rounds = RoundsManager::new(d.rounds_manager, gov);
    let initialized = || async {
        rounds
            .currentRoundInitialized()
            .call()
            .await
            .map_err(contract("currentRoundInitialized"))
    };
    if initialized().await? {
        return Ok(false);
    }
    match transact("initializeRound", rounds.initializeRound()).await {
        Ok(_) => Ok(true),
        Err(e) => {
            if initialized().await? {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// Mines until the latest block is in the next round and returns that round (not initialized: see
/// [`initialize_round`], or [`next_round`] for both).
pub async fn mine_into_next_round(p: &impl Provider, d: &Deployment) -> Result<u64, ChainError> {
    let rounds = RoundsManager::new(d.rounds_manager, p);
    let now = rounds
        .currentRoundAndEnd()
        .call()
        .await
        .map_err(contract("currentRoundAndEnd"))?;
    let start = current_round(p, d).await?;
    let end = u64::try_from(now.endBlock).unwrap_or(u64::MAX);
    let block = p.get_block_number().await.map_err(rpc("blockNumber"))?;
    // `endBlock` is the next round's first block.
    if end > block {
        mine(p, end - block).await?;
    }
    // Views may run at the latest block or the one after it: check rather than assume.
    let mut round = current_round(p, d).await?;
    for _ in 0..d.round_length.max(1) {
        if round > start {
            return Ok(round);
        }
        mine(p, 1).await?;
        round = current_round(p, d).await?;
    }
    Err(ChainError::Stuck {
        step: "next round",
        reason: format!("still in round {round}"),
    })
}

/// Mines until the latest block is in the next round, initializes that round as `gov` (unless
/// someone else did) and returns it.
pub async fn next_round(gov: &impl Provider, d: &Deployment) -> Result<u64, ChainError> {
    let round = mine_into_next_round(gov, d).await?;
    initialize_round(gov, d).await?;
    Ok(round)
}

/// Governance (the token's holder after deployment) sends `amount` LPT (in its smallest unit) to
/// `to`.
pub async fn transfer_lpt(
    gov: &impl Provider,
    d: &Deployment,
    to: Address,
    amount: U256,
) -> Result<(), ChainError> {
    let token = LivepeerToken::new(d.livepeer_token, gov);
    transact("LPT transfer", token.transfer(to, amount)).await?;
    Ok(())
}

/// Makes `orchestrator` (signing through `orch`) an orchestrator bonded to itself with `stake`
/// LPT that governance gives it (`gov`); it is active from the next round.
pub async fn bond_orchestrator(
    gov: &impl Provider,
    orch: &impl Provider,
    orchestrator: Address,
    d: &Deployment,
    stake: U256,
) -> Result<(), ChainError> {
    transfer_lpt(gov, d, orchestrator, stake).await?;
    let token = LivepeerToken::new(d.livepeer_token, orch);
    transact("LPT approve", token.approve(d.bonding_manager, stake)).await?;
    let bonding = BondingManager::new(d.bonding_manager, orch);
    transact("bond", bonding.bond(stake, orchestrator)).await?;
    Ok(())
}

/// The sender signing through `sender` funds its deposit and reserve (nothing is sent when both
/// are zero).
pub async fn fund_sender(
    sender: &impl Provider,
    d: &Deployment,
    deposit: U256,
    reserve: U256,
) -> Result<(), ChainError> {
    if deposit.is_zero() && reserve.is_zero() {
        return Ok(());
    }
    let broker = TicketBroker::new(d.ticket_broker, sender);
    let fund = broker
        .fundDepositAndReserve(deposit, reserve)
        .value(deposit + reserve);
    transact("fundDepositAndReserve", fund).await?;
    Ok(())
}

/// A sender's funds at the TicketBroker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderFunds {
    /// The deposit, in wei.
    pub deposit: U256,
    /// The reserve, in wei.
    pub reserve: U256,
    /// Zero while locked, else the first round the sender may withdraw in.
    pub withdraw_round: U256,
}

/// `sender`'s funds at the TicketBroker.
pub async fn sender_funds(
    p: &impl Provider,
    d: &Deployment,
    sender: Address,
) -> Result<SenderFunds, ChainError> {
    let s = TicketBroker::new(d.ticket_broker, p)
        .getSender(sender)
        .call()
        .await
        .map_err(contract("getSender"))?;
    Ok(SenderFunds {
        deposit: s.deposit,
        reserve: s.reserve,
        withdraw_round: s.withdrawRound,
    })
}

/// Whether the TicketBroker has paid the ticket with this hash.
pub async fn is_used_ticket(
    p: &impl Provider,
    d: &Deployment,
    ticket_hash: B256,
) -> Result<bool, ChainError> {
    TicketBroker::new(d.ticket_broker, p)
        .isUsedTicket(ticket_hash)
        .call()
        .await
        .map_err(contract("isUsedTicket"))
}
