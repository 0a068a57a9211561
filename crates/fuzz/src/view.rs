//! The chain state a ticket redemption reads, answered by the contracts' own views in revm: the
//! input side of the differential test (the Rust validation decides from these answers; the
//! broker's bytecode decides from its storage).

use std::cell::RefCell;

use alloy::primitives::{Address, B256, U256};
use streamflow_bindings::contracts::{BondingManager, RoundsManager, TicketBroker};
use streamflow_protocol::validate::{BrokerView, SenderFunds};

use crate::{chain::Chain, deploy::Protocol};

/// A [`BrokerView`] over a [`Chain`]: each question is one view call (`&mut` is needed to run revm,
/// hence the `RefCell`).
#[derive(Debug)]
pub struct ChainView<'a> {
    chain: RefCell<&'a mut Chain>,
    protocol: Protocol,
}

impl<'a> ChainView<'a> {
    /// A view of `protocol` on `chain`.
    pub fn new(chain: &'a mut Chain, protocol: Protocol) -> Self {
        Self {
            chain: RefCell::new(chain),
            protocol,
        }
    }

    fn view<C: alloy::sol_types::SolCall>(&self, to: Address, call: &C) -> Option<C::Return> {
        self.chain.borrow_mut().view(to, call).ok()
    }
}

impl BrokerView for ChainView<'_> {
    fn current_round(&self) -> u64 {
        self.view(self.protocol.rounds, &RoundsManager::currentRoundCall {})
            .map(|r| r.saturating_to())
            .unwrap_or_default()
    }

    fn ticket_validity_period(&self) -> u64 {
        self.view(
            self.protocol.broker,
            &TicketBroker::ticketValidityPeriodCall {},
        )
        .map(|r| r.saturating_to())
        .unwrap_or_default()
    }

    fn block_hash_for_round(&self, round: u64) -> B256 {
        self.view(
            self.protocol.rounds,
            &RoundsManager::blockHashForRoundCall {
                round: U256::from(round),
            },
        )
        .unwrap_or_default()
    }

    fn is_used(&self, ticket_hash: &B256) -> bool {
        self.view(
            self.protocol.broker,
            &TicketBroker::isUsedTicketCall {
                ticketHash_: *ticket_hash,
            },
        )
        .unwrap_or_default()
    }

    fn is_active(&self, recipient: Address, round: u64) -> bool {
        self.view(
            self.protocol.bonding_manager,
            &BondingManager::isActiveOrchestratorCall {
                orchestrator: recipient,
                round: U256::from(round),
            },
        )
        .unwrap_or_default()
    }

    fn sender(&self, sender: Address) -> SenderFunds {
        self.view(
            self.protocol.broker,
            &TicketBroker::getSenderCall { sender },
        )
        .map(|s| SenderFunds {
            deposit: s.deposit,
            reserve: s.reserve,
            withdraw_round: s.withdrawRound.saturating_to(),
        })
        .unwrap_or_default()
    }

    fn remaining_reserve_allocation(
        &self,
        sender: Address,
        recipient: Address,
        round: u64,
    ) -> U256 {
        self.view(
            self.protocol.broker,
            &TicketBroker::remainingReserveAllocationCall {
                sender,
                recipient,
                round: U256::from(round),
            },
        )
        .unwrap_or_default()
    }
}
