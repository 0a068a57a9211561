//! Challenging an orchestrator's signed receipt on the FaultVerifier, following the challenge to its
//! verdict, and collecting what it pays.
//!
//! A broadcaster that detects a fault in a segment calls, in order:
//!
//! 1. [`Challenger::open_challenge`] with the orchestrator's [`SignedReceipt`] and the `evidence`
//!    bytes for the service's verification function (for a committee-judged service: the URL of the
//!    broadcaster's evidence server, [`crate::evidence::evidence_bytes`]). It posts the bond, checks
//!    first that the challenge window is still open, and is idempotent: if this account already
//!    challenged the segment it answers that challenge instead of paying a second bond; if someone
//!    else did it says who.
//! 2. [`Challenger::follow`]: waits (polling, with a timeout) until the verification function has
//!    decided, calls `resolve` itself when the decision is due, and returns the [`Outcome`]:
//!    slashed (bond back plus the finder fee in LPT, paid at once), rejected (bond burned), dismissed
//!    (90 % of the bond back) or covered (bond back, an earlier slash already punished the burst).
//! 3. [`Challenger::collect`]: withdraws the ETH credited to this account (refunded bonds).
//!
//! Every refusal of the contract comes back decoded as its custom error
//! ([`ChallengeError::Refused`] with `FaultVerifierErrors`), never as an opaque revert.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::RoundsManager;
use streamflow_bindings::contracts::fault_verifier::FaultVerifier::{self, FaultVerifierErrors};
use streamflow_protocol::receipt::fault_verifier_domain;

use crate::wire::SignedReceipt;

/// Why a challenge could not be opened, followed or collected.
#[derive(Debug, thiserror::Error)]
pub enum ChallengeError {
    /// The FaultVerifier refused, with its custom error (window expired, wrong signer, no verifier,
    /// not staked, ...).
    #[error("the FaultVerifier refused: {0:?}")]
    Refused(FaultVerifierErrors),
    /// The segment was already challenged by another account: it can be challenged once, ever.
    #[error("segment {segment_key} already challenged by {challenger} (challenge {challenge_id})")]
    AlreadyChallenged {
        /// The segment.
        segment_key: B256,
        /// Its challenge.
        challenge_id: U256,
        /// Who opened it.
        challenger: Address,
    },
    /// The receipt can't be hashed (more renditions than the contract accepts).
    #[error("receipt: {0}")]
    Receipt(String),
    /// A transaction was mined but reverted.
    #[error("transaction {0} reverted")]
    Reverted(B256),
    /// The challenge was still pending when the wait ran out.
    #[error("challenge {challenge_id} still pending after {waited:?}")]
    Timeout {
        /// The challenge.
        challenge_id: U256,
        /// How long it was followed.
        waited: Duration,
    },
    /// The node could not be reached or answered something unexpected.
    #[error("chain: {0}")]
    Rpc(String),
}

impl ChallengeError {
    fn rpc(e: impl std::fmt::Display) -> Self {
        Self::Rpc(e.to_string())
    }

    /// The contract's error if the call reverted with one of the FaultVerifier's custom errors.
    fn from_contract(e: alloy::contract::Error) -> Self {
        match e.as_decoded_interface_error::<FaultVerifierErrors>() {
            Some(decoded) => Self::Refused(decoded),
            None => Self::rpc(e),
        }
    }

    /// The decoded contract error, if that is what this is.
    pub fn contract_error(&self) -> Option<&FaultVerifierErrors> {
        match self {
            Self::Refused(e) => Some(e),
            _ => None,
        }
    }
}

/// Result alias of this module.
pub type Result<T, E = ChallengeError> = std::result::Result<T, E>;

/// The FaultVerifier's `Status` of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// No such challenge.
    None,
    /// Waiting for the verification function.
    Pending,
    /// Fault proven: the orchestrator was slashed, the challenger paid.
    Slashed,
    /// No fault: the bond was burned.
    Rejected,
    /// No decision: 90 % of the bond refunded.
    Dismissed,
    /// Fault proven, but an earlier slash covered the receipt's round: bond refunded, no slash.
    Covered,
}

impl Status {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Pending,
            2 => Self::Slashed,
            3 => Self::Rejected,
            4 => Self::Dismissed,
            5 => Self::Covered,
            _ => Self::None,
        }
    }
}

/// The verification function's verdict (`IFaultVerification.Verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    /// Not decided yet.
    Pending,
    /// A fault is proven.
    Fault,
    /// No fault.
    NoFault,
    /// No decision will come.
    NoDecision,
}

impl Verdict {
    /// From the ABI's `uint8`.
    pub fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Fault,
            2 => Self::NoFault,
            3 => Self::NoDecision,
            _ => Self::Pending,
        }
    }
}

/// A challenge opened (or found already opened by this account).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opened {
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// The challenged segment (`SegmentReceipt.segmentKey`).
    pub segment_key: B256,
    /// The receipt's EIP-712 digest.
    pub receipt_digest: B256,
    /// The verification function deciding it.
    pub verifier: Address,
    /// The bond posted, in wei.
    pub bond: U256,
    /// The transaction that opened it (`None` when it was found already open).
    pub tx: Option<B256>,
    /// The block it was opened in (`None` when it was found already open).
    pub block: Option<u64>,
    /// Gas used by `openChallenge`.
    pub gas_used: u64,
    /// The last round in which this receipt could be challenged.
    pub last_round: u64,
    /// Whether this account had already opened it (no new bond was posted).
    pub already_open: bool,
}

/// How [`Challenger::follow`] waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowOptions {
    /// Time between two looks at the chain.
    pub poll: Duration,
    /// How long to wait for a decision before giving up with [`ChallengeError::Timeout`].
    pub timeout: Duration,
    /// Whether to call `resolve` once the decision is due (anyone may; someone must).
    pub resolve: bool,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            timeout: Duration::from_secs(3600),
            resolve: true,
        }
    }
}

/// How a challenge ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The challenge.
    pub challenge_id: U256,
    /// Its final status.
    pub status: Status,
    /// The verdict that settled it.
    pub verdict: Verdict,
    /// LPT slashed from the orchestrator and its delegators.
    pub slashed: U256,
    /// LPT paid to the challenger (already in its account).
    pub finder_fee: U256,
    /// ETH of the bond credited back (collect it with [`Challenger::collect`]).
    pub bond_refunded: U256,
    /// ETH of the bond burned.
    pub bond_burned: U256,
    /// The `resolve` transaction this challenger sent, if it sent one.
    pub resolve_tx: Option<B256>,
    /// Gas used by that `resolve`.
    pub resolve_gas: u64,
}

/// ETH withdrawn from the FaultVerifier.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collected {
    /// Wei paid out (0: nothing was credited).
    pub amount: U256,
    /// The `withdraw` transaction, if one was sent.
    pub tx: Option<B256>,
    /// Its gas.
    pub gas_used: u64,
}

/// A broadcaster's (or anyone's) handle to challenge receipts on one deployment.
#[derive(Debug, Clone)]
pub struct Challenger {
    provider: DynProvider,
    account: Address,
    fault_verifier: Address,
    rounds_manager: Address,
    chain_id: u64,
    from_block: u64,
}

impl Challenger {
    /// A challenger sending from `account` through `provider` (which must sign for it).
    pub fn new(provider: DynProvider, account: Address, deployment: &Deployment) -> Self {
        Self {
            provider,
            account,
            fault_verifier: deployment.fault_verifier,
            rounds_manager: deployment.rounds_manager,
            chain_id: deployment.chain_id,
            from_block: deployment.deploy_block,
        }
    }

    /// A challenger signing with `key` through the node at `rpc_url`.
    pub fn connect(rpc_url: &str, deployment: &Deployment, key: PrivateKeySigner) -> Result<Self> {
        let url = rpc_url.parse().map_err(ChallengeError::rpc)?;
        let account = key.address();
        let provider = streamflow_bindings::signing_provider(url, &key);
        Ok(Self::new(provider, account, deployment))
    }

    /// The account challenges are sent from.
    pub fn account(&self) -> Address {
        self.account
    }

    fn fv(&self) -> FaultVerifier::FaultVerifierInstance<&DynProvider> {
        FaultVerifier::new(self.fault_verifier, &self.provider)
    }

    /// Opens a challenge against `receipt` with `evidence` for the service's verification function,
    /// posting the bond the contract asks for.
    #[tracing::instrument(skip_all, target = "challenge", fields(orchestrator = %receipt.receipt.orchestrator, seq = %receipt.receipt.seq_no))]
    pub async fn open_challenge(&self, receipt: &SignedReceipt, evidence: &[u8]) -> Result<Opened> {
        let r = &receipt.receipt;
        let separator = fault_verifier_domain(self.chain_id, self.fault_verifier).separator();
        let digest = r
            .digest(&separator)
            .map_err(|e| ChallengeError::Receipt(format!("{e:?}")))?;
        let key = r.segment_key();
        let fv = self.fv();
        let params = fv
            .params()
            .call()
            .await
            .map_err(ChallengeError::from_contract)?;
        let creation = u64::try_from(r.ticket.creation_round).unwrap_or(u64::MAX);
        let last_round = creation.saturating_add(params.challengeWindowRounds);

        // Challenged before? Ours: answer it (a restart must not pay twice). Someone else's: say so.
        let earlier = fv
            .challengeOfSegment(key)
            .call()
            .await
            .map_err(ChallengeError::from_contract)?;
        if !earlier.is_zero() {
            let c = fv
                .getChallenge(earlier)
                .call()
                .await
                .map_err(ChallengeError::from_contract)?;
            if c.challenger != self.account {
                return Err(ChallengeError::AlreadyChallenged {
                    segment_key: key,
                    challenge_id: earlier,
                    challenger: c.challenger,
                });
            }
            return Ok(Opened {
                challenge_id: earlier,
                segment_key: key,
                receipt_digest: digest,
                verifier: c.verifier,
                bond: U256::from(c.bond),
                tx: None,
                block: None,
                gas_used: 0,
                last_round,
                already_open: true,
            });
        }

        // The window: refuse locally (with the contract's own error) rather than pay for a revert.
        let current = RoundsManager::new(self.rounds_manager, &self.provider)
            .currentRound()
            .call()
            .await
            .map_err(ChallengeError::from_contract)?;
        if current > U256::from(last_round) {
            return Err(ChallengeError::Refused(
                FaultVerifierErrors::ChallengeWindowExpired(
                    FaultVerifier::ChallengeWindowExpired {
                        creationRound: r.ticket.creation_round,
                        lastRound: U256::from(last_round),
                        currentRound: current,
                    },
                ),
            ));
        }

        let bond = U256::from(params.challengeBond);
        let call = fv
            .openChallenge(
                r.to_abi(),
                receipt.signature.clone(),
                Bytes::copy_from_slice(evidence),
            )
            .value(bond)
            .from(self.account);
        // Simulate first: every refusal comes back as the contract's custom error, for free.
        call.call().await.map_err(ChallengeError::from_contract)?;
        let pending = call.send().await.map_err(ChallengeError::from_contract)?;
        let tx = pending.get_receipt().await.map_err(ChallengeError::rpc)?;
        if !tx.status() {
            return Err(ChallengeError::Reverted(tx.transaction_hash));
        }
        let ev = tx
            .decoded_log::<FaultVerifier::ChallengeOpened>()
            .ok_or_else(|| ChallengeError::Rpc("no ChallengeOpened in the receipt".into()))?;
        tracing::info!(target: "challenge", challenge = %ev.challengeId, tx = %tx.transaction_hash, gas = tx.gas_used, "challenge opened");
        Ok(Opened {
            challenge_id: ev.challengeId,
            segment_key: ev.segmentKey,
            receipt_digest: ev.receiptDigest,
            verifier: ev.verifier,
            bond: ev.bond,
            tx: Some(tx.transaction_hash),
            block: tx.block_number,
            gas_used: tx.gas_used,
            last_round,
            already_open: false,
        })
    }

    /// The challenge's current status.
    pub async fn status(&self, challenge_id: U256) -> Result<Status> {
        let c = self
            .fv()
            .getChallenge(challenge_id)
            .call()
            .await
            .map_err(ChallengeError::from_contract)?;
        Ok(Status::from_u8(c.status))
    }

    /// Waits until challenge `challenge_id` is settled, resolving it when its decision is due
    /// (if `opts.resolve`), and returns how it ended.
    #[tracing::instrument(skip_all, target = "challenge", fields(challenge = %challenge_id))]
    pub async fn follow(&self, challenge_id: U256, opts: &FollowOptions) -> Result<Outcome> {
        let start = Instant::now();
        let fv = self.fv();
        let mut resolved: Option<(B256, u64)> = None;
        loop {
            let status = self.status(challenge_id).await?;
            match status {
                Status::None => {
                    return Err(ChallengeError::Refused(
                        FaultVerifierErrors::UnknownChallenge(FaultVerifier::UnknownChallenge {
                            challengeId: challenge_id,
                        }),
                    ));
                }
                Status::Pending => {}
                _ => return self.outcome(challenge_id, status, resolved).await,
            }
            if opts.resolve {
                let call = fv.resolve(challenge_id).from(self.account);
                match call.call().await {
                    Ok(_) => {
                        let pending = call.send().await.map_err(ChallengeError::from_contract)?;
                        let tx = pending.get_receipt().await.map_err(ChallengeError::rpc)?;
                        if tx.status() {
                            tracing::info!(target: "challenge", tx = %tx.transaction_hash, gas = tx.gas_used, "resolved");
                            resolved = Some((tx.transaction_hash, tx.gas_used));
                            continue;
                        }
                        // Someone else resolved it first: the next look says how.
                        tracing::debug!(target: "challenge", tx = %tx.transaction_hash, "resolve reverted");
                        continue;
                    }
                    Err(e) => match ChallengeError::from_contract(e) {
                        ChallengeError::Refused(
                            FaultVerifierErrors::VerdictPending(_)
                            | FaultVerifierErrors::ChallengeNotPending(_),
                        ) => {}
                        other => return Err(other),
                    },
                }
            }
            if start.elapsed() >= opts.timeout {
                return Err(ChallengeError::Timeout {
                    challenge_id,
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(opts.poll).await;
        }
    }

    /// How a settled challenge ended, from the FaultVerifier's events about it.
    async fn outcome(
        &self,
        challenge_id: U256,
        status: Status,
        resolved: Option<(B256, u64)>,
    ) -> Result<Outcome> {
        let filter = Filter::new()
            .address(self.fault_verifier)
            .topic1(B256::from(challenge_id))
            .from_block(self.from_block);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(ChallengeError::rpc)?;
        let mut out = Outcome {
            challenge_id,
            status,
            verdict: Verdict::Pending,
            slashed: U256::ZERO,
            finder_fee: U256::ZERO,
            bond_refunded: U256::ZERO,
            bond_burned: U256::ZERO,
            resolve_tx: resolved.map(|r| r.0),
            resolve_gas: resolved.map_or(0, |r| r.1),
        };
        for l in &logs {
            let data = &l.inner;
            match l.topic0() {
                Some(&FaultVerifier::VerdictReached::SIGNATURE_HASH) => {
                    if let Ok(e) = FaultVerifier::VerdictReached::decode_log(data) {
                        out.verdict = Verdict::from_u8(e.verdict);
                    }
                }
                Some(&FaultVerifier::OrchestratorSlashed::SIGNATURE_HASH) => {
                    if let Ok(e) = FaultVerifier::OrchestratorSlashed::decode_log(data) {
                        out.slashed = e.slashed;
                        out.finder_fee = e.finderFee;
                    }
                }
                Some(&FaultVerifier::BondRefunded::SIGNATURE_HASH) => {
                    if let Ok(e) = FaultVerifier::BondRefunded::decode_log(data) {
                        out.bond_refunded += e.amount;
                    }
                }
                Some(&FaultVerifier::BondBurned::SIGNATURE_HASH) => {
                    if let Ok(e) = FaultVerifier::BondBurned::decode_log(data) {
                        out.bond_burned += e.amount;
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// ETH credited to this account and not yet withdrawn.
    pub async fn credit(&self) -> Result<U256> {
        self.fv()
            .creditOf(self.account)
            .call()
            .await
            .map_err(ChallengeError::from_contract)
    }

    /// Withdraws everything credited to this account (refunded bonds). Nothing credited: no
    /// transaction, amount 0.
    pub async fn collect(&self) -> Result<Collected> {
        let amount = self.credit().await?;
        if amount.is_zero() {
            return Ok(Collected {
                amount,
                tx: None,
                gas_used: 0,
            });
        }
        let fv = self.fv();
        let call = fv.withdraw().from(self.account);
        call.call().await.map_err(ChallengeError::from_contract)?;
        let tx = call
            .send()
            .await
            .map_err(ChallengeError::from_contract)?
            .get_receipt()
            .await
            .map_err(ChallengeError::rpc)?;
        if !tx.status() {
            return Err(ChallengeError::Reverted(tx.transaction_hash));
        }
        let paid = tx
            .decoded_log::<FaultVerifier::Withdrawn>()
            .map_or(amount, |e| e.amount);
        tracing::info!(target: "challenge", amount = %paid, tx = %tx.transaction_hash, "credit withdrawn");
        Ok(Collected {
            amount: paid,
            tx: Some(tx.transaction_hash),
            gas_used: tx.gas_used,
        })
    }
}
