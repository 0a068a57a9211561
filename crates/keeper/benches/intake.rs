//! Durable intake: latency (p50/p99) and tickets/s of `Keeper::submit` for winning tickets, each
//! fsync'd before its answer, on this machine's disk. Anchor in the same run: one submitter at a
//! time (every ticket pays its own fsync) against many concurrent submitters (group commit).
//!
//! `cargo bench -p streamflow-keeper --bench intake` (`KEEPER_BENCH_TICKETS` sets the count).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use alloy::primitives::{Address, B256, Bytes, U256, b256};
use std::time::{Duration, Instant};
use streamflow_keeper::chain::ChainState;
use streamflow_keeper::{Keeper, KeeperConfig, Submission};
use streamflow_protocol::ticket::{SignedTicket, Ticket};
use streamflow_protocol::validate::SenderFunds;
use streamflow_protocol::{LocalSigner, MemoryBroker, Validator};

const KEY: B256 = b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const BROKER: Address = Address::repeat_byte(0xb0);
const ME: Address = Address::repeat_byte(0xa0);

fn setup(dir: &std::path::Path) -> (Keeper, LocalSigner) {
    let key = LocalSigner::from_bytes(&KEY).unwrap();
    let keeper = Keeper::open(
        dir.join("k.db"),
        KeeperConfig {
            chain_id: 31337,
            broker: BROKER,
            recipient: ME,
            expected_value: U256::from(1u64),
            face_value_multiplier: 1,
            redeem_gas: 1,
        },
    )
    .unwrap();
    let mut b = MemoryBroker {
        current_round: 10,
        ticket_validity_period: 2,
        ..Default::default()
    };
    b.block_hashes.insert(10, B256::repeat_byte(10));
    b.active.insert((ME, 10));
    b.senders.insert(
        key.address(),
        SenderFunds {
            deposit: U256::MAX >> 1,
            reserve: U256::ZERO,
            withdraw_round: 0,
        },
    );
    keeper.set_chain_state(ChainState {
        broker: b,
        round_length: 50,
        round_start_block: 1,
        base_fee: 1,
        gas_price: 1,
        block_number: 1,
    });
    (keeper, key)
}

async fn tickets(keeper: &Keeper, key: &LocalSigner, n: u32) -> Vec<Submission> {
    let p = keeper.params_for(key.address()).await.unwrap();
    let sep = Validator::new(31337, BROKER).domain_separator();
    (0..n)
        .map(|i| {
            let t = Ticket {
                recipient: ME,
                sender: key.address(),
                face_value: 1_000,
                win_prob: U256::MAX,
                sender_nonce: i,
                recipient_rand_hash: p.recipient_rand_hash,
                creation_round: 10,
                creation_round_block_hash: B256::repeat_byte(10),
            };
            let st = SignedTicket {
                ticket: t,
                recipient_rand: U256::ZERO,
                signature: Bytes::copy_from_slice(&t.sign(&sep, key)),
            };
            Submission {
                packed: st.pack(),
                seed: p.seed,
            }
        })
        .collect()
}

async fn run(concurrency: usize, n: u32) -> (Duration, Vec<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let (keeper, key) = setup(dir.path());
    let subs = tickets(&keeper, &key, n).await;
    let chunks: Vec<Vec<Submission>> = subs
        .chunks(subs.len().div_ceil(concurrency))
        .map(|c| c.to_vec())
        .collect();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let k = keeper.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(chunk.len());
            for s in chunk {
                let t = Instant::now();
                let ack = k.submit(&s).await.unwrap();
                assert!(ack.winning);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (start.elapsed(), all)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: u32 = std::env::var("KEEPER_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    println!("durable intake of {n} winning tickets (synchronous=FULL, WAL), per concurrency:");
    println!(
        "{:>12} {:>12} {:>12} {:>12}",
        "submitters", "tickets/s", "p50", "p99"
    );
    for c in [1usize, 16, 64] {
        let (total, mut lat) = run(c, n).await;
        lat.sort();
        println!(
            "{:>12} {:>12.0} {:>12.2?} {:>12.2?}",
            c,
            f64::from(n) / total.as_secs_f64(),
            pct(&lat, 0.50),
            pct(&lat, 0.99)
        );
    }
}
