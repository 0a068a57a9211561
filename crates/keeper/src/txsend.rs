//! The one sender of the recipient account's transactions. Redemptions and any other call the
//! embedding process makes with the same key (the orchestrator's `reward()` and
//! `initializeRound()`) go through one [`TxSender`]: it picks each nonce under a lock, from the
//! node's pending count and the open transactions in the store, and writes every signed
//! transaction to the store before broadcasting it. The redeemer's reconciliation then follows
//! all of them the same way (rebroadcast after a restart or reorg, replacement with higher fees
//! when stuck, closed when mined or when their nonce went to another transaction), so no
//! transaction of the account can take another's nonce, drop it or replace it.

use std::sync::Arc;

use alloy::consensus::Transaction as _;
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, TxKind};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;

use crate::chain::{ChainError, ChainReader};
use crate::keeper::Keeper;
use crate::redeem::RedeemError;
use crate::store::{StoredTicket, StoredTx};

/// A transaction of the account that carries no ticket (a plain contract call), open in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCall {
    /// The latest transaction sent for it.
    pub tx_hash: B256,
    /// Its nonce.
    pub nonce: u64,
    /// The contract called.
    pub to: Address,
    /// The calldata.
    pub input: Bytes,
}

#[derive(Debug)]
struct Inner {
    keeper: Keeper,
    reader: ChainReader,
    wallet: EthereumWallet,
    from: Address,
    chain_id: u64,
    max_fee_per_gas: u128,
    priority_fee_per_gas: u128,
    /// Held from choosing a nonce until the transaction is in the store.
    nonce_lock: tokio::sync::Mutex<()>,
}

/// Signs, records and broadcasts the account's transactions; cheap to clone.
#[derive(Debug, Clone)]
pub struct TxSender {
    inner: Arc<Inner>,
}

/// Held while a nonce is chosen and its transaction recorded.
pub(crate) type NonceGuard<'a> = tokio::sync::MutexGuard<'a, ()>;

impl TxSender {
    pub(crate) fn new(
        keeper: Keeper,
        reader: ChainReader,
        wallet: EthereumWallet,
        max_fee_per_gas: u128,
        priority_fee_per_gas: u128,
    ) -> Self {
        let from = keeper.config().recipient;
        let chain_id = keeper.config().chain_id;
        Self {
            inner: Arc::new(Inner {
                keeper,
                reader,
                wallet,
                from,
                chain_id,
                max_fee_per_gas,
                priority_fee_per_gas,
                nonce_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The account.
    pub fn from(&self) -> Address {
        self.inner.from
    }

    pub(crate) async fn lock(&self) -> NonceGuard<'_> {
        self.inner.nonce_lock.lock().await
    }

    /// The next free nonce: past both the node's pending count and every open transaction in the
    /// store (one may be recorded but not in the node's pool: a crash before its broadcast, a node
    /// restarted or a reorg). Call it under [`TxSender::lock`].
    pub(crate) async fn next_nonce(&self, _guard: &NonceGuard<'_>) -> Result<u64, RedeemError> {
        let pending = self
            .inner
            .reader
            .provider()
            .get_transaction_count(self.inner.from)
            .pending()
            .await
            .map_err(ChainError::rpc)?;
        let open_max = self
            .inner
            .keeper
            .with_store(|s| s.open_txs())?
            .iter()
            .map(|t| t.nonce + 1)
            .max()
            .unwrap_or(0);
        Ok(pending.max(open_max))
    }

    /// Signs a transaction, writes it to the store (moving `tickets` to `submitted`), and only then
    /// broadcasts it. A failed broadcast leaves it open: reconciliation rebroadcasts it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn sign_record_send(
        &self,
        to: Address,
        input: Bytes,
        gas_limit: u64,
        nonce: u64,
        max_fee: u128,
        tip: u128,
        tickets: &[StoredTicket],
    ) -> Result<B256, RedeemError> {
        let i = &self.inner;
        let request = TransactionRequest::default()
            .with_from(i.from)
            .with_to(to)
            .with_input(input)
            .with_nonce(nonce)
            .with_chain_id(i.chain_id)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(tip.min(max_fee));
        let envelope = request
            .build(&i.wallet)
            .await
            .map_err(|e| RedeemError::Sign(e.to_string()))?;
        let tx_hash = *envelope.tx_hash();
        let raw = envelope.encoded_2718();
        let record = StoredTx {
            tx_hash,
            nonce,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip.min(max_fee),
            raw: raw.clone(),
            tickets: tickets.iter().map(|t| t.ticket_hash).collect(),
            created_at: now(),
        };
        let rand_hashes: Vec<B256> = tickets.iter().map(|t| t.rand_hash).collect();
        // Durable before broadcast: a crash from here on leaves a record to reconcile.
        i.keeper
            .with_store(|s| s.record_submission(&record, &rand_hashes))?;
        i.keeper.inner.metrics.record_tx();
        tracing::info!(target: "keeper::tx", tx = %tx_hash, nonce, tickets = tickets.len(), max_fee, %to, "sending");
        if let Err(e) = i.reader.provider().send_raw_transaction(&raw).await {
            tracing::warn!(target: "keeper::tx", tx = %tx_hash, error = %e, "broadcast failed; kept open for rebroadcast");
        }
        Ok(tx_hash)
    }

    /// Sends a contract call from the account (e.g. `reward()`): gas estimated (×2 as headroom),
    /// fees by the keeper's policy (twice the next base fee plus the tip, under the ceiling), the
    /// nonce chosen with the redemptions', recorded before broadcast and then followed like a
    /// redemption (rebroadcast, replaced when stuck, closed when mined). Returns its hash.
    pub async fn send_call(&self, to: Address, input: Bytes) -> Result<B256, RedeemError> {
        let i = &self.inner;
        let p = i.reader.provider();
        let request = TransactionRequest::default()
            .with_from(i.from)
            .with_to(to)
            .with_input(input.clone());
        let gas = p
            .estimate_gas(request)
            .await
            .map_err(|e| RedeemError::Call(e.to_string()))?;
        let block = p
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(ChainError::rpc)?
            .ok_or(ChainError::Value("no latest block"))?;
        let base_fee = u128::from(
            block
                .header
                .next_block_base_fee(alloy::eips::eip1559::BaseFeeParams::ethereum())
                .or(block.header.base_fee_per_gas)
                .unwrap_or(0),
        );
        let tip = i.priority_fee_per_gas;
        if base_fee + tip > i.max_fee_per_gas {
            return Err(RedeemError::Call(format!(
                "gas price {} above the ceiling {} wei/gas",
                base_fee + tip,
                i.max_fee_per_gas
            )));
        }
        let max_fee = (base_fee * 2 + tip).min(i.max_fee_per_gas);
        let guard = self.lock().await;
        let nonce = self.next_nonce(&guard).await?;
        self.sign_record_send(to, input, gas.saturating_mul(2), nonce, max_fee, tip, &[])
            .await
    }

    /// The account's open transactions that carry no ticket, with what they call.
    pub fn open_calls(&self) -> Result<Vec<OpenCall>, RedeemError> {
        let open = self.inner.keeper.with_store(|s| s.open_txs())?;
        Ok(open
            .into_iter()
            .filter(|t| t.tickets.is_empty())
            .filter_map(|t| {
                let (to, input, _) = decode_call(&t.raw)?;
                Some(OpenCall {
                    tx_hash: t.tx_hash,
                    nonce: t.nonce,
                    to,
                    input,
                })
            })
            .collect())
    }
}

/// The callee, calldata and gas limit of a recorded transaction.
pub(crate) fn decode_call(raw: &[u8]) -> Option<(Address, Bytes, u64)> {
    let env = alloy::consensus::TxEnvelope::decode_2718(&mut &raw[..]).ok()?;
    match env.kind() {
        TxKind::Call(to) => Some((to, env.input().clone(), env.gas_limit())),
        TxKind::Create => None,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
