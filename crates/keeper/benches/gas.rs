//! Gas per redeemed ticket and the fraction of face value spent on gas, for the keeper's policy and
//! for go-livepeer's (each winner redeemed alone, as soon as it wins), on the same stream of winning
//! tickets in one run on a real anvil with the real contracts.
//!
//! Stream: one winning ticket of 0.01 ETH per block for `KEEPER_BENCH_WINNERS` blocks (default 30),
//! base fee held at 1 gwei, tip 1 gwei. Both keepers redeem for the same orchestrator account, one
//! after the other in each block.
//!
//! `cargo bench -p streamflow-keeper --bench gas`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Chain, ETHER};
use streamflow_keeper::Keeper;
use streamflow_keeper::redeem::Policy;
use streamflow_keeper::store::TicketState;

struct Totals {
    tickets: u64,
    gas: u64,
    cost: u128,
    face: u128,
    txs: std::collections::HashSet<alloy::primitives::B256>,
}

fn totals(k: &Keeper) -> Totals {
    let all = k.with_store(|s| s.tickets_in(TicketState::Redeemed).unwrap());
    Totals {
        tickets: all.len() as u64,
        gas: all.iter().map(|t| t.gas_used.unwrap_or(0)).sum(),
        cost: all.iter().map(|t| t.gas_cost.unwrap_or(0)).sum(),
        face: all.iter().map(|t| t.face_value).sum(),
        txs: all.iter().filter_map(|t| t.tx_hash).collect(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let winners: u32 = std::env::var("KEEPER_BENCH_WINNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let chain = Chain::start(100, 100 * ETHER, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let ours = Keeper::open(dir.path().join("ours.db"), chain.config(ETHER / 1000)).unwrap();
    let glp = Keeper::open(dir.path().join("glp.db"), chain.config(ETHER / 1000)).unwrap();
    let base = Policy {
        confirmations: 1,
        priority_fee_per_gas: 1_000_000_000,
        ..Policy::default()
    };
    let ours_r = chain.redeemer(&ours, base.clone());
    // go-livepeer's redeemer: one transaction per ticket, sent as soon as it wins.
    let glp_r = chain.redeemer(
        &glp,
        Policy {
            max_batch: 1,
            max_cost_bps: 1_000_000,
            ..base.clone()
        },
    );
    ours_r.refresh().await.unwrap();
    glp_r.refresh().await.unwrap();
    let face = ETHER / 100;
    for i in 0..winners {
        chain.initialize_round_if_needed().await;
        for k in [&ours, &glp] {
            let t = chain.make_ticket(k, i, face, true).await;
            k.submit(&t).await.unwrap();
        }
        chain.set_base_fee(1_000_000_000).await;
        chain.mine(1).await;
        ours_r.step().await.unwrap();
        glp_r.step().await.unwrap();
    }
    // Let both finish (ours redeems what waits at the deadline).
    for _ in 0..300 {
        let done = [&ours, &glp].iter().all(|k| {
            k.with_store(|s| s.tickets_in(TicketState::Won).unwrap().is_empty())
                && k.with_store(|s| s.tickets_in(TicketState::Submitted).unwrap().is_empty())
        });
        if done {
            break;
        }
        chain.initialize_round_if_needed().await;
        chain.set_base_fee(1_000_000_000).await;
        chain.mine(1).await;
        ours_r.step().await.unwrap();
        glp_r.step().await.unwrap();
    }
    println!("stream: {winners} winners of {face} wei, one per block, base fee 1 gwei, tip 1 gwei");
    println!(
        "{:<28} {:>8} {:>6} {:>14} {:>16} {:>10}",
        "policy", "redeemed", "txs", "gas/ticket", "gas wei/ticket", "% of face"
    );
    for (name, k) in [
        ("keeper (1 % rule, batches)", &ours),
        ("go-livepeer (1 tx/ticket)", &glp),
    ] {
        let t = totals(k);
        let n = t.tickets.max(1);
        println!(
            "{:<28} {:>8} {:>6} {:>14} {:>16} {:>9.3}%",
            name,
            t.tickets,
            t.txs.len(),
            t.gas / n,
            t.cost / u128::from(n),
            100.0 * t.cost as f64 / t.face.max(1) as f64
        );
    }
    let expired = |k: &Keeper| k.with_store(|s| s.tickets_in(TicketState::Expired).unwrap().len());
    println!(
        "expired: keeper {}, go-livepeer {}",
        expired(&ours),
        expired(&glp)
    );
}
