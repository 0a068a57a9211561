//! [`Keeper`]: the handle an orchestrator embeds: ticket parameters for a sender, ticket intake
//! (validation, replay protection, durable storage of winners before the answer), and the sender
//! risk questions.

use crate::chain::ChainState;
use crate::params::RandDeriver;
use crate::store::{Duplicate, IntakeRecord, Refused, Store, StoreError, Winner};
use alloy::primitives::{Address, B256, U256};
use std::sync::{Arc, Mutex, RwLock};
use streamflow_protocol::pricing::{self, PricingError};
use streamflow_protocol::ticket::{SignedTicket, UnpackError, recipient_rand_hash};
use streamflow_protocol::validate::{BrokerView, SenderFunds};
use streamflow_protocol::{MemoryBroker, Rejection as ContractRejection, Validator};
use tokio::sync::oneshot;

/// What the keeper needs to know about its orchestrator and its prices.
#[derive(Debug, Clone)]
pub struct KeeperConfig {
    /// Chain id of the deployment.
    pub chain_id: u64,
    /// The TicketBroker proxy.
    pub broker: Address,
    /// The orchestrator (the tickets' recipient, the account that redeems).
    pub recipient: Address,
    /// Wei the orchestrator wants per ticket on average (its price per segment).
    pub expected_value: U256,
    /// A winning ticket's face value is this many times the cost of redeeming it (go-livepeer: 100).
    pub face_value_multiplier: u64,
    /// Gas a single redemption takes (used to size face values).
    pub redeem_gas: u64,
}

/// What a sender needs to make tickets for this orchestrator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketParams {
    /// The orchestrator.
    pub recipient: Address,
    /// Face value in wei.
    pub face_value: U256,
    /// Win probability.
    pub win_prob: U256,
    /// `keccak256(recipientRand)`.
    pub recipient_rand_hash: B256,
    /// The seed to send back with each ticket.
    pub seed: B256,
    /// The round to put in `creationRound`.
    pub creation_round: u64,
    /// The block hash of that round.
    pub creation_round_block_hash: B256,
    /// The last block at which a ticket made with these parameters is still accepted here.
    pub expiration_block: u64,
}

/// A ticket as a sender submits it: the packed ticket (257 bytes; its `recipientRand` field is
/// ignored and filled in by the keeper) and the seed of the parameters it was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The packed ticket.
    pub packed: Vec<u8>,
    /// The seed from [`TicketParams::seed`].
    pub seed: B256,
}

/// The answer to an accepted ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    /// The ticket's digest.
    pub ticket_hash: B256,
    /// Whether it won (and is now stored durably, to be redeemed).
    pub winning: bool,
}

/// Why a ticket was refused. Nothing of a refused ticket is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The bytes are not a packed ticket.
    #[error("malformed ticket: {0}")]
    Malformed(#[from] UnpackError),
    /// The TicketBroker would refuse it, with this error.
    #[error("{0}")]
    Contract(ContractRejection),
    /// The random number behind `recipientRandHash` is already on chain: tickets against it are
    /// worthless (the sender can make them all lose). Ask for new parameters.
    #[error(
        "recipientRandHash {0} is retired (its number was revealed on chain); ask for new ticket parameters"
    )]
    RandRevealed(B256),
    /// A ticket with this sender nonce under this random number was accepted before.
    #[error("replayed sender nonce {nonce} under recipientRandHash {rand_hash}")]
    NonceReplayed {
        /// `recipientRandHash`.
        rand_hash: B256,
        /// The nonce.
        nonce: u32,
    },
    /// This very ticket was accepted before.
    #[error("ticket {0} was already received")]
    Duplicate(B256),
    /// The sender started its unlock: its funds stop backing tickets; this orchestrator stops
    /// serving it.
    #[error("sender {sender} is unlocking (withdraw round {withdraw_round}): not served")]
    SenderUnlocking {
        /// The sender.
        sender: Address,
        /// Its withdraw round.
        withdraw_round: u64,
    },
    /// The sender's funds, less what it already owes this orchestrator, can't pay a winning ticket:
    /// stop serving it (`LowPMBalance`).
    #[error(
        "LowPMBalance: sender {sender} can pay {available} wei more, a winning ticket is {face_value}"
    )]
    LowPMBalance {
        /// The sender.
        sender: Address,
        /// Deposit + remaining reserve allocation − pending winners.
        available: U256,
        /// The ticket's face value.
        face_value: U256,
    },
    /// The keeper has no chain state yet (starting, or the node is unreachable since start).
    #[error("the keeper is not synced with the chain yet")]
    NotSynced,
    /// The store failed; the ticket was not stored (the sender may retry).
    #[error("storage failure: {0}")]
    Storage(String),
}

/// Why ticket parameters can't be issued.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// No chain state yet.
    #[error("the keeper is not synced with the chain yet")]
    NotSynced,
    /// The sender is unlocking.
    #[error("sender {0} is unlocking: not served")]
    SenderUnlocking(Address),
    /// The sender can't cover a ticket (`LowPMBalance`).
    #[error("LowPMBalance: {0}")]
    LowPMBalance(PricingError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sender's funds could not be read.
    #[error("chain: {0}")]
    Chain(String),
}

/// The intake view: the chain snapshot, plus this keeper's own tickets as "used" (a replay of an
/// accepted ticket is refused as the broker refuses a used one).
struct IntakeView<'a> {
    chain: &'a MemoryBroker,
    store: &'a Store,
}

impl BrokerView for IntakeView<'_> {
    fn current_round(&self) -> u64 {
        self.chain.current_round()
    }
    fn ticket_validity_period(&self) -> u64 {
        self.chain.ticket_validity_period()
    }
    fn block_hash_for_round(&self, round: u64) -> B256 {
        self.chain.block_hash_for_round(round)
    }
    fn is_used(&self, ticket_hash: &B256) -> bool {
        // A store error counts as used: refuse rather than risk a double count.
        self.chain.is_used(ticket_hash) || self.store.has_ticket(ticket_hash).unwrap_or(true)
    }
    fn is_active(&self, recipient: Address, round: u64) -> bool {
        self.chain.is_active(recipient, round)
    }
    fn sender(&self, sender: Address) -> SenderFunds {
        self.chain.sender(sender)
    }
    fn remaining_reserve_allocation(
        &self,
        sender: Address,
        recipient: Address,
        round: u64,
    ) -> U256 {
        self.chain
            .remaining_reserve_allocation(sender, recipient, round)
    }
}

struct GroupItem {
    record: IntakeRecord,
    reply: oneshot::Sender<Result<Result<(), Refused>, String>>,
}

pub(crate) struct Inner {
    pub(crate) config: KeeperConfig,
    pub(crate) validator: Validator,
    pub(crate) rand: RandDeriver,
    pub(crate) store: Arc<Mutex<Store>>,
    pub(crate) chain: Arc<RwLock<Option<ChainState>>>,
    reader: RwLock<Option<crate::chain::ChainReader>>,
    pub(crate) metrics: crate::metrics::Metrics,
    group: std::sync::mpsc::Sender<GroupItem>,
}

/// The keeper handle (cheap to clone). Intake is group-committed on a dedicated thread: every
/// ticket waiting when a commit starts shares its fsync.
#[derive(Clone)]
pub struct Keeper {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Keeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keeper")
            .field("recipient", &self.inner.config.recipient)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Keeper {
    /// A keeper over the store at `db` (created if missing) for `config`. It answers
    /// [`Rejection::NotSynced`] until chain state is set ([`Keeper::set_chain_state`], done by the
    /// chain watcher).
    pub fn open(db: impl AsRef<std::path::Path>, config: KeeperConfig) -> Result<Self, StoreError> {
        let mut store = Store::open(db)?;
        let secret = store.secret()?;
        let rand = RandDeriver::new(&secret, config.chain_id, config.broker, config.recipient);
        let store = Arc::new(Mutex::new(store));
        let chain = Arc::new(RwLock::new(None));
        let (tx, rx) = std::sync::mpsc::channel::<GroupItem>();
        let committer = store.clone();
        let funds = chain.clone();
        let recipient = config.recipient;
        std::thread::Builder::new()
            .name("keeper-group-commit".into())
            .spawn(move || group_commit(committer, funds, recipient, rx))
            .map_err(|_| StoreError::Corrupt("cannot start the commit thread"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                validator: Validator::new(config.chain_id, config.broker),
                config,
                rand,
                store,
                chain,
                reader: RwLock::new(None),
                metrics: crate::metrics::Metrics::default(),
                group: tx,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &KeeperConfig {
        &self.inner.config
    }

    /// The metrics this keeper keeps.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// Lets the keeper read a sender it has not seen yet (its funds are then in every snapshot).
    pub fn attach_reader(&self, reader: crate::chain::ChainReader) {
        *self.inner.reader.write().unwrap_or_else(|p| p.into_inner()) = Some(reader);
    }

    /// Makes sure the snapshot covers `sender`: reads its funds if the snapshot lacks them.
    pub async fn ensure_sender(&self, sender: Address) -> Result<(), crate::chain::ChainError> {
        let round = {
            let chain = self.inner.chain.read().unwrap_or_else(|p| p.into_inner());
            match chain.as_ref() {
                Some(c) if !c.broker.senders.contains_key(&sender) => c.broker.current_round,
                _ => return Ok(()),
            }
        };
        let reader = self
            .inner
            .reader
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(reader) = reader else {
            return Ok(());
        };
        let (funds, left) = reader.sender_funds(sender, round).await?;
        let mut chain = self.inner.chain.write().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = chain.as_mut()
            && c.broker.current_round == round
        {
            c.broker.senders.entry(sender).or_insert(funds);
            c.broker
                .reserve_allocations
                .entry((sender, self.inner.config.recipient, round))
                .or_insert(left);
        }
        Ok(())
    }

    /// Replaces the chain snapshot intake checks against.
    pub fn set_chain_state(&self, state: ChainState) {
        *self.inner.chain.write().unwrap_or_else(|p| p.into_inner()) = Some(state);
    }

    /// A copy of the chain snapshot.
    pub fn chain_state(&self) -> Option<ChainState> {
        self.inner
            .chain
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Runs `f` on the store.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.inner.store))
    }

    /// What `sender` can still pay this orchestrator: deposit + remaining reserve allocation in the
    /// current round − face value of its winning tickets not redeemed yet. `None` when not synced.
    pub fn exposure(&self, sender: Address) -> Option<U256> {
        let chain = self.inner.chain.read().unwrap_or_else(|p| p.into_inner());
        let chain = chain.as_ref()?;
        let pending = lock(&self.inner.store).pending_face_value(sender).ok()?;
        Some(available(
            &chain.broker,
            sender,
            self.inner.config.recipient,
            pending,
        ))
    }

    /// Whether `sender` is served and can pay `amount` more (its exposure covers it).
    pub fn sender_can_pay(&self, sender: Address, amount: U256) -> bool {
        let unlocking = self
            .chain_state()
            .map(|c| c.broker.sender(sender).withdraw_round != 0)
            .unwrap_or(true);
        !unlocking && self.exposure(sender).is_some_and(|a| a >= amount)
    }

    /// Ticket parameters for `sender`: its current seed (issued and stored on first ask, replaced
    /// once its random number has been revealed on chain), a face value of `redeem cost ×
    /// multiplier` capped by what the sender can pay, and the win probability that makes the
    /// configured expected value.
    pub async fn params_for(&self, sender: Address) -> Result<TicketParams, ParamsError> {
        self.ensure_sender(sender)
            .await
            .map_err(|e| ParamsError::Chain(e.to_string()))?;
        let chain = self.chain_state().ok_or(ParamsError::NotSynced)?;
        if chain.broker.sender(sender).withdraw_round != 0 {
            return Err(ParamsError::SenderUnlocking(sender));
        }
        let (seed, rand_hash, pending) = {
            let mut store = lock(&self.inner.store);
            let current = store.current_seed(sender)?;
            let current = match current {
                Some((seed, hash)) if !store.is_revealed(&hash)? => (seed, hash),
                _ => {
                    let seed = B256::from(rand::random::<[u8; 32]>());
                    let hash = recipient_rand_hash(&self.inner.rand.rand(sender, &seed));
                    store.set_seed(sender, seed, hash)?;
                    (seed, hash)
                }
            };
            (current.0, current.1, store.pending_face_value(sender)?)
        };
        let float = available(&chain.broker, sender, self.inner.config.recipient, pending);
        let redeem_cost =
            U256::from(self.inner.config.redeem_gas) * U256::from(chain.gas_price.max(1));
        let terms = pricing::ticket_terms(
            self.inner.config.expected_value,
            redeem_cost,
            self.inner.config.face_value_multiplier,
            float,
        )
        .map_err(ParamsError::LowPMBalance)?;
        let round = chain.broker.current_round;
        Ok(TicketParams {
            recipient: self.inner.config.recipient,
            face_value: U256::from(terms.face_value),
            win_prob: terms.win_prob,
            recipient_rand_hash: rand_hash,
            seed,
            creation_round: round,
            creation_round_block_hash: chain.broker.block_hash_for_round(round),
            expiration_block: chain.round_start_block
                + chain.round_length * chain.broker.ticket_validity_period,
        })
    }

    /// Takes a ticket: validates it exactly as the broker would redeem it for this orchestrator
    /// (losing tickets accepted), refuses retired random numbers, replays, unlocking senders and
    /// senders that can't pay, then stores it — a winning ticket durably (fsync'd) before this
    /// returns. Nothing is stored for a refused ticket.
    pub async fn submit(&self, submission: &Submission) -> Result<Ack, Rejection> {
        let result = self.submit_inner(submission).await;
        self.inner.metrics.record_intake(&result);
        result
    }

    async fn submit_inner(&self, submission: &Submission) -> Result<Ack, Rejection> {
        let mut t = SignedTicket::unpack(&submission.packed)?;
        // A sender never seen: read its funds first (a failure leaves it unfunded: refused).
        let _ = self.ensure_sender(t.ticket.sender).await;
        t.recipient_rand = self.inner.rand.rand(t.ticket.sender, &submission.seed);
        let (sender, face_value) = (t.ticket.sender, U256::from(t.ticket.face_value));
        let record = {
            let chain = self.inner.chain.read().unwrap_or_else(|p| p.into_inner());
            let chain = chain.as_ref().ok_or(Rejection::NotSynced)?;
            let store = lock(&self.inner.store);
            let view = IntakeView {
                chain: &chain.broker,
                store: &store,
            };
            let intake = self
                .inner
                .validator
                .check_intake(&view, self.inner.config.recipient, &t)
                .map_err(Rejection::Contract)?;
            let rand_hash = t.ticket.recipient_rand_hash;
            if store
                .is_revealed(&rand_hash)
                .map_err(|e| Rejection::Storage(e.to_string()))?
            {
                return Err(Rejection::RandRevealed(rand_hash));
            }
            let funds = chain.broker.sender(sender);
            if funds.withdraw_round != 0 {
                return Err(Rejection::SenderUnlocking {
                    sender,
                    withdraw_round: funds.withdraw_round,
                });
            }
            let pending = store
                .pending_face_value(sender)
                .map_err(|e| Rejection::Storage(e.to_string()))?;
            // A first check on the snapshot (a winner is checked again, atomically with its
            // recording, by the commit thread).
            let available = available(&chain.broker, sender, self.inner.config.recipient, pending);
            if face_value > available {
                return Err(Rejection::LowPMBalance {
                    sender,
                    available,
                    face_value,
                });
            }
            IntakeRecord {
                ticket_hash: intake.payment.ticket_hash,
                sender,
                rand_hash,
                sender_nonce: t.ticket.sender_nonce,
                winner: intake.winning.then(|| Winner {
                    face_value: t.ticket.face_value,
                    creation_round: u64::from(t.ticket.creation_round),
                    expiry_round: u64::from(t.ticket.creation_round)
                        + chain.broker.ticket_validity_period,
                    from_reserve: !intake.payment.from_reserve.is_zero(),
                    packed: t.pack(),
                }),
            }
        };
        let ack = Ack {
            ticket_hash: record.ticket_hash,
            winning: record.winner.is_some(),
        };
        let (reply, answer) = oneshot::channel();
        self.inner
            .group
            .send(GroupItem { record, reply })
            .map_err(|_| Rejection::Storage("the commit thread stopped".into()))?;
        match answer.await {
            Ok(Ok(Ok(()))) => Ok(ack),
            Ok(Ok(Err(Refused::Duplicate(Duplicate::Ticket(h))))) => Err(Rejection::Duplicate(h)),
            Ok(Ok(Err(Refused::Duplicate(Duplicate::Nonce { rand_hash, nonce })))) => {
                Err(Rejection::NonceReplayed { rand_hash, nonce })
            }
            Ok(Ok(Err(Refused::OverLimit { available }))) => Err(Rejection::LowPMBalance {
                sender,
                available,
                face_value,
            }),
            Ok(Err(e)) => Err(Rejection::Storage(e)),
            Err(_) => Err(Rejection::Storage("the commit thread stopped".into())),
        }
    }
}

/// Deposit + remaining reserve allocation in the current round − `pending`.
fn available(chain: &MemoryBroker, sender: Address, recipient: Address, pending: u128) -> U256 {
    let funds = chain.sender(sender);
    let allocation = chain.remaining_reserve_allocation(sender, recipient, chain.current_round);
    funds
        .deposit
        .saturating_add(allocation)
        .saturating_sub(U256::from(pending))
}

/// The group-commit loop: block for one item, take every other waiting one, write them in one
/// transaction (one fsync), answer each. Each winner's exposure check (its sender's funds in the
/// latest snapshot, less its pending winners) runs inside that transaction, so that concurrent
/// submissions can't together promise more than the sender can pay.
fn group_commit(
    store: Arc<Mutex<Store>>,
    chain: Arc<RwLock<Option<ChainState>>>,
    recipient: Address,
    rx: std::sync::mpsc::Receiver<GroupItem>,
) {
    while let Ok(first) = rx.recv() {
        let mut items = vec![first];
        while let Ok(more) = rx.try_recv() {
            items.push(more);
            if items.len() >= 1024 {
                break;
            }
        }
        let records: Vec<(IntakeRecord, Option<U256>)> = {
            let chain = chain.read().unwrap_or_else(|p| p.into_inner());
            items
                .iter()
                .map(|i| {
                    let limit = i.record.winner.as_ref().map(|_| {
                        chain.as_ref().map_or(U256::ZERO, |c| {
                            available(&c.broker, i.record.sender, recipient, 0)
                        })
                    });
                    (i.record.clone(), limit)
                })
                .collect()
        };
        let result = lock(&store).record_intake_within(&records);
        match result {
            Ok(outcomes) => {
                for (item, outcome) in items.into_iter().zip(outcomes) {
                    let _ = item.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(target: "keeper::store", error = %e, "intake commit failed");
                for item in items {
                    let _ = item.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}
