//! Crash safety: the keeper binary is SIGKILLed at random points while it takes tickets and
//! redeems them, and restarted each time. At the end every acknowledged winning ticket is used on
//! chain, each exactly once, and the database agrees with the chain.
//!
//! `KEEPER_CRASH_KILLS` sets the number of kills (default 100).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use alloy::transports::http::reqwest;
use common::{Chain, ETHER};
use rand::Rng;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streamflow_bindings::contracts::TicketBroker;
use streamflow_keeper::store::{Store, TicketState};
use streamflow_protocol::Validator;
use streamflow_protocol::ticket::{SignedTicket, Ticket};

struct Daemon {
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(config: &std::path::Path) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_streamflow-keeper"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("keeper binary starts");
    Daemon { child }
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/status")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("keeper did not come up");
}

/// Submits tickets until the daemon dies; records the hashes of acknowledged winners.
async fn feed(
    http: reqwest::Client,
    base: String,
    chain: Arc<Chain>,
    nonce: Arc<Mutex<u32>>,
    acked: Arc<Mutex<Vec<B256>>>,
) {
    let sep = Validator::new(chain.d.chain_id, chain.d.ticket_broker).domain_separator();
    loop {
        let Ok(r) = http
            .get(format!("{base}/params/{}", chain.sender.address()))
            .send()
            .await
        else {
            return;
        };
        let Ok(p) = r.bytes().await else { return };
        let Ok(p) = serde_json::from_slice::<serde_json::Value>(&p) else {
            return;
        };
        let Some(rand_hash) = p["recipientRandHash"].as_str() else {
            // Not served now (e.g. the round is not initialized yet): try again.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let n = {
            let mut g = nonce.lock().unwrap();
            *g += 1;
            *g
        };
        let win = n % 3 != 0;
        let t = Ticket {
            recipient: p["recipient"].as_str().unwrap().parse::<Address>().unwrap(),
            sender: chain.sender.address(),
            face_value: ETHER / 10,
            win_prob: if win { U256::MAX } else { U256::ZERO },
            sender_nonce: n,
            recipient_rand_hash: rand_hash.parse().unwrap(),
            creation_round: u32::try_from(p["creationRound"].as_u64().unwrap()).unwrap(),
            creation_round_block_hash: p["creationRoundBlockHash"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        };
        let st = SignedTicket {
            ticket: t,
            recipient_rand: U256::ZERO,
            signature: Bytes::copy_from_slice(&t.sign(&sep, &chain.sender)),
        };
        let body = serde_json::json!({
            "ticket": Bytes::from(st.pack()),
            "seed": p["seed"],
        });
        let Ok(r) = http
            .post(format!("{base}/tickets"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap())
            .send()
            .await
        else {
            return;
        };
        let ok = r.status().is_success();
        let Ok(body) = r.bytes().await else { return };
        if ok {
            let ack: serde_json::Value = serde_json::from_slice(&body).unwrap();
            if ack["winning"].as_bool().unwrap() {
                acked
                    .lock()
                    .unwrap()
                    .push(ack["ticketHash"].as_str().unwrap().parse().unwrap());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_and_doubles_nothing() {
    let kills: usize = std::env::var("KEEPER_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let chain = Arc::new(Chain::start(20, 1_000 * ETHER, 0).await);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("orch.key");
    std::fs::write(&key, alloy::hex::encode(chain.orch.to_bytes())).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let db = dir.path().join("keeper.db");
    let port = free_port();
    let config = dir.path().join("keeper.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"{}\"\ndeployment = \"{}\"\nkey_file = \"{}\"\ndb = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n\
             expected_value_wei = \"1000000000000000\"\nconfirmations = 1\npoll_ms = 50\nreplace_after_secs = 2\n",
            chain.anvil.endpoint(),
            chain.deployment_file.path().display(),
            key.display(),
            db.display(),
        ),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let nonce = Arc::new(Mutex::new(0u32));
    let acked = Arc::new(Mutex::new(Vec::<B256>::new()));
    let mut rng = rand::rng();

    for _ in 0..kills {
        chain.initialize_round_if_needed().await;
        let mut daemon = start(&config);
        wait_ready(&http, &base).await;
        let feeder = tokio::spawn(feed(
            http.clone(),
            base.clone(),
            chain.clone(),
            nonce.clone(),
            acked.clone(),
        ));
        // Blocks keep coming: redemptions start and get confirmed while tickets arrive.
        let life = rng.random_range(0..400u64);
        tokio::time::sleep(Duration::from_millis(life / 2)).await;
        chain.mine(1).await;
        tokio::time::sleep(Duration::from_millis(life / 2)).await;
        daemon.child.kill().unwrap(); // SIGKILL
        daemon.child.wait().unwrap();
        feeder.abort();
        let _ = feeder.await;
    }

    // A last run, left to finish its work.
    chain.initialize_round_if_needed().await;
    let daemon = start(&config);
    wait_ready(&http, &base).await;
    let acked: Vec<B256> = acked.lock().unwrap().clone();
    assert!(!acked.is_empty());
    let settled = common::wait_for(Duration::from_secs(90), || async {
        chain.mine(1).await;
        let s = Store::open(&db).unwrap();
        s.all_tickets()
            .unwrap()
            .iter()
            .all(|t| !t.state.is_pending())
    })
    .await;
    drop(daemon);
    assert!(settled, "tickets still pending after the last run");

    // Against the chain: every acknowledged winner used; every redemption event is of a stored
    // ticket and appears once.
    let store = Store::open(&db).unwrap();
    let stored = store.all_tickets().unwrap();
    let filter = Filter::new()
        .address(chain.d.ticket_broker)
        .event_signature(TicketBroker::TicketRedeemed::SIGNATURE_HASH)
        .from_block(0);
    let logs = chain.provider.get_logs(&filter).await.unwrap();
    let mut redeemed = HashSet::new();
    for l in &logs {
        let ev = TicketBroker::TicketRedeemed::decode_log_data(l.data()).unwrap();
        assert!(
            redeemed.insert(ev.ticketHash),
            "redeemed twice: {}",
            ev.ticketHash
        );
    }
    let stored_hashes: HashSet<B256> = stored.iter().map(|t| t.ticket_hash).collect();
    for h in &acked {
        assert!(stored_hashes.contains(h), "acknowledged winner {h} lost");
        let t = stored.iter().find(|t| t.ticket_hash == *h);
        assert!(
            chain.is_used(*h).await || t.is_some_and(|t| t.state == TicketState::Expired),
            "acknowledged winner {h} neither redeemed nor expired: {t:?}"
        );
    }
    let mut expired = 0;
    for t in &stored {
        match t.state {
            TicketState::Redeemed => assert!(redeemed.contains(&t.ticket_hash)),
            TicketState::Expired | TicketState::Failed => {
                expired += 1;
                assert!(t.reason.is_some());
                assert!(!redeemed.contains(&t.ticket_hash));
            }
            s => panic!("{s:?} left"),
        }
    }
    assert!(redeemed.iter().all(|h| stored_hashes.contains(h)));
    let txs = store.open_txs().unwrap().len();
    println!(
        "crash test: {kills} SIGKILLs, {} winners acknowledged, {} stored, {} redeemed on chain (once each), {expired} expired/failed, {txs} open txs",
        acked.len(),
        stored.len(),
        redeemed.len()
    );
}
