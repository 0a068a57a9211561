//! The chain as the keeper sees it: a snapshot read from the contracts at one block, which intake
//! validates against (through the protocol core's [`MemoryBroker`]) and the redemption policy
//! plans with.

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use streamflow_bindings::contracts::{BondingManager, RoundsManager, TicketBroker};
use streamflow_protocol::MemoryBroker;
use streamflow_protocol::validate::SenderFunds;

/// Why the chain could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node answered with an error or not at all.
    #[error("rpc: {0}")]
    Rpc(String),
    /// A value does not fit (e.g. a round beyond `u64`).
    #[error("unexpected value from the chain: {0}")]
    Value(&'static str),
}

impl ChainError {
    pub(crate) fn rpc(e: impl std::fmt::Display) -> Self {
        Self::Rpc(e.to_string())
    }
}

/// The chain's state at one block, for the keeper's orchestrator and the senders it serves.
#[derive(Debug, Clone, Default)]
pub struct ChainState {
    /// Rounds, validity, block hashes, activity of this orchestrator, senders' funds and its
    /// remaining reserve allocations in the current round.
    pub broker: MemoryBroker,
    /// The block the snapshot was read at.
    pub block_number: u64,
    /// Blocks per round.
    pub round_length: u64,
    /// First block of the current round.
    pub round_start_block: u64,
    /// The base fee of the next block (wei per gas).
    pub base_fee: u128,
    /// A gas price estimate for pricing tickets (base fee + tip).
    pub gas_price: u128,
}

impl ChainState {
    /// The first block of `round`, assuming the round length stays as it is.
    pub fn round_start(&self, round: u64) -> u64 {
        let current = self.broker.current_round;
        if round >= current {
            self.round_start_block + (round - current) * self.round_length
        } else {
            self.round_start_block
                .saturating_sub((current - round) * self.round_length)
        }
    }
}

/// Senders named by the broker's events over a range of blocks ([`ChainReader::sender_events`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderEvents {
    /// Senders whose funds changed in any way.
    pub touched: std::collections::BTreeSet<Address>,
    /// Senders whose funds went to another orchestrator's ticket, or that unlocked or withdrew:
    /// this orchestrator's own pending winners against them are at risk.
    pub drained: std::collections::BTreeSet<Address>,
}

/// The contracts the keeper reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contracts {
    /// TicketBroker proxy.
    pub ticket_broker: Address,
    /// RoundsManager proxy.
    pub rounds_manager: Address,
    /// BondingManager proxy.
    pub bonding_manager: Address,
}

fn u64_of(x: U256, what: &'static str) -> Result<u64, ChainError> {
    u64::try_from(x).map_err(|_| ChainError::Value(what))
}

/// Reads snapshots.
#[derive(Debug, Clone)]
pub struct ChainReader {
    provider: DynProvider,
    contracts: Contracts,
    recipient: Address,
}

impl ChainReader {
    /// A reader for `recipient`'s view of the deployment at `contracts`.
    pub fn new(provider: DynProvider, contracts: Contracts, recipient: Address) -> Self {
        Self {
            provider,
            contracts,
            recipient,
        }
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The contracts.
    pub fn contracts(&self) -> Contracts {
        self.contracts
    }

    /// Reads a snapshot covering `senders`: round, validity period, the block hashes and this
    /// orchestrator's activity for every round a valid ticket can have been created in, each
    /// sender's funds and remaining reserve allocation, the base fee.
    pub async fn snapshot(&self, senders: &[Address]) -> Result<ChainState, ChainError> {
        self.snapshot_reusing(senders, None, |_| true).await
    }

    /// Like [`ChainReader::snapshot`], but a sender for which `reread` says no keeps its funds and
    /// allocation from `previous` when that snapshot is of the same round and holds it (the event
    /// watcher knows nothing happened to it since). Every other value is read afresh.
    pub async fn snapshot_reusing(
        &self,
        senders: &[Address],
        previous: Option<&ChainState>,
        reread: impl Fn(&Address) -> bool,
    ) -> Result<ChainState, ChainError> {
        let p = &self.provider;
        let rounds = RoundsManager::new(self.contracts.rounds_manager, p);
        let broker = TicketBroker::new(self.contracts.ticket_broker, p);
        let bonding = BondingManager::new(self.contracts.bonding_manager, p);
        let block = p
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(ChainError::rpc)?
            .ok_or(ChainError::Value("no latest block"))?;
        let block_number = block.header.number;
        // The next block's base fee (what a transaction sent now pays), from the latest header.
        let base_fee = u128::from(
            block
                .header
                .next_block_base_fee(alloy::eips::eip1559::BaseFeeParams::ethereum())
                .or(block.header.base_fee_per_gas)
                .unwrap_or(0),
        );
        // Read at the block just fetched, so every value is of the same state.
        let at = alloy::eips::BlockId::number(block_number);
        let round = u64_of(
            rounds
                .currentRound()
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?,
            "currentRound",
        )?;
        let round_start_block = u64_of(
            rounds
                .currentRoundStartBlock()
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?,
            "currentRoundStartBlock",
        )?;
        let round_length = u64_of(
            rounds
                .roundLength()
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?,
            "roundLength",
        )?;
        let validity = u64_of(
            broker
                .ticketValidityPeriod()
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?,
            "ticketValidityPeriod",
        )?;
        let mut state = MemoryBroker {
            current_round: round,
            ticket_validity_period: validity,
            ..Default::default()
        };
        for r in round.saturating_sub(validity.saturating_sub(1)).max(1)..=round {
            let hash: B256 = rounds
                .blockHashForRound(U256::from(r))
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?;
            if !hash.is_zero() {
                state.block_hashes.insert(r, hash);
            }
            let stake = bonding
                .activeStake(self.recipient, U256::from(r))
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?;
            if !stake.is_zero() {
                state.active.insert((self.recipient, r));
            }
        }
        let previous = previous.filter(|p| p.broker.current_round == round);
        for &sender in senders {
            if !reread(&sender)
                && let Some(prev) = previous
                && let Some(funds) = prev.broker.senders.get(&sender)
                && let Some(left) =
                    prev.broker
                        .reserve_allocations
                        .get(&(sender, self.recipient, round))
            {
                state.senders.insert(sender, *funds);
                state
                    .reserve_allocations
                    .insert((sender, self.recipient, round), *left);
                continue;
            }
            let s = broker
                .getSender(sender)
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?;
            state.senders.insert(
                sender,
                SenderFunds {
                    deposit: s.deposit,
                    reserve: s.reserve,
                    withdraw_round: u64_of(s.withdrawRound, "withdrawRound")?,
                },
            );
            let left = broker
                .remainingReserveAllocation(sender, self.recipient, U256::from(round))
                .block(at)
                .call()
                .await
                .map_err(ChainError::rpc)?;
            state
                .reserve_allocations
                .insert((sender, self.recipient, round), left);
        }
        Ok(ChainState {
            broker: state,
            block_number,
            round_length,
            round_start_block,
            base_fee,
            gas_price: base_fee.saturating_mul(2).saturating_add(1_000_000_000),
        })
    }

    /// What the broker's events between blocks `from` and `to` (inclusive) say happened to
    /// senders' funds: every sender funded, paid from, unlocking, cancelling an unlock or
    /// withdrawing is `touched`; those whose funds went to another orchestrator's ticket, or that
    /// unlocked or withdrew, are also `drained`.
    pub async fn sender_events(&self, from: u64, to: u64) -> Result<SenderEvents, ChainError> {
        use TicketBroker as T;
        use alloy::sol_types::SolEvent;
        let mut out = SenderEvents::default();
        if from > to {
            return Ok(out);
        }
        let filter = alloy::rpc::types::Filter::new()
            .address(self.contracts.ticket_broker)
            .from_block(from)
            .to_block(to)
            .event_signature(vec![
                T::Funded::SIGNATURE_HASH,
                T::TicketRedeemed::SIGNATURE_HASH,
                T::ReserveClaimed::SIGNATURE_HASH,
                T::Unlocked::SIGNATURE_HASH,
                T::UnlockCancelled::SIGNATURE_HASH,
                T::Withdrawn::SIGNATURE_HASH,
            ]);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(ChainError::rpc)?;
        let topic_address = |t: &B256| Address::from_word(*t);
        for log in logs {
            let topics = log.topics();
            let Some(kind) = topics.first() else { continue };
            if *kind == T::TicketRedeemed::SIGNATURE_HASH {
                let (Some(sender), Some(recipient)) = (topics.get(2), topics.get(3)) else {
                    continue;
                };
                let sender = topic_address(sender);
                out.touched.insert(sender);
                if topic_address(recipient) != self.recipient {
                    out.drained.insert(sender);
                }
                continue;
            }
            let Some(sender) = topics.get(1).map(topic_address) else {
                continue;
            };
            out.touched.insert(sender);
            if *kind == T::Unlocked::SIGNATURE_HASH || *kind == T::Withdrawn::SIGNATURE_HASH {
                out.drained.insert(sender);
            }
        }
        Ok(out)
    }

    /// One sender's funds and this orchestrator's remaining reserve allocation in `round`, at the
    /// latest block.
    pub async fn sender_funds(
        &self,
        sender: Address,
        round: u64,
    ) -> Result<(SenderFunds, U256), ChainError> {
        let broker = TicketBroker::new(self.contracts.ticket_broker, &self.provider);
        let s = broker
            .getSender(sender)
            .call()
            .await
            .map_err(ChainError::rpc)?;
        let left = broker
            .remainingReserveAllocation(sender, self.recipient, U256::from(round))
            .call()
            .await
            .map_err(ChainError::rpc)?;
        Ok((
            SenderFunds {
                deposit: s.deposit,
                reserve: s.reserve,
                withdraw_round: u64_of(s.withdrawRound, "withdrawRound")?,
            },
            left,
        ))
    }

    /// Whether the broker has used the ticket (whoever redeemed it), at `block` or the latest.
    pub async fn is_used(&self, ticket_hash: B256, block: Option<u64>) -> Result<bool, ChainError> {
        let broker = TicketBroker::new(self.contracts.ticket_broker, &self.provider);
        let mut call = broker.isUsedTicket(ticket_hash);
        if let Some(b) = block {
            call = call.block(alloy::eips::BlockId::number(b));
        }
        call.call().await.map_err(ChainError::rpc)
    }
}
