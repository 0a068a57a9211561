//! The committee member role (`streamflow-node verifier`): judges the challenges of services whose
//! verification function is the CommitteeVerifier, and gets the committee's M-of-N verdict on chain
//! before the deadline.
//!
//! A member runs three things until its shutdown future resolves:
//!
//! - **a watcher**: `eth_getLogs` for the CommitteeVerifier's `ReviewRequested` from the last block it
//!   saw (the deployment block at start, or `from_block`), in pages; each new review is a case;
//! - **a judge** per case ([`judge`]): the receipt and the challenger's evidence URL come from the
//!   `openChallenge` calldata of the transaction that emitted the review (the receipt digest is
//!   recomputed and must match the event's); the member fetches the evidence by the hashes the
//!   receipt signs, runs the transcoder's verification, and signs a `CommitteeVerdict` under the
//!   committee's EIP-712 domain with its key (from a key file);
//! - **a ballot box** ([`votes`]): members send their signed votes to each other (`POST /v1/votes`
//!   to every configured peer, retried); each checks a vote's signature, that its signer is a
//!   member, and that it names the review's receipt digest. The first member to hold `threshold`
//!   matching votes submits them in one `submitVerdict` transaction (signers ascending); members
//!   stagger their submission by their rank so that usually only one pays gas, and a member that
//!   finds the verdict already submitted stops.
//!
//! Setting up a committee on a dev chain (members, threshold, verdict period, a known service judged
//! by the committee) is [`setup`].

pub mod cli;
pub mod judge;
pub mod setup;
pub mod votes;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::{SolCall, SolEvent};
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::committee_verifier::CommitteeVerifier::{
    self, CommitteeVerifierErrors,
};
use streamflow_bindings::contracts::fault_verifier::FaultVerifier;
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::{
    CommitteeVerdict, Rendition, SegmentReceipt, TicketParams, committee_domain,
    fault_verifier_domain,
};
use tokio::sync::Semaphore;

use crate::evidence;
use judge::{Case, FetchPolicy};
use votes::Vote;

/// Why the member could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// A configuration problem.
    #[error("config: {0}")]
    Config(String),
    /// The key file.
    #[error(transparent)]
    Key(#[from] streamflow_keeper::daemon::DaemonError),
    /// The deployment file.
    #[error(transparent)]
    Deployment(#[from] streamflow_bindings::DeploymentError),
    /// The chain.
    #[error("chain: {0}")]
    Chain(String),
    /// A local file or the listener.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// A member's settings, as read from the TOML file (every field has a default but `rpc_url`,
/// `deployment` and `key_file`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Ethereum node's JSON-RPC URL.
    pub rpc_url: String,
    /// The deployment file written by the deploy script.
    pub deployment: PathBuf,
    /// A file holding the member's private key (hex), readable only by its owner.
    pub key_file: PathBuf,
    /// Where the ballot box listens (other members post their votes here).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The other members' ballot boxes, e.g. `http://10.0.0.2:8945`.
    #[serde(default)]
    pub peers: Vec<String>,
    /// Scratch directory for downloaded evidence.
    #[serde(default = "default_work_dir")]
    pub work_dir: PathBuf,
    /// Milliseconds between two looks for new reviews.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// First block to scan (default: the deployment block).
    #[serde(default)]
    pub from_block: Option<u64>,
    /// Seconds to keep trying to fetch a challenger's evidence before judging without it.
    #[serde(default = "default_evidence_wait")]
    pub evidence_wait_secs: u64,
    /// Milliseconds each rank waits before submitting the committee's verdict.
    #[serde(default = "default_stagger")]
    pub submit_stagger_ms: u64,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8945))
}
fn default_work_dir() -> PathBuf {
    PathBuf::from("verifier-work")
}
fn default_poll() -> u64 {
    1000
}
fn default_evidence_wait() -> u64 {
    120
}
fn default_stagger() -> u64 {
    2000
}

impl Config {
    /// Reads a TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, VerifierError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| VerifierError::Config(format!("{}: {e}", path.display())))?;
        toml::from_str(&text).map_err(|e| VerifierError::Config(format!("{}: {e}", path.display())))
    }
}

/// One review's votes as this member holds them.
#[derive(Debug, Default)]
struct Ballot {
    receipt_digest: B256,
    deadline: u64,
    /// signer → (fault, signature)
    votes: BTreeMap<Address, (bool, Bytes)>,
    submitting: bool,
    done: bool,
}

/// The member: its key, its view of the committee, its ballots.
#[derive(Debug)]
pub(crate) struct Member {
    provider: DynProvider,
    signer: LocalSigner,
    address: Address,
    deployment: Deployment,
    committee_separator: B256,
    http: reqwest::Client,
    config: Config,
    ballots: Mutex<HashMap<(Address, U256), Ballot>>,
    members: Mutex<HashMap<Address, bool>>,
    judging: Semaphore,
}

fn chain_err(e: impl std::fmt::Display) -> VerifierError {
    VerifierError::Chain(e.to_string())
}

impl Member {
    fn committee(&self) -> CommitteeVerifier::CommitteeVerifierInstance<&DynProvider> {
        CommitteeVerifier::new(self.deployment.committee_verifier, &self.provider)
    }

    fn lock_ballots(&self) -> std::sync::MutexGuard<'_, HashMap<(Address, U256), Ballot>> {
        self.ballots.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn is_member(&self, a: Address) -> Result<bool, VerifierError> {
        if let Some(&yes) = self
            .members
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&a)
            && yes
        {
            return Ok(true);
        }
        let yes = self
            .committee()
            .isMember(a)
            .call()
            .await
            .map_err(chain_err)?;
        if yes {
            self.members
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(a, true);
        }
        Ok(yes)
    }

    /// The on-chain review: (receipt digest, deadline, verdict as u8).
    async fn review(&self, fv: Address, id: U256) -> Result<(B256, u64, u8), VerifierError> {
        let r = self
            .committee()
            .getReviewFor(fv, id)
            .call()
            .await
            .map_err(chain_err)?;
        Ok((r.receiptDigest, r.deadline, r.verdict))
    }

    /// Signs this member's vote on `case`.
    fn sign(&self, case: &Case, fault: bool) -> Vote {
        let v = CommitteeVerdict {
            challenge_id: case.challenge_id,
            receipt_digest: case.receipt_digest,
            fault,
        };
        let sig = self
            .signer
            .sign_digest(&v.digest(&self.committee_separator));
        Vote {
            fault_verifier: case.fault_verifier,
            challenge_id: case.challenge_id,
            receipt_digest: case.receipt_digest,
            fault,
            signer: self.address,
            signature: Bytes::copy_from_slice(&sig),
        }
    }

    /// Checks and records a vote (this member's or a peer's); submits when the threshold is met.
    pub(crate) async fn accept(self: &Arc<Self>, vote: Vote) -> Result<(), votes::VoteRejected> {
        use votes::VoteRejected as R;
        let verdict = CommitteeVerdict {
            challenge_id: vote.challenge_id,
            receipt_digest: vote.receipt_digest,
            fault: vote.fault,
        };
        let sig: [u8; 65] = vote
            .signature
            .as_ref()
            .try_into()
            .map_err(|_| R::BadSignature)?;
        let recovered =
            streamflow_protocol::ecdsa::recover(&verdict.digest(&self.committee_separator), &sig);
        if recovered != Some(vote.signer) {
            return Err(R::BadSignature);
        }
        if !self
            .is_member(vote.signer)
            .await
            .map_err(|e| R::Unavailable(e.to_string()))?
        {
            return Err(R::NotMember(vote.signer));
        }
        let key = (vote.fault_verifier, vote.challenge_id);
        let known = self
            .lock_ballots()
            .get(&key)
            .map(|b| (b.receipt_digest, b.deadline));
        let (digest, deadline) = match known {
            Some(k) => k,
            None => {
                let (d, deadline, _) = self
                    .review(vote.fault_verifier, vote.challenge_id)
                    .await
                    .map_err(|e| R::Unavailable(e.to_string()))?;
                if deadline == 0 {
                    return Err(R::UnknownReview);
                }
                (d, deadline)
            }
        };
        if digest != vote.receipt_digest {
            return Err(R::WrongDigest);
        }
        {
            let mut ballots = self.lock_ballots();
            let b = ballots.entry(key).or_default();
            b.receipt_digest = digest;
            b.deadline = deadline;
            b.votes
                .insert(vote.signer, (vote.fault, vote.signature.clone()));
        }
        tracing::info!(target: "verifier", challenge = %vote.challenge_id, signer = %vote.signer, fault = vote.fault, "vote recorded");
        let me = Arc::clone(self);
        tokio::spawn(async move { me.maybe_submit(key).await });
        Ok(())
    }

    /// The votes held for a review (for `GET /v1/votes/...`).
    pub(crate) fn votes_for(&self, fv: Address, id: U256) -> Vec<Vote> {
        let ballots = self.lock_ballots();
        ballots
            .get(&(fv, id))
            .map(|b| {
                b.votes
                    .iter()
                    .map(|(signer, (fault, sig))| Vote {
                        fault_verifier: fv,
                        challenge_id: id,
                        receipt_digest: b.receipt_digest,
                        fault: *fault,
                        signer: *signer,
                        signature: sig.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Submits the verdict if `threshold` votes agree and nobody is submitting it already here.
    async fn maybe_submit(self: Arc<Self>, key: (Address, U256)) {
        let threshold = match self.committee().threshold().call().await {
            Ok(t) => usize::try_from(t).unwrap_or(usize::MAX),
            Err(e) => {
                tracing::warn!(target: "verifier", error = %e, "reading the threshold failed");
                return;
            }
        };
        let (fault, signers) = {
            let mut ballots = self.lock_ballots();
            let Some(b) = ballots.get_mut(&key) else {
                return;
            };
            if b.submitting || b.done {
                return;
            }
            let side = |f: bool| -> Vec<(Address, Bytes)> {
                b.votes
                    .iter()
                    .filter(|(_, (x, _))| *x == f)
                    .map(|(a, (_, s))| (*a, s.clone()))
                    .collect()
            };
            let (yes, no) = (side(true), side(false));
            let (fault, chosen) = if yes.len() >= threshold {
                (true, yes)
            } else if no.len() >= threshold {
                (false, no)
            } else {
                return;
            };
            b.submitting = true;
            (fault, chosen)
        };
        // Signers ascend (BTreeMap order); exactly `threshold` of them, the cheapest call.
        let signers: Vec<(Address, Bytes)> = signers.into_iter().take(threshold).collect();
        let rank = signers
            .iter()
            .position(|(a, _)| *a == self.address)
            .unwrap_or(signers.len());
        let stagger = Duration::from_millis(self.config.submit_stagger_ms) * rank as u32;
        tokio::time::sleep(stagger).await;
        // A failed attempt (node down, gas) is retried while the review can still take a verdict.
        let mut outcome = false;
        for attempt in 0..SUBMIT_ATTEMPTS {
            outcome = self.submit(key, fault, signers.clone()).await;
            if outcome || !self.before_deadline(key).await {
                break;
            }
            tracing::info!(target: "verifier", challenge = %key.1, attempt, "verdict not submitted yet; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let mut ballots = self.lock_ballots();
        if let Some(b) = ballots.get_mut(&key) {
            b.submitting = false;
            b.done = outcome;
        }
    }

    /// Whether the chain is still at or before the review's deadline (true if unknown).
    async fn before_deadline(&self, key: (Address, U256)) -> bool {
        let deadline = self.lock_ballots().get(&key).map(|b| b.deadline);
        match (deadline, self.provider.get_block_number().await) {
            (Some(d), Ok(head)) => head <= d,
            _ => true,
        }
    }

    /// Sends `submitVerdict`; true once the review has a verdict (ours or someone else's).
    async fn submit(
        &self,
        key: (Address, U256),
        fault: bool,
        signers: Vec<(Address, Bytes)>,
    ) -> bool {
        let (fv, id) = key;
        match self.review(fv, id).await {
            Ok((_, _, v)) if v != 0 => {
                tracing::info!(target: "verifier", challenge = %id, "verdict already submitted by another member");
                return true;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(target: "verifier", error = %e, "reading the review failed");
                return false;
            }
        }
        let sigs: Vec<Bytes> = signers.into_iter().map(|(_, s)| s).collect();
        let c = self.committee();
        // Two calls of different types: the registered FaultVerifier's challenge, or a replaced one's.
        macro_rules! simulate_and_send {
            ($call:expr) => {{
                let call = $call.from(self.address);
                if let Err(e) = call.call().await {
                    return self.refused(id, &e);
                }
                call.send()
                    .await
                    .map(|p| async move { p.get_receipt().await })
            }};
        }
        let sent = if fv == self.deployment.fault_verifier {
            match simulate_and_send!(c.submitVerdict(id, fault, sigs)) {
                Ok(f) => Ok(f.await),
                Err(e) => Err(e),
            }
        } else {
            match simulate_and_send!(c.submitVerdictFor(fv, id, fault, sigs)) {
                Ok(f) => Ok(f.await),
                Err(e) => Err(e),
            }
        };
        match sent {
            Ok(Ok(r)) if r.status() => {
                tracing::info!(target: "verifier", challenge = %id, fault, tx = %r.transaction_hash, gas = r.gas_used, "committee verdict submitted");
                true
            }
            Ok(Ok(r)) => {
                // Lost a race with another member: the review says so.
                tracing::info!(target: "verifier", challenge = %id, tx = %r.transaction_hash, "submitVerdict reverted");
                matches!(self.review(fv, id).await, Ok((_, _, v)) if v != 0)
            }
            Ok(Err(e)) => {
                tracing::warn!(target: "verifier", error = %e, "submitVerdict receipt");
                false
            }
            Err(e) => {
                tracing::warn!(target: "verifier", error = %e, "submitVerdict send");
                false
            }
        }
    }

    /// A refused `submitVerdict` simulation: true if the review is settled anyway.
    fn refused(&self, id: U256, e: &alloy::contract::Error) -> bool {
        match e.as_decoded_interface_error::<CommitteeVerifierErrors>() {
            Some(CommitteeVerifierErrors::VerdictAlreadySubmitted(_)) => true,
            Some(err) => {
                tracing::warn!(target: "verifier", challenge = %id, error = ?err, "the committee refused the verdict");
                matches!(err, CommitteeVerifierErrors::VerdictDeadlinePassed(_))
            }
            None => {
                tracing::warn!(target: "verifier", challenge = %id, error = %e, "submitVerdict simulation failed");
                false
            }
        }
    }

    /// Sends this member's vote to every peer, retrying until each took it or the review is done.
    fn gossip(self: &Arc<Self>, vote: Vote) {
        for peer in self.config.peers.clone() {
            let me = Arc::clone(self);
            let vote = vote.clone();
            tokio::spawn(async move {
                let url = format!("{}{}", peer.trim_end_matches('/'), votes::VOTES_PATH);
                for attempt in 0..600u32 {
                    let done = me
                        .lock_ballots()
                        .get(&(vote.fault_verifier, vote.challenge_id))
                        .is_some_and(|b| b.done);
                    if done {
                        return;
                    }
                    match me
                        .http
                        .post(&url)
                        .json(&vote)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => {
                            tracing::debug!(target: "verifier", %peer, "vote delivered");
                            return;
                        }
                        Ok(r) if r.status().is_client_error() && r.status() != 409 => {
                            tracing::warn!(target: "verifier", %peer, status = %r.status(), "peer refused the vote");
                            return;
                        }
                        other => {
                            tracing::debug!(target: "verifier", %peer, attempt, outcome = ?other.map(|r| r.status()), "peer not reached; retrying");
                        }
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
    }

    /// Reads a review's case from the chain, or says why it can't be judged.
    async fn case_of(&self, log: &Log) -> Result<Option<Case>, String> {
        let ev = CommitteeVerifier::ReviewRequested::decode_log(&log.inner)
            .map_err(|e| format!("undecodable ReviewRequested: {e}"))?;
        let (fv, id) = (ev.faultVerifier, ev.challengeId);
        let (_, _, verdict) = self.review(fv, id).await.map_err(|e| e.to_string())?;
        if verdict != 0 {
            return Ok(None); // decided already (a restart re-reads old reviews)
        }
        let deadline = u64::try_from(ev.deadline).unwrap_or(u64::MAX);
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|e| e.to_string())?;
        if head > deadline {
            return Ok(None);
        }
        let tx_hash = log.transaction_hash.ok_or("log without a transaction")?;
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("transaction not found")?;
        let call = FaultVerifier::openChallengeCall::abi_decode(tx.input()).map_err(|_| {
            "the transaction is not a direct openChallenge call: the receipt can't be read"
                .to_string()
        })?;
        let receipt = receipt_from_abi(&call.receipt);
        let separator = fault_verifier_domain(self.deployment.chain_id, fv).separator();
        let digest = receipt
            .digest(&separator)
            .map_err(|e| format!("receipt: {e:?}"))?;
        if digest != ev.receiptDigest {
            return Err(format!(
                "calldata receipt hashes to {digest}, the review names {}",
                ev.receiptDigest
            ));
        }
        let evidence_uri = evidence::evidence_uri(&call.evidence).map_err(|e| e.to_string())?;
        Ok(Some(Case {
            fault_verifier: fv,
            challenge_id: id,
            receipt_digest: ev.receiptDigest,
            deadline,
            block_hash: log.block_hash.unwrap_or_default(),
            receipt,
            evidence_uri,
        }))
    }

    /// Judges one review and casts this member's vote.
    async fn handle(self: Arc<Self>, log: Log) {
        let case = match self.case_of(&log).await {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(reason) => {
                tracing::warn!(target: "verifier", tx = ?log.transaction_hash, %reason, "can't judge this review; abstaining");
                return;
            }
        };
        {
            let mut ballots = self.lock_ballots();
            let b = ballots
                .entry((case.fault_verifier, case.challenge_id))
                .or_default();
            b.receipt_digest = case.receipt_digest;
            b.deadline = case.deadline;
        }
        tracing::info!(target: "verifier", challenge = %case.challenge_id, orchestrator = %case.receipt.orchestrator, evidence = %case.evidence_uri, "judging");
        let Ok(_permit) = self.judging.acquire().await else {
            return;
        };
        let work = match tempfile::Builder::new()
            .prefix(&format!("challenge-{}-", case.challenge_id))
            .tempdir_in(&self.config.work_dir)
        {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(target: "verifier", error = %e, "no scratch directory; abstaining");
                return;
            }
        };
        let policy = FetchPolicy {
            request_timeout: Duration::from_secs(30),
            retry_every: Duration::from_secs(1),
            give_up_at: Instant::now() + Duration::from_secs(self.config.evidence_wait_secs),
        };
        let started = Instant::now();
        let finding = judge::judge(&case, &self.http, work.path(), &policy).await;
        drop(work);
        tracing::info!(target: "verifier", challenge = %case.challenge_id, fault = finding.fault, secs = started.elapsed().as_secs_f64(), reasons = ?finding.reasons, "judged");
        let vote = self.sign(&case, finding.fault);
        if let Err(e) = self.accept(vote.clone()).await {
            tracing::error!(target: "verifier", error = %e, "own vote refused");
            return;
        }
        self.gossip(vote);
    }
}

/// The receipt in the FaultVerifier's ABI as the protocol crate's type.
pub fn receipt_from_abi(
    r: &streamflow_bindings::contracts::fault_verifier::SegmentReceipt::Receipt,
) -> SegmentReceipt {
    SegmentReceipt {
        broadcaster: r.broadcaster,
        orchestrator: r.orchestrator,
        stream_id: r.streamId,
        seq_no: r.seqNo,
        input_hash: r.inputHash,
        service_id: r.serviceId,
        renditions: r
            .renditions
            .iter()
            .map(|x| Rendition {
                profile: x.profile,
                output_hash: x.outputHash,
                pixels: x.pixels,
            })
            .collect(),
        ticket: TicketParams {
            face_value: r.ticket.faceValue,
            win_prob: r.ticket.winProb,
            sender_nonce: r.ticket.senderNonce,
            recipient_rand_hash: r.ticket.recipientRandHash,
            creation_round: r.ticket.creationRound,
        },
    }
}

/// Attempts at submitting a verdict a member holds the votes for.
const SUBMIT_ATTEMPTS: u32 = 30;

/// Largest block range asked of `eth_getLogs` at once.
const LOG_PAGE: u64 = 1000;

/// Runs a committee member until `shutdown` resolves.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), VerifierError> {
    let key = streamflow_keeper::daemon::load_key(&config.key_file)?;
    let signer =
        LocalSigner::from_alloy(&key).map_err(|e| VerifierError::Config(format!("key: {e}")))?;
    let deployment = Deployment::load(&config.deployment)?;
    let url = config
        .rpc_url
        .parse()
        .map_err(|e| VerifierError::Config(format!("rpc_url: {e}")))?;
    let address = key.address();
    let provider = streamflow_bindings::signing_provider(url, &key);
    let chain_id = provider.get_chain_id().await.map_err(chain_err)?;
    if chain_id != deployment.chain_id {
        return Err(VerifierError::Chain(format!(
            "the node is on chain {chain_id}, the deployment on {}",
            deployment.chain_id
        )));
    }
    std::fs::create_dir_all(&config.work_dir)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let member = Arc::new(Member {
        committee_separator: committee_domain(chain_id, deployment.committee_verifier).separator(),
        provider,
        signer,
        address,
        http: reqwest::Client::new(),
        ballots: Mutex::new(HashMap::new()),
        members: Mutex::new(HashMap::new()),
        judging: Semaphore::new(1),
        config: config.clone(),
        deployment,
    });
    if !member.is_member(address).await? {
        tracing::warn!(target: "verifier", %address, "this key is not a committee member (yet): its votes will be refused");
    }
    tracing::info!(target: "verifier", %address, listen = %listener.local_addr()?, committee = %member.deployment.committee_verifier, peers = member.config.peers.len(), "committee member running");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let http_stop = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let server = tokio::spawn(votes::serve(Arc::clone(&member), listener, http_stop));
    let watcher = tokio::spawn(watch(Arc::clone(&member), stop_rx));
    shutdown.await;
    tracing::info!(target: "verifier", "shutting down");
    let _ = stop_tx.send(true);
    let _ = watcher.await;
    match server.await {
        Ok(r) => r?,
        Err(e) => return Err(VerifierError::Config(format!("http task: {e}"))),
    }
    Ok(())
}

/// Scans for `ReviewRequested` from the starting block on, and spawns a judge for each.
async fn watch(member: Arc<Member>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut next = member
        .config
        .from_block
        .unwrap_or(member.deployment.deploy_block);
    let poll = Duration::from_millis(member.config.poll_ms);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let mut behind = false;
        match scan(&member, next).await {
            Ok((logs, upto, head)) => {
                for log in logs {
                    tasks.spawn(Arc::clone(&member).handle(log));
                }
                next = upto + 1;
                behind = upto < head;
            }
            Err(e) => {
                tracing::warn!(target: "verifier", error = %e, "scanning for reviews failed; retrying")
            }
        }
        while tasks.try_join_next().is_some() {}
        if behind {
            continue; // catching up: the next page at once
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    tasks.shutdown().await;
}

/// New `ReviewRequested` logs from `from` (one page at most), the last block scanned and the head.
async fn scan(member: &Member, from: u64) -> Result<(Vec<Log>, u64, u64), VerifierError> {
    let head = member
        .provider
        .get_block_number()
        .await
        .map_err(chain_err)?;
    if head < from {
        return Ok((Vec::new(), from.saturating_sub(1), head));
    }
    let to = head.min(from + LOG_PAGE - 1);
    let filter = Filter::new()
        .address(member.deployment.committee_verifier)
        .event_signature(CommitteeVerifier::ReviewRequested::SIGNATURE_HASH)
        .from_block(from)
        .to_block(to);
    let logs = member.provider.get_logs(&filter).await.map_err(chain_err)?;
    Ok((logs, to, head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    #[test]
    fn receipt_survives_the_abi_round_trip() {
        let r = SegmentReceipt {
            broadcaster: Address::repeat_byte(1),
            orchestrator: Address::repeat_byte(2),
            stream_id: keccak256("s"),
            seq_no: U256::from(7),
            input_hash: keccak256("in"),
            service_id: keccak256("svc"),
            renditions: vec![
                Rendition {
                    profile: keccak256("p1"),
                    output_hash: keccak256("o1"),
                    pixels: 11,
                },
                Rendition {
                    profile: keccak256("p2"),
                    output_hash: keccak256("o2"),
                    pixels: 22,
                },
            ],
            ticket: TicketParams {
                face_value: U256::from(3),
                win_prob: U256::from(4),
                sender_nonce: U256::from(5),
                recipient_rand_hash: keccak256("rand"),
                creation_round: U256::from(6),
            },
        };
        assert_eq!(receipt_from_abi(&r.to_abi()), r);
    }
}
