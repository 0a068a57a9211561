//! The broadcaster's view of the chain: its funds on the TicketBroker (fund, show, unlock,
//! withdraw), the registry of orchestrators and their stake, and the round a ticket is created in.

use alloy::primitives::{Address, B256, TxHash, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::signers::local::PrivateKeySigner;
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::BondingManager;
use streamflow_bindings::contracts::RoundsManager;
use streamflow_bindings::contracts::ServiceRegistry;
use streamflow_bindings::contracts::TicketBroker::{self, TicketBrokerErrors};

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The RPC URL is not a URL.
    #[error("rpc url {0:?} is not a URL")]
    Url(String),
    /// The node is on another chain than the deployment.
    #[error("the node is on chain {node}, the deployment on {deployment}")]
    WrongChain {
        /// The node's chain id.
        node: u64,
        /// The deployment's chain id.
        deployment: u64,
    },
    /// The TicketBroker refused (decoded custom error).
    #[error("the TicketBroker refused: {0:?}")]
    Broker(TicketBrokerErrors),
    /// A transaction was mined but reverted.
    #[error("transaction {0} reverted")]
    Reverted(TxHash),
    /// The RPC call failed.
    #[error("rpc: {0}")]
    Rpc(String),
    /// A value didn't fit.
    #[error("{0} does not fit 64 bits")]
    Overflow(&'static str),
}

impl ChainError {
    fn call(e: alloy::contract::Error) -> Self {
        match e.as_decoded_interface_error::<TicketBrokerErrors>() {
            Some(b) => ChainError::Broker(b),
            None => ChainError::Rpc(e.to_string()),
        }
    }
}

/// A sender's funds on the TicketBroker, with the round it was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Funds {
    /// The sender.
    pub sender: Address,
    /// Deposit (pays tickets), wei.
    pub deposit: U256,
    /// Reserve (pays when the deposit is short), wei.
    pub reserve: U256,
    /// Zero when locked; else the first round it may withdraw in.
    pub withdraw_round: u64,
    /// The current round.
    pub current_round: u64,
}

/// The round a ticket is created in, with the hash the RoundsManager recorded for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreationRound {
    /// The round.
    pub round: u64,
    /// `blockHashForRound(round)`; zero if the round isn't initialized.
    pub block_hash: B256,
}

/// The broadcaster's chain handle: a provider that signs with its key, and the deployment.
#[derive(Debug, Clone)]
pub struct Chain {
    provider: DynProvider,
    deployment: Deployment,
    sender: Address,
}

impl Chain {
    /// Connects to `rpc_url` with `signer` as the sending account, after checking the node is on
    /// the deployment's chain.
    pub async fn connect(
        rpc_url: &str,
        deployment: Deployment,
        signer: PrivateKeySigner,
    ) -> Result<Self, ChainError> {
        let url = rpc_url
            .parse()
            .map_err(|_| ChainError::Url(rpc_url.to_owned()))?;
        let sender = signer.address();
        let provider = streamflow_bindings::signing_provider(url, &signer);
        let node = provider
            .get_chain_id()
            .await
            .map_err(|e| ChainError::Rpc(e.to_string()))?;
        if node != deployment.chain_id {
            return Err(ChainError::WrongChain {
                node,
                deployment: deployment.chain_id,
            });
        }
        Ok(Self {
            provider,
            deployment,
            sender,
        })
    }

    /// The sending account.
    pub fn sender(&self) -> Address {
        self.sender
    }

    /// The deployment.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The provider (signs with the broadcaster's key).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The current round.
    pub async fn current_round(&self) -> Result<u64, ChainError> {
        let rm = RoundsManager::new(self.deployment.rounds_manager, &self.provider);
        let r = rm
            .currentRound()
            .call()
            .await
            .map_err(|e| ChainError::Rpc(e.to_string()))?;
        u64::try_from(r).map_err(|_| ChainError::Overflow("currentRound"))
    }

    /// The broadcaster's funds now.
    pub async fn funds(&self) -> Result<Funds, ChainError> {
        self.funds_of(self.sender).await
    }

    /// Anyone's funds now.
    pub async fn funds_of(&self, sender: Address) -> Result<Funds, ChainError> {
        let broker = TicketBroker::new(self.deployment.ticket_broker, &self.provider);
        let s = broker
            .getSender(sender)
            .call()
            .await
            .map_err(ChainError::call)?;
        Ok(Funds {
            sender,
            deposit: s.deposit,
            reserve: s.reserve,
            withdraw_round: u64::try_from(s.withdrawRound)
                .map_err(|_| ChainError::Overflow("withdrawRound"))?,
            current_round: self.current_round().await?,
        })
    }

    /// Adds `deposit` and `reserve` wei (one transaction paying their sum).
    pub async fn fund(&self, deposit: U256, reserve: U256) -> Result<TxHash, ChainError> {
        let broker = TicketBroker::new(self.deployment.ticket_broker, &self.provider);
        let call = broker
            .fundDepositAndReserve(deposit, reserve)
            .value(deposit.saturating_add(reserve));
        let pending = call.send().await.map_err(ChainError::call)?;
        self.confirm(pending).await
    }

    /// Starts the unlock period; returns the transaction.
    pub async fn unlock(&self) -> Result<TxHash, ChainError> {
        let broker = TicketBroker::new(self.deployment.ticket_broker, &self.provider);
        let pending = broker.unlock().send().await.map_err(ChainError::call)?;
        self.confirm(pending).await
    }

    /// Cancels an unlock in progress.
    pub async fn cancel_unlock(&self) -> Result<TxHash, ChainError> {
        let broker = TicketBroker::new(self.deployment.ticket_broker, &self.provider);
        let pending = broker
            .cancelUnlock()
            .send()
            .await
            .map_err(ChainError::call)?;
        self.confirm(pending).await
    }

    /// Withdraws deposit and reserve after the unlock period.
    pub async fn withdraw(&self) -> Result<TxHash, ChainError> {
        let broker = TicketBroker::new(self.deployment.ticket_broker, &self.provider);
        let pending = broker.withdraw().send().await.map_err(ChainError::call)?;
        self.confirm(pending).await
    }

    async fn confirm(
        &self,
        pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
    ) -> Result<TxHash, ChainError> {
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|e| ChainError::Rpc(e.to_string()))?;
        if !receipt.status() {
            return Err(ChainError::Reverted(receipt.transaction_hash));
        }
        Ok(receipt.transaction_hash)
    }

    /// Every orchestrator registered for `service` in `region`, read `page` at a time.
    pub async fn orchestrators_for(
        &self,
        service: B256,
        region: B256,
        page: u64,
    ) -> Result<Vec<Address>, ChainError> {
        let reg = ServiceRegistry::new(self.deployment.service_registry, &self.provider);
        let page = page.max(1);
        let mut out = Vec::new();
        let mut offset = 0u64;
        loop {
            let got = reg
                .orchestratorsFor(service, region, U256::from(offset), U256::from(page))
                .call()
                .await
                .map_err(|e| ChainError::Rpc(e.to_string()))?;
            let n = got.len() as u64;
            out.extend(got);
            if n < page {
                return Ok(out);
            }
            offset += n;
        }
    }

    /// An orchestrator's service URI in the registry.
    pub async fn service_uri(&self, orchestrator: Address) -> Result<String, ChainError> {
        let reg = ServiceRegistry::new(self.deployment.service_registry, &self.provider);
        reg.serviceURI(orchestrator)
            .call()
            .await
            .map_err(|e| ChainError::Rpc(e.to_string()))
    }

    /// An orchestrator's total stake (own and delegated), LPT wei.
    pub async fn stake_of(&self, orchestrator: Address) -> Result<U256, ChainError> {
        let bm = BondingManager::new(self.deployment.bonding_manager, &self.provider);
        let info = bm
            .orchestratorInfo(orchestrator)
            .call()
            .await
            .map_err(|e| ChainError::Rpc(e.to_string()))?;
        Ok(info.totalStake)
    }
}

/// Parses an amount of ether: `1.5eth`, `2ether`, `100gwei`, `123wei`, or a bare integer of wei.
pub fn parse_amount(s: &str) -> Result<U256, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = if let Some(n) = t.strip_suffix("ether") {
        (n, "ether")
    } else if let Some(n) = t.strip_suffix("eth") {
        (n, "ether")
    } else if let Some(n) = t.strip_suffix("gwei") {
        (n, "gwei")
    } else if let Some(n) = t.strip_suffix("wei") {
        (n, "wei")
    } else {
        (t.as_str(), "wei")
    };
    if num.trim().starts_with('-') {
        return Err(format!("{s:?} is negative"));
    }
    alloy::primitives::utils::parse_units(num.trim(), unit)
        .map(|v| v.get_absolute())
        .map_err(|e| format!("{s:?} is not an amount (e.g. 0.5eth, 100gwei, 123wei): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_with_units() {
        assert_eq!(
            parse_amount("1.5eth").expect("eth"),
            U256::from(1_500_000_000_000_000_000u128)
        );
        assert_eq!(
            parse_amount("2 ether").expect("ether"),
            U256::from(2_000_000_000_000_000_000u128)
        );
        assert_eq!(
            parse_amount("3gwei").expect("gwei"),
            U256::from(3_000_000_000u64)
        );
        assert_eq!(parse_amount("17").expect("wei"), U256::from(17u64));
        assert_eq!(parse_amount("17wei").expect("wei"), U256::from(17u64));
        assert!(parse_amount("one eth").is_err());
        assert!(parse_amount("-1eth").is_err());
    }
}
