//! A real chain for the keeper's tests: anvil on a random port, the protocol deployed by the forge
//! script, an orchestrator bonded and active, a funded sender.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use alloy::network::EthereumWallet;
use alloy::node_bindings::AnvilInstance;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::time::{Duration, Instant};
use streamflow_bindings::Deployment;
use streamflow_bindings::contracts::{RoundsManager, TicketBroker};
use streamflow_bindings::devnet::{self, Devnet};
use streamflow_keeper::chain::{ChainReader, Contracts};
use streamflow_keeper::redeem::{Policy, Redeemer};
use streamflow_keeper::{Keeper, KeeperConfig, Submission};
use streamflow_protocol::ticket::{SignedTicket, Ticket};
use streamflow_protocol::{LocalSigner, Validator};

pub use streamflow_bindings::devnet::ETHER;

pub struct Chain {
    pub anvil: AnvilInstance,
    pub d: Deployment,
    pub gov: PrivateKeySigner,
    pub orch: PrivateKeySigner,
    pub sender: LocalSigner,
    pub sender_wallet: PrivateKeySigner,
    pub provider: DynProvider,
    pub deployment_file: tempfile::NamedTempFile,
}

impl Chain {
    /// Deploys with `round_length` blocks per round (ticket validity 2 rounds), bonds the
    /// orchestrator, starts a round in which it is active, funds the sender.
    pub async fn start(round_length: u64, deposit: u128, reserve: u128) -> Self {
        let Devnet {
            anvil,
            governance: gov,
            deployment: d,
            file,
        } = Devnet::start(round_length).expect("anvil with the protocol deployed");
        let orch: PrivateKeySigner = anvil.keys()[1].clone().into();
        let sender_wallet: PrivateKeySigner = anvil.keys()[2].clone().into();
        let sender =
            LocalSigner::from_bytes(&B256::from_slice(&anvil.keys()[2].to_bytes())).unwrap();
        let provider = ProviderBuilder::new()
            .connect_http(anvil.endpoint_url())
            .erased();
        let chain = Self {
            d,
            gov,
            orch,
            sender,
            sender_wallet,
            provider,
            deployment_file: file,
            anvil,
        };
        chain.bond_orchestrator().await;
        chain.next_round().await;
        chain.fund(deposit, reserve).await;
        chain
    }

    pub fn as_(&self, key: &PrivateKeySigner) -> DynProvider {
        devnet::provider_as(self.anvil.endpoint_url(), key)
    }

    async fn bond_orchestrator(&self) {
        self.bond(&self.orch).await;
    }

    /// Bonds 2,000 LPT of `key` to itself (an orchestrator, active from the next round).
    pub async fn bond(&self, key: &PrivateKeySigner) {
        let stake = U256::from(2_000u64) * U256::from(ETHER);
        devnet::bond_orchestrator(
            &self.as_(&self.gov),
            &self.as_(key),
            key.address(),
            &self.d,
            stake,
        )
        .await
        .unwrap();
    }

    /// Another orchestrator (`other`) redeems, on its own, a winning ticket of `face_value` from
    /// the sender (a sender paying several orchestrators).
    pub async fn redeem_elsewhere(&self, other: &PrivateKeySigner, nonce: u32, face_value: u128) {
        let rand = U256::from(0xdead_0000u64 + u64::from(nonce));
        let round = self.round().await;
        let block_hash: B256 = RoundsManager::new(self.d.rounds_manager, &self.provider)
            .blockHashForRound(U256::from(round))
            .call()
            .await
            .unwrap();
        let t = Ticket {
            recipient: other.address(),
            sender: self.sender.address(),
            face_value,
            win_prob: U256::MAX,
            sender_nonce: nonce,
            recipient_rand_hash: streamflow_protocol::ticket::recipient_rand_hash(&rand),
            creation_round: u32::try_from(round).unwrap(),
            creation_round_block_hash: block_hash,
        };
        let sep = Validator::new(self.d.chain_id, self.d.ticket_broker).domain_separator();
        let st = SignedTicket {
            ticket: t,
            recipient_rand: rand,
            signature: Bytes::copy_from_slice(&t.sign(&sep, &self.sender)),
        };
        let p = self.as_(other);
        let broker = TicketBroker::new(self.d.ticket_broker, &p);
        let redeem = broker.redeemWinningTicket(st.pack().into());
        if let Err(e) = devnet::transact("redeemWinningTicket", redeem).await {
            panic!("the other orchestrator's redemption failed: {e}");
        }
    }

    pub async fn fund(&self, deposit: u128, reserve: u128) {
        let s = self.as_(&self.sender_wallet);
        devnet::fund_sender(&s, &self.d, U256::from(deposit), U256::from(reserve))
            .await
            .unwrap();
    }

    pub async fn mine(&self, blocks: u64) {
        devnet::mine(&self.provider, blocks).await.unwrap();
    }

    /// Turns anvil's automine on or off (off: transactions wait in the pool until [`Chain::mine`]).
    pub async fn set_automine(&self, on: bool) {
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_setAutomine".into(), (on,))
            .await
            .unwrap();
    }

    /// Takes a snapshot of the chain (`evm_snapshot`), to go back to with [`Chain::revert`].
    pub async fn snapshot(&self) -> U256 {
        self.provider
            .raw_request("evm_snapshot".into(), ())
            .await
            .unwrap()
    }

    /// Drops every block mined since `snapshot` (a reorg to a shorter chain).
    pub async fn revert(&self, snapshot: U256) {
        let ok: bool = self
            .provider
            .raw_request("evm_revert".into(), (snapshot,))
            .await
            .unwrap();
        assert!(ok, "evm_revert refused");
    }

    pub async fn nonce_of(&self, a: Address) -> u64 {
        self.provider.get_transaction_count(a).await.unwrap()
    }

    pub async fn block(&self) -> u64 {
        self.provider.get_block_number().await.unwrap()
    }

    pub async fn round(&self) -> u64 {
        devnet::current_round(&self.provider, &self.d)
            .await
            .unwrap()
    }

    /// Mines to the next round's first block and initializes it.
    pub async fn next_round(&self) {
        devnet::next_round(&self.as_(&self.gov), &self.d)
            .await
            .unwrap();
    }

    /// Initializes the current round if nobody did (as an orchestrator's node does).
    pub async fn initialize_round_if_needed(&self) {
        devnet::initialize_round(&self.as_(&self.gov), &self.d)
            .await
            .unwrap();
    }

    pub async fn set_base_fee(&self, wei: u128) {
        let _: serde_json::Value = self
            .provider
            .raw_request(
                "anvil_setNextBlockBaseFeePerGas".into(),
                (format!("0x{wei:x}"),),
            )
            .await
            .unwrap();
    }

    pub async fn is_used(&self, h: B256) -> bool {
        devnet::is_used_ticket(&self.provider, &self.d, h)
            .await
            .unwrap()
    }

    pub async fn deposit(&self) -> U256 {
        devnet::sender_funds(&self.provider, &self.d, self.sender.address())
            .await
            .unwrap()
            .deposit
    }

    pub fn config(&self, expected_value: u128) -> KeeperConfig {
        KeeperConfig {
            chain_id: self.d.chain_id,
            broker: self.d.ticket_broker,
            recipient: self.orch.address(),
            expected_value: U256::from(expected_value),
            face_value_multiplier: 100,
            redeem_gas: 140_000,
        }
    }

    pub fn contracts(&self) -> Contracts {
        Contracts {
            ticket_broker: self.d.ticket_broker,
            rounds_manager: self.d.rounds_manager,
            bonding_manager: self.d.bonding_manager,
        }
    }

    pub fn redeemer(&self, keeper: &Keeper, policy: Policy) -> Redeemer {
        self.redeemer_at(keeper, policy, &self.anvil.endpoint())
    }

    /// A redeemer talking to the node at `url` (e.g. through a proxy).
    pub fn redeemer_at(&self, keeper: &Keeper, policy: Policy, url: &str) -> Redeemer {
        let provider = ProviderBuilder::new()
            .connect_http(url.parse().unwrap())
            .erased();
        let reader = ChainReader::new(provider, self.contracts(), self.orch.address());
        Redeemer::new(
            keeper.clone(),
            reader,
            EthereumWallet::from(self.orch.clone()),
            policy,
        )
    }

    /// A ticket from the sender on the keeper's current parameters, with this face value, winning
    /// always (`win`) or never.
    pub async fn make_ticket(
        &self,
        keeper: &Keeper,
        nonce: u32,
        face_value: u128,
        win: bool,
    ) -> Submission {
        let p = keeper.params_for(self.sender.address()).await.unwrap();
        let t = Ticket {
            recipient: p.recipient,
            sender: self.sender.address(),
            face_value,
            win_prob: if win { U256::MAX } else { U256::ZERO },
            sender_nonce: nonce,
            recipient_rand_hash: p.recipient_rand_hash,
            creation_round: u32::try_from(p.creation_round).unwrap(),
            creation_round_block_hash: p.creation_round_block_hash,
        };
        let sep = Validator::new(self.d.chain_id, self.d.ticket_broker).domain_separator();
        let st = SignedTicket {
            ticket: t,
            recipient_rand: U256::ZERO,
            signature: Bytes::copy_from_slice(&t.sign(&sep, &self.sender)),
        };
        Submission {
            packed: st.pack(),
            seed: p.seed,
        }
    }
}

/// Waits for `cond` up to `timeout`.
pub async fn wait_for<F, Fut>(timeout: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub fn addr(a: &PrivateKeySigner) -> Address {
    a.address()
}

/// A TCP proxy in front of the node that the test can take down (refusing new connections and
/// cutting open ones) and bring back.
pub struct Proxy {
    pub url: String,
    up: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (up, rx) = tokio::sync::watch::channel(true);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*rx.borrow() {
                    drop(inbound);
                    continue;
                }
                let mut down = rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = pump(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { url, up, task }
    }

    pub fn set_up(&self, up: bool) {
        let _ = self.up.send(up);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies bytes both ways until either side closes (with `net` readiness only).
async fn pump(a: &mut tokio::net::TcpStream, b: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            r = a.readable() => { if r.is_err() || !forward(a, b, &mut buf).await { return; } }
            r = b.readable() => { if r.is_err() || !forward(b, a, &mut buf).await { return; } }
        }
    }
}

async fn forward(from: &tokio::net::TcpStream, to: &tokio::net::TcpStream, buf: &mut [u8]) -> bool {
    let n = match from.try_read(buf) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
        Err(_) => return false,
    };
    let mut sent = 0;
    while sent < n {
        if to.writable().await.is_err() {
            return false;
        }
        match to.try_write(&buf[sent..n]) {
            Ok(k) => sent += k,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
    }
    true
}
