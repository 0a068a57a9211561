//! Payment overhead per segment against the transcode it pays for, in the same run.
//!
//! - `payment/winning ticket` and `payment/losing ticket`: what the orchestrator does for a paid
//!   segment besides transcoding — [`Orchestrator::admit`] (service and size checks, a pool slot,
//!   the ticket through the embedded keeper: unpack, broker checks, signature recovery, replay
//!   protection, durable storage (fsync'd for a winner), the balance credited (fsync'd in
//!   `node.db`, as `run` keeps it) and held) and signing the
//!   segment's `SegmentReceipt` (EIP-712, FaultVerifier domain), then releasing the hold.
//! - `payment/... balances in memory`: the same with the balances not persisted, so the difference
//!   is what keeping them across a restart costs.
//! - `transcode/2s 720p -> 480p+360p+240p`: the anchor, the pool transcoding a 2 s 1280×720 30 fps
//!   segment (made by FFmpeg) into three rungs with the reference transcoder.
//!
//! `cargo bench -p streamflow-node --bench orchestrator_payment`. The chain is an in-memory
//! snapshot (no node): the keeper validates against it exactly as against one read from anvil.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use alloy::primitives::{Address, B256, Bytes, U256, b256};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use streamflow_keeper::chain::ChainState;
use streamflow_keeper::{Keeper, KeeperConfig, TicketParams};
use streamflow_node::orchestrator::content::ContentStore;
use streamflow_node::orchestrator::ledger::Ledger;
use streamflow_node::orchestrator::{Orchestrator, Settings};
use streamflow_node::pool::{Pool, TranscodeJob};
use streamflow_node::wire::{self, Payment, Price, SegmentJob, ServiceOffer};
use streamflow_protocol::receipt::{Rendition, SegmentReceipt, TicketParams as ReceiptTicket};
use streamflow_protocol::ticket::{SignedTicket, Ticket, broker_domain};
use streamflow_protocol::validate::SenderFunds;
use streamflow_protocol::{LocalSigner, MemoryBroker};
use streamflow_transcoder::Profile;
use streamflow_transcoder::transcode::TranscodeOptions;

const ORCH_KEY: B256 = b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const SENDER_KEY: B256 = b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const BROKER: Address = Address::repeat_byte(0xb0);
const CHAIN: u64 = 31337;

struct Fixture {
    orch: Orchestrator,
    sender: LocalSigner,
    params: TicketParams,
    _dir: tempfile::TempDir,
}

fn ladder() -> Vec<Profile> {
    ["480p", "360p", "240p"]
        .iter()
        .map(|n| Profile::preset(n).unwrap())
        .collect()
}

async fn fixture(persist: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let signer = LocalSigner::from_bytes(&ORCH_KEY).unwrap();
    let sender = LocalSigner::from_bytes(&SENDER_KEY).unwrap();
    let keeper = Keeper::open(
        dir.path().join("keeper.db"),
        KeeperConfig {
            chain_id: CHAIN,
            broker: BROKER,
            recipient: signer.address(),
            expected_value: U256::from(1_000_000_000_000u64),
            face_value_multiplier: 100,
            redeem_gas: 140_000,
        },
    )
    .unwrap();
    let mut b = MemoryBroker {
        current_round: 10,
        ticket_validity_period: 2,
        ..Default::default()
    };
    b.block_hashes.insert(10, B256::repeat_byte(10));
    b.active.insert((signer.address(), 10));
    b.senders.insert(
        sender.address(),
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
        base_fee: 1_000_000_000,
        gas_price: 2_000_000_000,
        block_number: 1,
    });
    let params = keeper.params_for(sender.address()).await.unwrap();
    let store = ContentStore::open(dir.path().join("content"), Duration::from_secs(3600)).unwrap();
    // The balances persisted as `run` keeps them (node.db, fsync'd per change).
    let ledger = if persist {
        Ledger::open(&dir.path().join("node.db")).unwrap()
    } else {
        Ledger::default()
    };
    let orch = Orchestrator::with_ledger(
        keeper,
        Pool::local(1, TranscodeOptions::default()),
        signer,
        store,
        Settings {
            chain_id: CHAIN,
            fault_verifier: Address::repeat_byte(0xfa),
            services: vec![ServiceOffer {
                service_id: wire::service_id("h264-abr"),
                name: "h264-abr".into(),
                verifier: Address::ZERO,
                // Cheap enough that one ticket's expected value covers a segment's worst case.
                price: Price {
                    wei_per_unit: U256::from(1u8),
                    pixels_per_unit: 1_000,
                },
            }],
            regions: vec![],
            max_segment_bytes: 16 << 20,
            max_segment_ms: 2_500,
            max_fps: 30,
        },
        ledger,
    );
    Fixture {
        orch,
        sender,
        params,
        _dir: dir,
    }
}

fn ticket(f: &Fixture, nonce: u32, win: bool) -> Bytes {
    let p = &f.params;
    let t = Ticket {
        recipient: p.recipient,
        sender: f.sender.address(),
        face_value: u128::try_from(p.face_value).unwrap(),
        // Always wins, or (practically) never: a losing ticket is worth ~0 wei, so its segment is
        // paid by the credit the winning tickets of the first group left.
        win_prob: if win { U256::MAX } else { U256::from(1u8) },
        sender_nonce: nonce,
        recipient_rand_hash: p.recipient_rand_hash,
        creation_round: u32::try_from(p.creation_round).unwrap(),
        creation_round_block_hash: p.creation_round_block_hash,
    };
    let sep = broker_domain(CHAIN, BROKER).separator();
    Bytes::from(
        SignedTicket {
            ticket: t,
            recipient_rand: U256::ZERO,
            signature: Bytes::copy_from_slice(&t.sign(&sep, &f.sender)),
        }
        .pack(),
    )
}

fn job(seq_no: u64) -> SegmentJob {
    SegmentJob {
        stream_id: B256::repeat_byte(1),
        seq_no,
        service_id: wire::service_id("h264-abr"),
        input_hash: B256::repeat_byte(2),
        size: 1_000_000,
        format: wire::FORMAT_MPEGTS.into(),
        profiles: ladder(),
    }
}

/// What the orchestrator does for a segment's payment: admit (keeper included), sign the receipt,
/// release the hold.
async fn pay(f: &Fixture, packed: Bytes, nonce: u32) {
    let payment = Payment {
        sender: f.sender.address(),
        seed: f.params.seed,
        tickets: vec![packed],
    };
    let admitted = f.orch.admit(job(u64::from(nonce)), payment).await.unwrap();
    let receipt = SegmentReceipt {
        broadcaster: f.sender.address(),
        orchestrator: f.orch.address(),
        stream_id: B256::repeat_byte(1),
        seq_no: U256::from(nonce),
        input_hash: B256::repeat_byte(2),
        service_id: wire::service_id("h264-abr"),
        renditions: ladder()
            .iter()
            .map(|p| Rendition {
                profile: wire::profile_id(p),
                output_hash: B256::repeat_byte(3),
                pixels: 1_000_000,
            })
            .collect(),
        ticket: ReceiptTicket::default(),
    };
    std::hint::black_box(f.orch.sign_receipt(&receipt).unwrap());
    drop(admitted);
}

fn bench(c: &mut Criterion) {
    streamflow_transcoder::quiet_ffmpeg(false);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let f = rt.block_on(fixture(true));
    let mem = rt.block_on(fixture(false));
    let nonce = AtomicU32::new(1);

    let mut g = c.benchmark_group("payment");
    g.sample_size(50).measurement_time(Duration::from_secs(10));
    for (name, win) in [("winning ticket", true), ("losing ticket", false)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let n = nonce.fetch_add(1, Ordering::Relaxed);
                    (ticket(&f, n, win), n)
                },
                |(t, n)| rt.block_on(pay(&f, t, n)),
                BatchSize::SmallInput,
            )
        });
    }
    // The same, with the balances in memory only: what persisting them costs.
    for (name, win) in [
        ("winning ticket, balances in memory", true),
        ("losing ticket, balances in memory", false),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let n = nonce.fetch_add(1, Ordering::Relaxed);
                    (ticket(&mem, n, win), n)
                },
                |(t, n)| rt.block_on(pay(&mem, t, n)),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("720p.ts");
    streamflow_transcoder::testmedia::generate_segment(
        &streamflow_transcoder::testmedia::SegmentSpec::new(1280, 720, 30, 2.0),
        &src,
    )
    .expect("ffmpeg makes the 720p segment");
    let segment = Arc::new(std::fs::read(&src).unwrap());
    let pool = f.orch.pool().clone();
    let mut g = c.benchmark_group("transcode");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("2s 720p -> 480p+360p+240p", |b| {
        b.iter(|| {
            rt.block_on(async {
                let slot = pool.reserve().unwrap();
                let out = pool
                    .transcode(
                        slot,
                        TranscodeJob {
                            segment: segment.clone(),
                            profiles: ladder(),
                        },
                    )
                    .await
                    .unwrap();
                std::hint::black_box(out.renditions.len())
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
