//! Redemption: which winning tickets to redeem now, in which transaction, at what fee; and the
//! life of those transactions until the chain says what happened to each ticket.
//!
//! Once per block ([`Redeemer::step`]):
//! 1. **Reconcile** every open transaction: once its receipt is `confirmations` deep, each of its
//!    tickets is settled from the broker's used set (`isUsedTicket`), not from error strings; a
//!    transaction whose nonce was taken by another one (a replacement, or another instance with the
//!    same key) is closed and its tickets settled the same way. A transaction pending too long is
//!    replaced (same nonce, fees raised by 1/8 or more, never above the ceiling).
//! 2. **Settle** waiting tickets the chain already used (another instance redeemed them) and
//!    tickets whose validity ended (expired, with the reason the keeper was waiting).
//! 3. **Plan**: the cost per ticket of one batch is `gas(n) × (base fee + tip) / n`; a ticket goes
//!    when that is at most `max_cost_fraction` of its face value, or when its deadline (the last
//!    round of validity, less a safety margin in blocks) has come and the cost is below its face
//!    value. Only what the sender's funds pay now is included; reserve-paid tickets come first.
//! 4. **Send**: the transaction is signed, written to the store with its tickets (state
//!    `submitted`) and only then broadcast; the random numbers it reveals are retired and the
//!    senders' seeds rotated.

use crate::chain::{ChainError, ChainReader, ChainState};
use crate::keeper::Keeper;
use crate::store::{StoredTicket, StoredTx, TicketState};
use crate::txsend::TxSender;
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::{SolCall, SolError, SolEvent, SolInterface};
use std::collections::HashSet;
use streamflow_bindings::contracts::TicketBroker;
use streamflow_protocol::ticket::SignedTicket;
use streamflow_protocol::validate::BrokerView;

/// The redemption policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Redeem when gas costs at most this fraction of the face value, in basis points (100 = 1 %).
    pub max_cost_bps: u64,
    /// Blocks before the end of a ticket's last valid round by which it must be submitted.
    pub safety_margin_blocks: u64,
    /// Never offer more than this per gas (wei).
    pub max_fee_per_gas: u128,
    /// The priority fee offered (wei per gas).
    pub priority_fee_per_gas: u128,
    /// Blocks a receipt must be buried under before its outcome is final.
    pub confirmations: u64,
    /// Seconds a transaction may stay pending before it is replaced with higher fees.
    pub replace_after_secs: u64,
    /// Most tickets in one transaction.
    pub max_batch: usize,
    /// Gas model used to plan: a single redemption.
    pub single_gas: u64,
    /// Gas model: a batch costs `batch_base_gas + n × batch_ticket_gas`.
    pub batch_base_gas: u64,
    /// Gas model: per ticket in a batch.
    pub batch_ticket_gas: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_cost_bps: 100,
            safety_margin_blocks: 10,
            max_fee_per_gas: 500_000_000_000,
            priority_fee_per_gas: 1_000_000_000,
            confirmations: 2,
            replace_after_secs: 30,
            max_batch: 100,
            single_gas: 140_000,
            batch_base_gas: 60_000,
            batch_ticket_gas: 60_000,
        }
    }
}

impl Policy {
    /// Planned gas of a transaction carrying `n` tickets.
    pub fn gas(&self, n: usize) -> u64 {
        match n {
            0 => 0,
            1 => self.single_gas,
            n => self.batch_base_gas + self.batch_ticket_gas * n as u64,
        }
    }
}

/// Why a redemption step failed (it is retried at the next block).
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// The chain could not be read or written.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The transaction could not be signed.
    #[error("signing: {0}")]
    Sign(String),
    /// A contract call could not be sent (its gas estimate failed: it would revert; or the gas
    /// price is above the ceiling).
    #[error("call: {0}")]
    Call(String),
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Transactions sent (including replacements).
    pub sent: Vec<B256>,
    /// Tickets settled as redeemed.
    pub redeemed: usize,
    /// Tickets settled as expired.
    pub expired: usize,
    /// Tickets settled as failed.
    pub failed: usize,
    /// Tickets waiting, with why.
    pub waiting: Vec<(B256, String)>,
}

/// Errors of the broker after which a ticket can never be redeemed.
fn is_permanent(selector: [u8; 4]) -> bool {
    use TicketBroker::TicketBrokerErrors as E;
    let permanent = [
        E::SenderUnlocked(TicketBroker::SenderUnlocked {
            sender: Address::ZERO,
            withdrawRound: U256::ZERO,
        }),
        E::TicketExpired(TicketBroker::TicketExpired {
            creationRound: U256::ZERO,
            currentRound: U256::ZERO,
        }),
        E::RecipientNotActive(TicketBroker::RecipientNotActive {
            recipient: Address::ZERO,
            round: U256::ZERO,
        }),
        E::InvalidSignature(TicketBroker::InvalidSignature {
            signer: Address::ZERO,
            sender: Address::ZERO,
        }),
        E::TicketNotWinning(TicketBroker::TicketNotWinning {}),
        E::WrongRecipient(TicketBroker::WrongRecipient {
            recipient: Address::ZERO,
            caller: Address::ZERO,
        }),
    ];
    permanent.iter().any(|e| e.selector() == selector)
}

/// Blocks between two full reads of every watched sender's funds (the fallback behind the event
/// watcher), unless [`Redeemer::with_full_read_every`] says otherwise.
pub const FULL_READ_EVERY_BLOCKS: u64 = 10;

/// What the event watcher remembers between steps.
#[derive(Debug, Default)]
struct Watch {
    /// The last block whose events were read.
    last_block: Option<u64>,
    /// The block of the last full read of every sender.
    last_full: Option<u64>,
    /// Senders drained by others (or unlocking, withdrawing), with the block it was seen at.
    contested: std::collections::HashMap<Address, u64>,
}

/// Drives redemptions for one keeper.
#[derive(Debug)]
pub struct Redeemer {
    keeper: Keeper,
    reader: ChainReader,
    sender: TxSender,
    from: Address,
    policy: Policy,
    full_read_every: u64,
    watch: std::sync::Mutex<Watch>,
}

impl Redeemer {
    /// A redeemer sending from `wallet` (whose default signer must be the keeper's recipient).
    pub fn new(
        keeper: Keeper,
        reader: ChainReader,
        wallet: EthereumWallet,
        policy: Policy,
    ) -> Self {
        let from = keeper.config().recipient;
        keeper.attach_reader(reader.clone());
        let sender = TxSender::new(
            keeper.clone(),
            reader.clone(),
            wallet,
            policy.max_fee_per_gas,
            policy.priority_fee_per_gas,
        );
        Self {
            keeper,
            reader,
            sender,
            from,
            policy,
            full_read_every: FULL_READ_EVERY_BLOCKS,
            watch: std::sync::Mutex::default(),
        }
    }

    /// Reads every watched sender's funds at least every `blocks` blocks (default
    /// [`FULL_READ_EVERY_BLOCKS`]); in between, only senders the broker's events name are read.
    pub fn with_full_read_every(mut self, blocks: u64) -> Self {
        self.full_read_every = blocks.max(1);
        self
    }

    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Senders whose funds other orchestrators took (or that unlocked or withdrew) since this
    /// keeper's winners against them were accepted: their pending winners are redeemed first,
    /// without waiting for cheaper gas.
    pub fn contested_senders(&self) -> Vec<Address> {
        let mut v: Vec<Address> = self.watch().contested.keys().copied().collect();
        v.sort();
        v
    }

    /// The sender of this account's transactions: every other transaction the embedding process
    /// sends with the same key must go through it, so that nonces are never shared.
    pub fn tx_sender(&self) -> TxSender {
        self.sender.clone()
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Senders whose funds the snapshot must cover: those with issued seeds or pending tickets.
    fn watched_senders(&self) -> Result<Vec<Address>, RedeemError> {
        Ok(self.keeper.with_store(|s| s.watched_senders())?)
    }

    /// Reads a fresh snapshot and hands it to the keeper's intake. Senders' funds are re-read when
    /// the broker's events since the last step name them (`Funded`, `TicketRedeemed`,
    /// `ReserveClaimed`, `Unlocked`, `UnlockCancelled`, `Withdrawn`, via `eth_getLogs` from the last
    /// block seen), when the round changed, and for every sender every
    /// [`Redeemer::with_full_read_every`] blocks as a fallback; otherwise they are kept from the
    /// previous snapshot.
    pub async fn refresh(&self) -> Result<ChainState, RedeemError> {
        let senders = self.watched_senders()?;
        let head = self
            .reader
            .provider()
            .get_block_number()
            .await
            .map_err(ChainError::rpc)?;
        let (last_block, last_full) = {
            let w = self.watch();
            (w.last_block, w.last_full)
        };
        let previous = self.keeper.chain_state();
        // Events up to `head`; the snapshot is read at `head` or later, so nothing is missed.
        let events = match last_block {
            Some(b) if b < head => match self.reader.sender_events(b + 1, head).await {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!(target: "keeper::chain", error = %e, "reading the broker's events failed; reading every sender");
                    None
                }
            },
            Some(b) if b == head => Some(Default::default()),
            // The chain went back (a reorg to a shorter chain), or never read: read everything.
            _ => None,
        };
        let full = events.is_none()
            || previous.is_none()
            || last_full.is_none_or(|f| head >= f + self.full_read_every);
        let state = match &events {
            Some(e) if !full => {
                self.reader
                    .snapshot_reusing(&senders, previous.as_ref(), |s| e.touched.contains(s))
                    .await?
            }
            _ => self.reader.snapshot(&senders).await?,
        };
        {
            let mut w = self.watch();
            w.last_block = Some(head.min(state.block_number));
            if full {
                w.last_full = Some(state.block_number);
            }
            if let Some(e) = &events {
                for s in &e.drained {
                    tracing::info!(target: "keeper::chain", sender = %s, "sender's funds taken by others (or unlocking): its pending winners go first");
                    w.contested.insert(*s, state.block_number);
                }
            }
        }
        self.keeper.set_chain_state(state.clone());
        Ok(state)
    }

    /// Senders whose pending winners must go now: drained by others since they were accepted, or
    /// owing this keeper more than their funds cover. A contested sender with no pending winner is
    /// forgotten.
    fn urgent_senders(&self, state: &ChainState, tickets: &[StoredTicket]) -> HashSet<Address> {
        let mut pending = std::collections::HashMap::<Address, u128>::new();
        for t in tickets {
            let e = pending.entry(t.sender).or_default();
            *e = e.saturating_add(t.face_value);
        }
        let mut w = self.watch();
        w.contested.retain(|s, _| pending.contains_key(s));
        let mut out: HashSet<Address> = w.contested.keys().copied().collect();
        for (s, owed) in pending {
            let funds = state.broker.sender(s).deposit.saturating_add(
                state
                    .broker
                    .remaining_reserve_allocation(s, self.from, state.broker.current_round),
            );
            if U256::from(owed) > funds {
                out.insert(s);
            }
        }
        out
    }

    /// One round of reconcile → settle → plan → send, on a fresh snapshot.
    pub async fn step(&self) -> Result<StepReport, RedeemError> {
        let state = self.refresh().await?;
        let mut report = StepReport::default();
        self.reconcile(&state, &mut report).await?;
        self.settle_waiting(&state, &mut report).await?;
        self.plan_and_send(&state, &mut report).await?;
        Ok(report)
    }

    async fn reconcile(
        &self,
        state: &ChainState,
        report: &mut StepReport,
    ) -> Result<(), RedeemError> {
        let open = self.keeper.with_store(|s| s.open_txs())?;
        if open.is_empty() {
            return Ok(());
        }
        let p = self.reader.provider();
        let mined_nonce = p
            .get_transaction_count(self.from)
            .block_id(alloy::eips::BlockId::number(state.block_number))
            .await
            .map_err(ChainError::rpc)?;
        // Transactions sharing a nonce: only the newest is rebroadcast or replaced.
        let newest: HashSet<B256> = {
            let mut by_nonce = std::collections::HashMap::<u64, &StoredTx>::new();
            for t in &open {
                by_nonce
                    .entry(t.nonce)
                    .and_modify(|cur| {
                        if t.max_fee_per_gas > cur.max_fee_per_gas {
                            *cur = t
                        }
                    })
                    .or_insert(t);
            }
            by_nonce.values().map(|t| t.tx_hash).collect()
        };
        // A nonce counts as taken only once the block that took it is `confirmations` deep: a
        // reorg can still give it back before that.
        let final_block = (state.block_number + 1).saturating_sub(self.policy.confirmations.max(1));
        let final_nonce = if final_block >= state.block_number {
            mined_nonce
        } else {
            p.get_transaction_count(self.from)
                .block_id(alloy::eips::BlockId::number(final_block))
                .await
                .map_err(ChainError::rpc)?
        };
        let mut receipts = Vec::with_capacity(open.len());
        for t in &open {
            let receipt = p
                .get_transaction_receipt(t.tx_hash)
                .await
                .map_err(ChainError::rpc)?;
            receipts.push(receipt);
        }
        // Mined transactions first, so that a ticket is settled with the gas of the transaction
        // that carried it before the replaced ones are closed.
        let (mined, unmined): (Vec<_>, Vec<_>) =
            open.iter().zip(receipts).partition(|(_, r)| r.is_some());
        for (t, receipt) in mined.into_iter().chain(unmined) {
            match receipt {
                Some(r) => {
                    let mined_at = r.block_number.unwrap_or(state.block_number);
                    if state.block_number + 1 < mined_at + self.policy.confirmations {
                        continue; // not deep enough yet
                    }
                    let n = t.tickets.len().max(1) as u64;
                    let gas_each = r.gas_used / n;
                    let cost_each = u128::from(r.gas_used) * r.effective_gas_price / u128::from(n);
                    if t.tickets.is_empty() {
                        if r.status() {
                            tracing::info!(target: "keeper::redeem", tx = %t.tx_hash, gas = r.gas_used, "call mined");
                        } else {
                            tracing::warn!(target: "keeper::redeem", tx = %t.tx_hash, "call mined but reverted");
                        }
                    }
                    let failures = batch_failures(&r, &t.tickets);
                    for h in &t.tickets {
                        self.settle_from_chain(
                            h,
                            state,
                            Some((&t.tx_hash, gas_each, cost_each)),
                            failures.get(h).map(|e| e.as_slice()),
                            report,
                        )
                        .await?;
                    }
                    self.keeper.with_store(|s| s.close_tx(&t.tx_hash))?;
                }
                None if final_nonce > t.nonce => {
                    // Its nonce went, for good, to another transaction (a replacement or another
                    // instance).
                    for h in &t.tickets {
                        self.settle_from_chain(h, state, None, None, report).await?;
                    }
                    self.keeper.with_store(|s| s.close_tx(&t.tx_hash))?;
                }
                None if mined_nonce > t.nonce => {} // taken, but not final yet
                None if newest.contains(&t.tx_hash) => {
                    let age = now().saturating_sub(t.created_at);
                    if age >= self.policy.replace_after_secs {
                        if let Some(h) = self.replace(t, state).await? {
                            report.sent.push(h);
                        }
                    } else {
                        // After a restart or a reorg the node may not know it: send it again
                        // (idempotent).
                        let _ = p.send_raw_transaction(&t.raw).await;
                    }
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Settles one ticket of a finished transaction from the broker's used set at the snapshot.
    async fn settle_from_chain(
        &self,
        ticket_hash: &B256,
        state: &ChainState,
        tx: Option<(&B256, u64, u128)>,
        failure: Option<&[u8]>,
        report: &mut StepReport,
    ) -> Result<(), RedeemError> {
        let used = self
            .reader
            .is_used(*ticket_hash, Some(state.block_number))
            .await?;
        let store_tx = tx.map(|t| *t.0);
        if used {
            let gas = tx.map(|t| (t.1, t.2));
            let reason = if tx.is_some() {
                "used on chain by this keeper's transaction"
            } else {
                "used on chain (by another transaction with this key)"
            };
            let ok = self.keeper.with_store(|s| {
                s.settle(
                    ticket_hash,
                    TicketState::Redeemed,
                    Some(reason),
                    store_tx.as_ref(),
                    gas,
                )
            })?;
            report.redeemed += usize::from(ok);
            return Ok(());
        }
        // Not used: why, from the batch's failure event (typed error), if any.
        let decoded = failure.and_then(|data| {
            TicketBroker::TicketBrokerErrors::abi_decode(data)
                .ok()
                .map(|e| (e.selector(), format!("{e:?}")))
        });
        let expired_selector = TicketBroker::TicketExpired::SELECTOR;
        match decoded {
            Some((selector, text)) if selector == expired_selector => {
                let reason = format!("mined after the validity period ended: {text}");
                let ok = self.keeper.with_store(|s| {
                    s.settle(
                        ticket_hash,
                        TicketState::Expired,
                        Some(&reason),
                        store_tx.as_ref(),
                        None,
                    )
                })?;
                report.expired += usize::from(ok);
            }
            Some((selector, text)) if is_permanent(selector) => {
                let ok = self.keeper.with_store(|s| {
                    s.settle(
                        ticket_hash,
                        TicketState::Failed,
                        Some(&text),
                        store_tx.as_ref(),
                        None,
                    )
                })?;
                report.failed += usize::from(ok);
            }
            other => {
                let reason = other.map_or_else(
                    || "transaction did not use it; will retry".to_string(),
                    |(_, t)| format!("{t}; will retry"),
                );
                self.keeper.with_store(|s| {
                    s.settle(
                        ticket_hash,
                        TicketState::Won,
                        Some(&reason),
                        store_tx.as_ref(),
                        None,
                    )
                })?;
            }
        }
        Ok(())
    }

    async fn settle_waiting(
        &self,
        state: &ChainState,
        report: &mut StepReport,
    ) -> Result<(), RedeemError> {
        let won = self.keeper.with_store(|s| s.tickets_in(TicketState::Won))?;
        for t in won {
            if self
                .reader
                .is_used(t.ticket_hash, Some(state.block_number))
                .await?
            {
                let ok = self.keeper.with_store(|s| {
                    s.settle(
                        &t.ticket_hash,
                        TicketState::Redeemed,
                        Some("used on chain (by another transaction with this key)"),
                        None,
                        None,
                    )
                })?;
                report.redeemed += usize::from(ok);
            } else if state.broker.current_round >= t.expiry_round {
                let reason = format!(
                    "validity ended at round {} before redemption; last wait: {}",
                    t.expiry_round,
                    t.reason.as_deref().unwrap_or("none recorded")
                );
                let ok = self.keeper.with_store(|s| {
                    s.settle(
                        &t.ticket_hash,
                        TicketState::Expired,
                        Some(&reason),
                        None,
                        None,
                    )
                })?;
                report.expired += usize::from(ok);
            }
        }
        Ok(())
    }

    /// The block by which `t` must be submitted.
    fn deadline(&self, state: &ChainState, t: &StoredTicket) -> u64 {
        state
            .round_start(t.expiry_round)
            .saturating_sub(self.policy.safety_margin_blocks)
    }

    /// Chooses the tickets to send now, with the reason each other one waits.
    pub fn plan(
        &self,
        state: &ChainState,
        tickets: &[StoredTicket],
    ) -> (Vec<StoredTicket>, Vec<(B256, String)>) {
        let price = state.base_fee + self.policy.priority_fee_per_gas;
        let mut waiting = Vec::new();
        if state.base_fee + self.policy.priority_fee_per_gas > self.policy.max_fee_per_gas {
            for t in tickets {
                waiting.push((
                    t.ticket_hash,
                    format!(
                        "gas price {} above the ceiling {} wei/gas",
                        price, self.policy.max_fee_per_gas
                    ),
                ));
            }
            return (Vec::new(), waiting);
        }
        // Senders others are draining (or that can't cover all of ours): their tickets go now.
        let urgent_senders = self.urgent_senders(state, tickets);
        // What the senders can pay now, ticket by ticket (soonest expiry, then reserve-paid first).
        let mut broker = state.broker.clone();
        let mut payable = Vec::new();
        for t in tickets {
            let Ok(st) = SignedTicket::unpack(&t.packed) else {
                waiting.push((t.ticket_hash, "unreadable stored ticket".into()));
                continue;
            };
            match self
                .keeper
                .inner
                .validator
                .check_redemption(&broker, self.from, &st)
            {
                Ok(payment) => {
                    broker.apply(st.ticket.sender, self.from, &payment);
                    payable.push(t.clone());
                }
                Err(e) => waiting.push((t.ticket_hash, format!("not redeemable now: {e}"))),
            }
        }
        payable.truncate(self.policy.max_batch);
        let mut chosen = payable;
        loop {
            let n = chosen.len();
            if n == 0 {
                break;
            }
            let cost_each = u128::from(self.policy.gas(n)) * price / n as u128;
            let (keep, drop): (Vec<_>, Vec<_>) = chosen.into_iter().partition(|t| {
                let cheap = cost_each.saturating_mul(10_000)
                    <= t.face_value
                        .saturating_mul(u128::from(self.policy.max_cost_bps));
                let urgent = (state.block_number >= self.deadline(state, t)
                    || urgent_senders.contains(&t.sender))
                    && cost_each < t.face_value;
                cheap || urgent
            });
            for t in &drop {
                waiting.push((
                    t.ticket_hash,
                    format!(
                        "waiting for cheaper gas: {cost_each} wei per ticket vs face value {} (deadline block {})",
                        t.face_value,
                        self.deadline(state, t)
                    ),
                ));
            }
            let done = drop.is_empty();
            chosen = keep;
            if done {
                break;
            }
        }
        (chosen, waiting)
    }

    async fn plan_and_send(
        &self,
        state: &ChainState,
        report: &mut StepReport,
    ) -> Result<(), RedeemError> {
        let won = self.keeper.with_store(|s| s.tickets_in(TicketState::Won))?;
        let won: Vec<_> = won
            .into_iter()
            .filter(|t| state.broker.current_round < t.expiry_round)
            .collect();
        // A contested sender stays so while this keeper has winners of it waiting.
        self.watch()
            .contested
            .retain(|s, _| won.iter().any(|t| t.sender == *s));
        if won.is_empty() {
            return Ok(());
        }
        let (chosen, waiting) = self.plan(state, &won);
        for (h, why) in &waiting {
            tracing::debug!(target: "keeper::redeem", ticket = %h, why, "waiting");
            self.keeper.with_store(|s| s.set_wait_reason(h, why))?;
        }
        report.waiting = waiting;
        if chosen.is_empty() {
            return Ok(());
        }
        let max_fee = (state.base_fee * 2 + self.policy.priority_fee_per_gas)
            .min(self.policy.max_fee_per_gas);
        let guard = self.sender.lock().await;
        let nonce = self.sender.next_nonce(&guard).await?;
        let h = self
            .sign_record_send(&chosen, nonce, max_fee, self.policy.priority_fee_per_gas)
            .await?;
        drop(guard);
        report.sent.push(h);
        Ok(())
    }

    /// Replaces a stuck transaction: same nonce and tickets, fees up by at least 1/8 (what nodes
    /// require) and to what the current base fee needs (twice it plus the tip), capped by the
    /// ceiling; `None` if the ceiling leaves no room.
    async fn replace(&self, t: &StoredTx, state: &ChainState) -> Result<Option<B256>, RedeemError> {
        let bump = |x: u128| x + x / 8 + 1;
        let tip = bump(t.max_priority_fee_per_gas).max(self.policy.priority_fee_per_gas);
        let floor = bump(t.max_fee_per_gas);
        if floor > self.policy.max_fee_per_gas {
            tracing::warn!(target: "keeper::redeem", tx = %t.tx_hash, "stuck, but a replacement would exceed the gas price ceiling");
            return Ok(None);
        }
        let max_fee = floor
            .max(state.base_fee.saturating_mul(2).saturating_add(tip))
            .min(self.policy.max_fee_per_gas);
        if t.tickets.is_empty() {
            // A contract call (e.g. reward()): the same call again, same nonce, higher fees.
            let Some((to, input, gas_limit)) = crate::txsend::decode_call(&t.raw) else {
                return Ok(None);
            };
            tracing::info!(target: "keeper::redeem", old = %t.tx_hash, nonce = t.nonce, max_fee, "replacing a stuck call");
            return Ok(Some(
                self.sender
                    .sign_record_send(to, input, gas_limit, t.nonce, max_fee, tip, &[])
                    .await?,
            ));
        }
        let tickets: Vec<StoredTicket> = self.keeper.with_store(|s| {
            t.tickets
                .iter()
                .filter_map(|h| s.ticket(h).transpose())
                .collect::<Result<Vec<_>, _>>()
        })?;
        let tickets: Vec<_> = tickets
            .into_iter()
            .filter(|x| x.state == TicketState::Submitted)
            .collect();
        if tickets.is_empty() {
            return Ok(None);
        }
        tracing::info!(target: "keeper::redeem", old = %t.tx_hash, nonce = t.nonce, max_fee, "replacing a stuck transaction");
        Ok(Some(
            self.sign_record_send(&tickets, t.nonce, max_fee, tip)
                .await?,
        ))
    }

    async fn sign_record_send(
        &self,
        tickets: &[StoredTicket],
        nonce: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<B256, RedeemError> {
        let broker = self.reader.contracts().ticket_broker;
        let input: Bytes = if tickets.len() == 1 {
            TicketBroker::redeemWinningTicketCall {
                ticket: tickets[0].packed.clone().into(),
            }
            .abi_encode()
            .into()
        } else {
            let mut all = Vec::with_capacity(257 * tickets.len());
            for t in tickets {
                all.extend_from_slice(&t.packed);
            }
            TicketBroker::batchRedeemWinningTicketsCall {
                tickets: all.into(),
            }
            .abi_encode()
            .into()
        };
        let gas_limit = self.policy.gas(tickets.len()) * 2;
        self.sender
            .sign_record_send(broker, input, gas_limit, nonce, max_fee, tip, tickets)
            .await
    }

    /// Runs [`Redeemer::step`] on every new block until `shutdown` resolves; RPC failures are
    /// logged and retried.
    pub async fn run(
        self,
        poll: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut last = None;
        loop {
            let head = self.reader.provider().get_block_number().await.ok();
            if head.is_some() && head != last {
                match self.step().await {
                    Ok(r) => {
                        last = head;
                        if !r.sent.is_empty() || r.redeemed + r.expired + r.failed > 0 {
                            tracing::info!(target: "keeper::redeem", sent = r.sent.len(), redeemed = r.redeemed, expired = r.expired, failed = r.failed, waiting = r.waiting.len(), "step");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(target: "keeper::redeem", error = %e, "step failed; retrying")
                    }
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// Tickets of a batch that failed, with their revert data, from `TicketRedemptionFailed` events.
fn batch_failures(
    r: &alloy::rpc::types::TransactionReceipt,
    tickets: &[B256],
) -> std::collections::HashMap<B256, Vec<u8>> {
    let mut out = std::collections::HashMap::new();
    for log in r.inner.logs() {
        if log.topic0() != Some(&TicketBroker::TicketRedemptionFailed::SIGNATURE_HASH) {
            continue;
        }
        if let Ok(ev) = TicketBroker::TicketRedemptionFailed::decode_log_data(log.data())
            && let Some(h) = usize::try_from(ev.index).ok().and_then(|i| tickets.get(i))
        {
            out.insert(*h, ev.reason.to_vec());
        }
    }
    out
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
