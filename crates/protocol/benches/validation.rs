//! Ticket validation throughput on one core, against the bare libsecp256k1 recovery it is built on.
//!
//! `cargo bench -p streamflow-protocol --bench validation` runs three criterion benchmarks
//! (`check_redemption` of a winning ticket paid from the deposit, `check_intake`, and the bare
//! `secp256k1_ecdsa_recover` of the same signatures), then measures validation, bare recovery and
//! (for reference) alloy's `k256` recovery in alternating slices of the same run and prints the rates
//! and the ratios. On a loaded machine
//! only the ratio is comparable between runs.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use criterion::{Criterion, Throughput};
use secp256k1::{
    Message, SECP256K1,
    ecdsa::{RecoverableSignature, RecoveryId},
};
use std::hint::black_box;
use std::time::{Duration, Instant};
use streamflow_protocol::{
    LocalSigner, MemoryBroker, SignedTicket, Ticket, Validator, ticket, validate::SenderFunds,
};

const TICKETS: usize = 256;

struct Fixture {
    validator: Validator,
    state: MemoryBroker,
    recipient: Address,
    tickets: Vec<SignedTicket>,
    /// The same signatures as libsecp256k1 inputs: (digest, r ‖ s, recovery id).
    raw: Vec<([u8; 32], [u8; 64], RecoveryId)>,
    /// The same signatures as alloy signatures (recovered with `k256` for reference).
    alloy: Vec<(B256, alloy::primitives::Signature)>,
}

fn fixture() -> Fixture {
    let sender = LocalSigner::from_bytes(&keccak256("bench sender")).expect("key");
    let recipient = Address::repeat_byte(0x0b);
    let validator = Validator::new(1, Address::repeat_byte(0x33));
    let mut state = MemoryBroker {
        current_round: 1000,
        ticket_validity_period: 2,
        ..Default::default()
    };
    state.block_hashes.insert(1000, B256::repeat_byte(0xbb));
    state.active.insert((recipient, 1000));
    state.senders.insert(
        sender.address(),
        SenderFunds {
            deposit: U256::from(10u64).pow(U256::from(21)),
            reserve: U256::ZERO,
            withdraw_round: 0,
        },
    );
    let mut tickets = Vec::with_capacity(TICKETS);
    let mut raw = Vec::with_capacity(TICKETS);
    let mut alloy_sigs = Vec::with_capacity(TICKETS);
    for i in 0..TICKETS {
        let rand = U256::from(i + 1);
        let t = Ticket {
            recipient,
            sender: sender.address(),
            face_value: 1_000_000_000_000_000,
            win_prob: U256::MAX,
            sender_nonce: u32::try_from(i).expect("small"),
            recipient_rand_hash: ticket::recipient_rand_hash(&rand),
            creation_round: 1000,
            creation_round_block_hash: B256::repeat_byte(0xbb),
        };
        let sig = t.sign(&validator.domain_separator(), &sender);
        let mut rs = [0u8; 64];
        rs.copy_from_slice(&sig[..64]);
        let id = if sig[64] == 27 {
            RecoveryId::Zero
        } else {
            RecoveryId::One
        };
        raw.push((t.digest(&validator.domain_separator()).0, rs, id));
        alloy_sigs.push((
            t.digest(&validator.domain_separator()),
            alloy::primitives::Signature::from_raw_array(&sig).expect("65 bytes"),
        ));
        tickets.push(SignedTicket {
            ticket: t,
            recipient_rand: rand,
            signature: Bytes::copy_from_slice(&sig),
        });
    }
    let f = Fixture {
        validator,
        state,
        recipient,
        tickets,
        raw,
        alloy: alloy_sigs,
    };
    for t in &f.tickets {
        assert!(
            f.validator
                .check_redemption(&f.state, f.recipient, t)
                .is_ok()
        );
    }
    f
}

fn validate_one(f: &Fixture, i: usize) {
    let r = f
        .validator
        .check_redemption(&f.state, f.recipient, &f.tickets[i % TICKETS]);
    black_box(r.is_ok());
}

fn recover_one(f: &Fixture, i: usize) {
    let (digest, rs, id) = &f.raw[i % TICKETS];
    let sig = RecoverableSignature::from_compact(rs, *id).expect("valid");
    let key = SECP256K1.recover_ecdsa(Message::from_digest(*digest), &sig);
    black_box(key.is_ok());
}

/// alloy's default backend (`k256`, pure Rust) on the same signatures, for reference.
fn recover_k256(f: &Fixture, i: usize) {
    let (digest, sig) = &f.alloy[i % TICKETS];
    let key = sig.recover_from_prehash(digest).expect("valid");
    black_box(Address::from_public_key(&key));
}

fn criterion_benches(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("one core");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("check_redemption (tickets)", |b| {
        b.iter(|| {
            i += 1;
            validate_one(f, i)
        })
    });
    g.bench_function("check_intake (tickets)", |b| {
        b.iter(|| {
            i += 1;
            let r = f
                .validator
                .check_intake(&f.state, f.recipient, &f.tickets[i % TICKETS]);
            black_box(r.is_ok());
        })
    });
    g.bench_function("bare libsecp256k1 recover", |b| {
        b.iter(|| {
            i += 1;
            recover_one(f, i)
        })
    });
    g.finish();
}

/// Rate of `op` over a slice of about `slice` of wall time.
fn rate(slice: Duration, f: &Fixture, op: fn(&Fixture, usize)) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < slice {
        for i in 0..64 {
            op(f, i);
        }
        n += 64;
    }
    (n, start.elapsed())
}

/// Alternating slices of validation and bare recovery: both see the same machine load.
fn side_by_side(f: &Fixture) {
    let (mut nv, mut tv, mut nr, mut tr) = (0u64, Duration::ZERO, 0u64, Duration::ZERO);
    let (mut nk, mut tk) = (0u64, Duration::ZERO);
    for _ in 0..10 {
        let (n, t) = rate(Duration::from_millis(100), f, recover_k256);
        nk += n;
        tk += t;
        let (n, t) = rate(Duration::from_millis(300), f, validate_one);
        nv += n;
        tv += t;
        let (n, t) = rate(Duration::from_millis(300), f, recover_one);
        nr += n;
        tr += t;
    }
    let v = nv as f64 / tv.as_secs_f64();
    let r = nr as f64 / tr.as_secs_f64();
    let k = nk as f64 / tk.as_secs_f64();
    println!();
    println!("side by side, one core, alternating 300 ms slices (3 s each; k256 100 ms slices):");
    println!("  ticket validation (check_redemption, recovery included): {v:>9.0} tickets/s");
    println!("  bare libsecp256k1 recover:                                {r:>9.0} recovers/s");
    println!("  alloy k256 recover (reference, not used):                 {k:>9.0} recovers/s");
    println!(
        "  ratio: {:.1} % of the bare recover rate (goal: at least 80 %); libsecp256k1 / k256: {:.1}x",
        100.0 * v / r,
        r / k
    );
}

fn main() {
    let f = fixture();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &f);
    c.final_summary();
    // `cargo test --benches` / `--test` runs each benchmark once: skip the measured summary.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        side_by_side(&f);
    }
}
