//! Intake against a chain snapshot held in memory, on a real SQLite file: every refusal is clear
//! and stores nothing; accepted winners are on disk when `submit` returns.
#![allow(clippy::unwrap_used)] // test helpers

use alloy::primitives::{Address, B256, Bytes, U256, b256};
use streamflow_bindings::contracts::TicketBroker::TicketBrokerErrors as E;
use streamflow_keeper::chain::ChainState;
use streamflow_keeper::store::{Store, TicketState};
use streamflow_keeper::{Keeper, KeeperConfig, Rejection, Submission};
use streamflow_protocol::ticket::{SignedTicket, Ticket};
use streamflow_protocol::validate::SenderFunds;
use streamflow_protocol::{LocalSigner, MemoryBroker, Validator};

const SENDER_KEY: B256 = b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const OTHER_KEY: B256 = b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const BROKER: Address = Address::repeat_byte(0xb0);
const ME: Address = Address::repeat_byte(0xa0);
const ROUND: u64 = 10;

fn config() -> KeeperConfig {
    KeeperConfig {
        chain_id: 31337,
        broker: BROKER,
        recipient: ME,
        expected_value: U256::from(1_000_000u64),
        face_value_multiplier: 100,
        redeem_gas: 100_000,
    }
}

fn chain(deposit: u64, withdraw_round: u64) -> ChainState {
    let sender = LocalSigner::from_bytes(&SENDER_KEY).unwrap().address();
    let mut b = MemoryBroker {
        current_round: ROUND,
        ticket_validity_period: 2,
        ..Default::default()
    };
    for r in [ROUND - 1, ROUND] {
        b.block_hashes.insert(r, B256::repeat_byte(r as u8));
        b.active.insert((ME, r));
    }
    b.senders.insert(
        sender,
        SenderFunds {
            deposit: U256::from(deposit),
            reserve: U256::ZERO,
            withdraw_round,
        },
    );
    ChainState {
        broker: b,
        block_number: 1_000,
        round_length: 50,
        round_start_block: 990,
        base_fee: 1,
        gas_price: 1,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    keeper: Keeper,
    key: LocalSigner,
}

fn fixture(deposit: u64, withdraw_round: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keeper.db");
    let keeper = Keeper::open(&db, config()).unwrap();
    keeper.set_chain_state(chain(deposit, withdraw_round));
    Fixture {
        _dir: dir,
        db,
        keeper,
        key: LocalSigner::from_bytes(&SENDER_KEY).unwrap(),
    }
}

impl Fixture {
    /// A ticket made from the keeper's parameters, signed by `key`, winning or not.
    async fn ticket(&self, nonce: u32, face_value: u128, win: bool) -> (Ticket, B256) {
        let p = self.keeper.params_for(self.key.address()).await.unwrap();
        let t = Ticket {
            recipient: p.recipient,
            sender: self.key.address(),
            face_value,
            win_prob: if win { U256::MAX } else { U256::ZERO },
            sender_nonce: nonce,
            recipient_rand_hash: p.recipient_rand_hash,
            creation_round: p.creation_round as u32,
            creation_round_block_hash: p.creation_round_block_hash,
        };
        (t, p.seed)
    }

    fn submission(&self, t: &Ticket, seed: B256, key: &LocalSigner) -> Submission {
        let sep = Validator::new(31337, BROKER).domain_separator();
        let st = SignedTicket {
            ticket: *t,
            recipient_rand: U256::ZERO,
            signature: Bytes::copy_from_slice(&t.sign(&sep, key)),
        };
        Submission {
            packed: st.pack(),
            seed,
        }
    }

    /// Stored winners and nonces, read from the file by a separate connection.
    fn on_disk(&self) -> (usize, usize) {
        let s = Store::open(&self.db).unwrap();
        let tickets = s.all_tickets().unwrap().len();
        (tickets, s.nonce_count().unwrap())
    }
}

#[tokio::test]
async fn a_winner_is_on_disk_when_acknowledged_and_a_loser_keeps_only_its_nonce() {
    let f = fixture(10_000_000_000, 0);
    let (t, seed) = f.ticket(1, 1_000_000_000, true).await;
    let ack = f
        .keeper
        .submit(&f.submission(&t, seed, &f.key))
        .await
        .unwrap();
    assert!(ack.winning);
    let s = Store::open(&f.db).unwrap();
    let stored = s
        .ticket(&ack.ticket_hash)
        .unwrap()
        .expect("stored before the ack");
    assert_eq!(stored.state, TicketState::Won);
    assert_eq!(stored.expiry_round, ROUND + 2);
    // The stored ticket carries the recipient's random number: the broker would redeem it.
    let st = SignedTicket::unpack(&stored.packed).unwrap();
    assert!(st.rand_matches());
    drop(s);

    let (t, seed) = f.ticket(2, 1_000_000_000, false).await;
    let ack = f
        .keeper
        .submit(&f.submission(&t, seed, &f.key))
        .await
        .unwrap();
    assert!(!ack.winning);
    assert_eq!(f.on_disk(), (1, 2));
}

#[tokio::test]
async fn every_refusal_is_clear_and_stores_nothing() {
    let f = fixture(10_000_000_000, 0);
    let other = LocalSigner::from_bytes(&OTHER_KEY).unwrap();
    let (good, seed) = f.ticket(7, 1_000_000_000, false).await;
    f.keeper
        .submit(&f.submission(&good, seed, &f.key))
        .await
        .unwrap();
    let (winner, seed) = f.ticket(8, 1_000_000_000, true).await;
    f.keeper
        .submit(&f.submission(&winner, seed, &f.key))
        .await
        .unwrap();
    let before = f.on_disk();
    assert_eq!(before, (1, 2));

    let sub = |t: Ticket| f.submission(&t, seed, &f.key);
    type Expect = Box<dyn Fn(&Rejection) -> bool>;
    let cases: Vec<(&str, Submission, Expect)> = vec![
        (
            "same losing nonce, another ticket",
            sub(Ticket {
                face_value: 999,
                ..good
            }),
            Box::new(|r| matches!(r, Rejection::NonceReplayed { nonce: 7, .. })),
        ),
        (
            "the same winner again",
            sub(winner),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::TicketUsed(_))),
            ),
        ),
        (
            "another recipient",
            sub(Ticket {
                recipient: Address::repeat_byte(9),
                sender_nonce: 20,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::WrongRecipient(_))),
            ),
        ),
        (
            "zero sender",
            sub(Ticket {
                sender: Address::ZERO,
                sender_nonce: 21,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::InvalidRecipientRand(_) | E::ZeroSender(_))),
            ),
        ),
        (
            "future round",
            sub(Ticket {
                creation_round: ROUND as u32 + 1,
                sender_nonce: 22,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::FutureCreationRound(_))),
            ),
        ),
        (
            "expired",
            sub(Ticket {
                creation_round: ROUND as u32 - 2,
                sender_nonce: 23,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::TicketExpired(_))),
            ),
        ),
        (
            "wrong block hash",
            sub(Ticket {
                creation_round_block_hash: B256::repeat_byte(1),
                sender_nonce: 24,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::CreationRoundBlockHashMismatch(_))),
            ),
        ),
        (
            "signed by someone else",
            f.submission(
                &Ticket {
                    sender_nonce: 25,
                    ..good
                },
                seed,
                &other,
            ),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::InvalidSignature(_))),
            ),
        ),
        (
            "wrong seed",
            f.submission(
                &Ticket {
                    sender_nonce: 26,
                    ..good
                },
                B256::repeat_byte(3),
                &f.key,
            ),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::InvalidRecipientRand(_))),
            ),
        ),
        (
            "face value above the deposit",
            sub(Ticket {
                face_value: 20_000_000_000,
                sender_nonce: 27,
                ..good
            }),
            Box::new(
                |r| matches!(r, Rejection::Contract(c) if matches!(c.error(), E::InsufficientFunds(_))),
            ),
        ),
        (
            "deposit minus pending winners too low: LowPMBalance",
            sub(Ticket {
                face_value: 9_500_000_000,
                sender_nonce: 28,
                ..good
            }),
            Box::new(|r| matches!(r, Rejection::LowPMBalance { .. })),
        ),
    ];
    for (name, s, expect) in cases {
        let r = f.keeper.submit(&s).await.expect_err(name);
        assert!(expect(&r), "{name}: {r:?}");
        assert!(!r.to_string().is_empty());
        assert_eq!(f.on_disk(), before, "{name} stored something");
    }

    // Truncated bodies and a high-s signature.
    let mut short = sub(Ticket {
        sender_nonce: 30,
        ..good
    });
    short.packed.truncate(200);
    assert!(matches!(
        f.keeper.submit(&short).await,
        Err(Rejection::Malformed(_))
    ));
    let mut high_s = sub(Ticket {
        sender_nonce: 31,
        ..good
    });
    high_s.packed[192 + 32] |= 0x80;
    assert!(
        matches!(f.keeper.submit(&high_s).await, Err(Rejection::Contract(c)) if matches!(c.error(), E::SignatureHighS(_)))
    );
    assert_eq!(f.on_disk(), before);
}

#[tokio::test]
async fn an_unlocking_sender_is_not_served() {
    let f = fixture(10_000_000_000, 0);
    let (t, seed) = f.ticket(1, 1_000, true).await;
    // The sender calls unlock(): its withdraw round is set, three rounds ahead. The broker would
    // still redeem its tickets until then; the keeper stops serving it now.
    f.keeper.set_chain_state(chain(10_000_000_000, ROUND + 3));
    let r = f
        .keeper
        .submit(&f.submission(&t, seed, &f.key))
        .await
        .unwrap_err();
    assert!(
        matches!(r, Rejection::SenderUnlocking { withdraw_round, .. } if withdraw_round == ROUND + 3),
        "{r:?}"
    );
    assert!(f.keeper.params_for(f.key.address()).await.is_err());
    assert!(!f.keeper.sender_can_pay(f.key.address(), U256::from(1)));
    assert_eq!(f.on_disk(), (0, 0));
}

#[tokio::test]
async fn replay_protection_survives_a_restart() {
    let f = fixture(10_000_000_000, 0);
    let (t, seed) = f.ticket(5, 1_000, false).await;
    let s = f.submission(&t, seed, &f.key);
    f.keeper.submit(&s).await.unwrap();
    drop(f.keeper);
    let keeper = Keeper::open(&f.db, config()).unwrap();
    keeper.set_chain_state(chain(10_000_000_000, 0));
    // The same seed gives the same number after the restart (persisted secret): only the nonce
    // replay refuses it.
    let r = keeper.submit(&s).await.unwrap_err();
    assert!(
        matches!(r, Rejection::NonceReplayed { nonce: 5, .. }),
        "{r:?}"
    );
}

#[tokio::test]
async fn params_price_from_gas_and_float() {
    let f = fixture(10_000_000_000, 0);
    let p = f.keeper.params_for(f.key.address()).await.unwrap();
    // face value = redeem gas × gas price × multiplier = 100_000 × 1 × 100, above the EV.
    assert_eq!(p.face_value, U256::from(10_000_000u64));
    assert_eq!(p.expiration_block, 990 + 50 * 2);
    // Same seed until revealed.
    assert_eq!(
        f.keeper.params_for(f.key.address()).await.unwrap().seed,
        p.seed
    );
    assert!(
        f.keeper
            .sender_can_pay(f.key.address(), U256::from(10_000_000_000u64))
    );
    assert!(
        !f.keeper
            .sender_can_pay(f.key.address(), U256::from(10_000_000_001u64))
    );
    let poor = fixture(100, 0);
    assert!(poor.keeper.params_for(poor.key.address()).await.is_err());
}

/// Many winning tickets submitted at once, each within what the sender can pay on its own but
/// together far beyond it: the exposure check and the recording of each winner are one step, so
/// exactly as many are accepted as the deposit covers, the rest refused with `LowPMBalance` and
/// nothing of them stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_winners_never_exceed_what_the_sender_can_pay() {
    const FACE: u128 = 1_000_000_000;
    const COVERED: u64 = 10;
    const SUBMITTED: u32 = 64;
    let f = std::sync::Arc::new(fixture(COVERED * FACE as u64, 0));
    // Every ticket is made (and signed) first, so the submissions race only each other.
    let mut subs = Vec::new();
    for nonce in 0..SUBMITTED {
        let (t, seed) = f.ticket(nonce, FACE, true).await;
        subs.push(f.submission(&t, seed, &f.key));
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(subs.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for sub in subs {
        let (f, start) = (f.clone(), start.clone());
        tasks.spawn(async move {
            start.wait().await;
            f.keeper.submit(&sub).await
        });
    }
    let (mut accepted, mut low) = (0u64, 0u64);
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            Ok(ack) => {
                assert!(ack.winning);
                accepted += 1;
            }
            Err(Rejection::LowPMBalance { face_value, .. }) => {
                assert_eq!(face_value, U256::from(FACE));
                low += 1;
            }
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!(accepted, COVERED, "accepted {accepted}, refused {low}");
    assert_eq!(low, u64::from(SUBMITTED) - COVERED);
    let s = Store::open(&f.db).unwrap();
    let sender = f.key.address();
    assert_eq!(
        s.pending_face_value(sender).unwrap(),
        u128::from(COVERED) * FACE
    );
    // Refused tickets left no nonce behind: the sender may send them again once it pays up.
    assert_eq!(s.nonce_count().unwrap() as u64, COVERED);
    assert_eq!(f.keeper.exposure(sender), Some(U256::ZERO));
}
