//! The orchestrator's own transactions and reads: becoming an orchestrator (bond, cuts, registry
//! entry), its status, and calling `reward()` once per round while it runs. While it runs, every
//! transaction of its account goes through the embedded keeper's [`TxSender`], which owns the
//! nonce (redemptions use the same key).

use std::time::Duration;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::SolCall;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::{
    BondingManager, IServiceRegistry, LivepeerToken, RoundsManager, ServiceRegistry,
};
use streamflow_keeper::txsend::TxSender;

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A call or transaction failed (the message includes the contract's error when it reverted).
    #[error("{step}: {reason}")]
    Call {
        /// What was being done.
        step: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// A transaction was mined but reverted.
    #[error("{step}: transaction {tx} reverted")]
    Reverted {
        /// What was being done.
        step: &'static str,
        /// The transaction.
        tx: B256,
    },
}

fn call_err(step: &'static str) -> impl FnOnce(alloy::contract::Error) -> ChainError {
    move |e| ChainError::Call {
        step,
        reason: e.to_string(),
    }
}

/// Sends a contract call and waits for its receipt; a revert is an error.
macro_rules! send {
    ($step:expr, $call:expr) => {{
        let step: &'static str = $step;
        let pending = $call.send().await.map_err(call_err(step))?;
        let receipt = pending.get_receipt().await.map_err(|e| ChainError::Call {
            step,
            reason: e.to_string(),
        })?;
        if !receipt.status() {
            return Err(ChainError::Reverted {
                step,
                tx: receipt.transaction_hash,
            });
        }
        tracing::info!(target: "orchestrator::chain", step, tx = %receipt.transaction_hash, gas = receipt.gas_used, "sent");
        receipt.transaction_hash
    }};
}

/// What `register` sets up.
#[derive(Debug, Clone)]
pub struct Registration {
    /// LPT (wei) to bond to itself now (zero: bond nothing more).
    pub bond: U256,
    /// Parts per million of rewards the orchestrator keeps.
    pub reward_cut: u32,
    /// Parts per million of fees that go to the delegators.
    pub fee_share: u32,
    /// Where broadcasters reach it (e.g. `http://host:8935`).
    pub service_uri: String,
    /// Region ids (`keccak256` of names such as `eu-west`).
    pub regions: Vec<B256>,
    /// Services and the verifier named for each (zero: the service's default).
    pub services: Vec<(B256, Address)>,
}

/// The transactions `register` sent.
#[derive(Debug, Clone, Default)]
pub struct Registered {
    /// approve + bond, when LPT was bonded.
    pub bond: Option<(B256, B256)>,
    /// announceCuts.
    pub cuts: B256,
    /// ServiceRegistry.register.
    pub registry: B256,
}

/// Bonds `r.bond` LPT to the signer itself, announces its cuts, and writes its registry entry.
/// `provider` must sign as the orchestrator.
pub async fn register(
    provider: &DynProvider,
    d: &Deployment,
    me: Address,
    r: &Registration,
) -> Result<Registered, ChainError> {
    let mut out = Registered::default();
    if !r.bond.is_zero() {
        let lpt = LivepeerToken::new(d.livepeer_token, provider);
        let approve = send!("approve LPT", lpt.approve(d.bonding_manager, r.bond));
        let bm = BondingManager::new(d.bonding_manager, provider);
        let bond = send!("bond", bm.bond(r.bond, me));
        out.bond = Some((approve, bond));
    }
    let bm = BondingManager::new(d.bonding_manager, provider);
    out.cuts = send!(
        "announceCuts",
        bm.announceCuts(U256::from(r.reward_cut), U256::from(r.fee_share))
    );
    let sr = ServiceRegistry::new(d.service_registry, provider);
    let services: Vec<IServiceRegistry::Service> = r
        .services
        .iter()
        .map(|(id, verifier)| IServiceRegistry::Service {
            id: *id,
            verifier: *verifier,
        })
        .collect();
    out.registry = send!(
        "ServiceRegistry.register",
        sr.register(r.service_uri.clone(), r.regions.clone(), services)
    );
    Ok(out)
}

/// An orchestrator's state on chain.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The orchestrator.
    pub address: Address,
    /// The current round.
    pub round: u64,
    /// Whether it is a registered orchestrator (bonded to itself).
    pub registered: bool,
    /// Its pool's total stake (LPT wei).
    pub total_stake: U256,
    /// Whether it is in the active set this round.
    pub active: bool,
    /// Its stake counted in this round's active set.
    pub active_stake: U256,
    /// Reward cut and fee share in effect (ppm).
    pub reward_cut: U256,
    /// Fee share in effect (ppm).
    pub fee_share: U256,
    /// Announced cuts and the round they take effect.
    pub next_cuts: (U256, U256, U256),
    /// The last round it called `reward()`.
    pub last_reward_round: U256,
    /// Its own rewards not claimed yet (LPT wei).
    pub pending_rewards: U256,
    /// Its own fees not claimed yet (wei).
    pub pending_fees: U256,
    /// Its service URI.
    pub service_uri: String,
    /// Its regions.
    pub regions: Vec<B256>,
    /// Its services and their verifiers.
    pub services: Vec<(B256, Address)>,
}

/// Reads `me`'s status.
pub async fn status(
    provider: &DynProvider,
    d: &Deployment,
    me: Address,
) -> Result<Status, ChainError> {
    let rm = RoundsManager::new(d.rounds_manager, provider);
    let bm = BondingManager::new(d.bonding_manager, provider);
    let sr = ServiceRegistry::new(d.service_registry, provider);
    let round = rm
        .currentRound()
        .call()
        .await
        .map_err(call_err("currentRound"))?;
    let info = bm
        .orchestratorInfo(me)
        .call()
        .await
        .map_err(call_err("orchestratorInfo"))?;
    let active_stake = bm
        .activeStake(me, round)
        .call()
        .await
        .map_err(call_err("activeStake"))?;
    let pending = bm
        .pendingEarnings(me)
        .call()
        .await
        .map_err(call_err("pendingEarnings"))?;
    let service_uri = sr
        .serviceURI(me)
        .call()
        .await
        .map_err(call_err("serviceURI"))?;
    let regions = sr
        .regionsOf(me)
        .call()
        .await
        .map_err(call_err("regionsOf"))?;
    let services = sr
        .servicesOf(me)
        .call()
        .await
        .map_err(call_err("servicesOf"))?;
    Ok(Status {
        address: me,
        round: u64::try_from(round).unwrap_or(u64::MAX),
        registered: info.registered,
        total_stake: info.totalStake,
        active: !active_stake.is_zero(),
        active_stake,
        reward_cut: info.rewardCut,
        fee_share: info.feeShare,
        next_cuts: (
            info.nextRewardCut,
            info.nextFeeShare,
            info.cutEffectiveRound,
        ),
        last_reward_round: info.lastRewardRound,
        pending_rewards: pending.rewards,
        pending_fees: pending.fees,
        service_uri,
        regions,
        services: services.into_iter().map(|s| (s.id, s.verifier)).collect(),
    })
}

/// What one reward check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardOutcome {
    /// `reward()` was sent for this round (through the keeper's transaction sender).
    Rewarded(u64, B256),
    /// `initializeRound()` was sent; `reward()` follows at a later check.
    InitializeSent(u64, B256),
    /// A `reward()` or `initializeRound()` sent earlier is still open: wait for it.
    Pending(u64, B256),
    /// Already called this round.
    AlreadyDone(u64),
    /// Not active this round: nothing to call.
    NotActive(u64),
    /// The round is not initialized yet (someone must call `initializeRound`).
    RoundNotInitialized(u64),
}

/// Calls `reward()` if `me` is active in the current round and hasn't yet; initializes the round
/// first when `initialize_rounds` and nobody has. Both go through `tx`, the embedded keeper's
/// transaction sender, which owns the account's nonces (redemptions use the same key); a call
/// already open there is waited for, never sent twice.
pub async fn reward_once(
    provider: &DynProvider,
    d: &Deployment,
    tx: &TxSender,
    initialize_rounds: bool,
) -> Result<RewardOutcome, ChainError> {
    let me = tx.from();
    let rm = RoundsManager::new(d.rounds_manager, provider);
    let bm = BondingManager::new(d.bonding_manager, provider);
    let initialized = rm
        .currentRoundInitialized()
        .call()
        .await
        .map_err(call_err("currentRoundInitialized"))?;
    let round = rm
        .currentRound()
        .call()
        .await
        .map_err(call_err("currentRound"))?;
    let r = u64::try_from(round).unwrap_or(u64::MAX);
    let open = tx.open_calls().map_err(|e| ChainError::Call {
        step: "open calls",
        reason: e.to_string(),
    })?;
    let open_call = |to: Address, selector: [u8; 4]| {
        open.iter()
            .find(|c| c.to == to && c.input.starts_with(&selector))
            .map(|c| c.tx_hash)
    };
    if !initialized {
        if !initialize_rounds {
            return Ok(RewardOutcome::RoundNotInitialized(r));
        }
        if let Some(h) = open_call(
            d.rounds_manager,
            RoundsManager::initializeRoundCall::SELECTOR,
        ) {
            return Ok(RewardOutcome::Pending(r, h));
        }
        let h = send_call(
            tx,
            "initializeRound",
            d.rounds_manager,
            RoundsManager::initializeRoundCall {}.abi_encode(),
        )
        .await?;
        return Ok(RewardOutcome::InitializeSent(r, h));
    }
    let info = bm
        .orchestratorInfo(me)
        .call()
        .await
        .map_err(call_err("orchestratorInfo"))?;
    if info.lastRewardRound == round {
        return Ok(RewardOutcome::AlreadyDone(r));
    }
    if let Some(h) = open_call(d.bonding_manager, BondingManager::rewardCall::SELECTOR) {
        return Ok(RewardOutcome::Pending(r, h));
    }
    let active = bm
        .activeStake(me, round)
        .call()
        .await
        .map_err(call_err("activeStake"))?;
    if active.is_zero() || !info.registered {
        return Ok(RewardOutcome::NotActive(r));
    }
    let h = send_call(
        tx,
        "reward",
        d.bonding_manager,
        BondingManager::rewardCall {}.abi_encode(),
    )
    .await?;
    Ok(RewardOutcome::Rewarded(r, h))
}

async fn send_call(
    tx: &TxSender,
    step: &'static str,
    to: Address,
    input: Vec<u8>,
) -> Result<B256, ChainError> {
    let h = tx
        .send_call(to, input.into())
        .await
        .map_err(|e| ChainError::Call {
            step,
            reason: e.to_string(),
        })?;
    tracing::info!(target: "orchestrator::chain", step, tx = %h, "sent through the keeper");
    Ok(h)
}

/// The longest wait between two failed reward attempts of one round.
pub const REWARD_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// How long to wait after `failures` failed reward attempts in a row in one round: the poll
/// interval, doubled per failure after the first, at most [`REWARD_BACKOFF_MAX`] (never less than
/// the poll interval). A `reward()` whose estimation keeps reverting is not re-sent every poll.
pub fn reward_retry_delay(poll: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    poll.saturating_mul(factor)
        .min(REWARD_BACKOFF_MAX.max(poll))
}

/// Checks every `poll` and calls `reward()` once per round, until `shutdown` resolves. A round
/// counts as done once the chain shows it rewarded (or the orchestrator is not active in it);
/// failures are logged and retried with a backoff ([`reward_retry_delay`]), from scratch in a new
/// round.
pub async fn reward_loop(
    provider: DynProvider,
    d: Deployment,
    tx: TxSender,
    initialize_rounds: bool,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut done_round = None;
    // failed attempts in a row, the round they were in, and when the next one may run
    let mut failures = 0u32;
    let mut failed_round = None;
    let mut retry_at = tokio::time::Instant::now();
    loop {
        let round = RoundsManager::new(d.rounds_manager, &provider)
            .currentRound()
            .call()
            .await
            .ok();
        if round != failed_round {
            failures = 0;
        }
        let due = failures == 0 || tokio::time::Instant::now() >= retry_at;
        if round.is_some() && round != done_round && due {
            match reward_once(&provider, &d, &tx, initialize_rounds).await {
                Ok(outcome) => {
                    tracing::info!(target: "orchestrator::reward", ?outcome, "reward check");
                    failures = 0;
                    if matches!(
                        outcome,
                        RewardOutcome::AlreadyDone(_) | RewardOutcome::NotActive(_)
                    ) {
                        done_round = round;
                    }
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    failed_round = round;
                    let wait = reward_retry_delay(poll, failures);
                    retry_at = tokio::time::Instant::now() + wait;
                    tracing::warn!(target: "orchestrator::reward", error = %e, failures, retry_in_secs = wait.as_secs_f64(), "reward failed; retrying later")
                }
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_retries_back_off_to_the_cap() {
        let poll = Duration::from_secs(5);
        assert_eq!(
            reward_retry_delay(poll, 1),
            poll,
            "the first retry at the next poll"
        );
        assert_eq!(reward_retry_delay(poll, 2), Duration::from_secs(10));
        assert_eq!(reward_retry_delay(poll, 4), Duration::from_secs(40));
        assert_eq!(reward_retry_delay(poll, 7), REWARD_BACKOFF_MAX);
        assert_eq!(reward_retry_delay(poll, u32::MAX), REWARD_BACKOFF_MAX);
        // A poll longer than the cap is never shortened.
        let slow = Duration::from_secs(600);
        assert_eq!(reward_retry_delay(slow, 3), slow);
    }
}
