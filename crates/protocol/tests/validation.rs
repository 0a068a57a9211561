//! Ticket validation: each broker check refuses with the broker's error and arguments, and when a
//! ticket has several defects the one reported is the first in the broker's order.

use alloy::primitives::{Address, B256, Bytes, U256, address, keccak256};
use proptest::prelude::*;
use streamflow_bindings::contracts::TicketBroker::{self as tb, TicketBrokerErrors as E};
use streamflow_protocol::{
    LocalSigner, MemoryBroker, Rejection, SignedTicket, Ticket, Validator,
    ecdsa::HALF_ORDER,
    ticket,
    validate::{Payment, SenderFunds, reserve_available},
};

const BROKER: Address = address!("3333333333333333333333333333333333333333");
const CHAIN: u64 = 31337;
const ROUND: u64 = 100;
const CREATED: u32 = 98;
const VALIDITY: u64 = 3;

fn sender_key() -> LocalSigner {
    LocalSigner::from_bytes(&keccak256("sender")).expect("key")
}
fn other_key() -> LocalSigner {
    LocalSigner::from_bytes(&keccak256("other")).expect("key")
}
fn orch() -> Address {
    address!("0000000000000000000000000000000000000b0b")
}
fn block_hash(round: u64) -> B256 {
    keccak256(round.to_be_bytes())
}

/// A state in which the fixture ticket redeems from the deposit.
fn state() -> MemoryBroker {
    let mut s = MemoryBroker {
        current_round: ROUND,
        ticket_validity_period: VALIDITY,
        ..Default::default()
    };
    for r in 1..=ROUND {
        s.block_hashes.insert(r, block_hash(r));
    }
    s.active.insert((orch(), u64::from(CREATED)));
    s.senders.insert(
        sender_key().address(),
        SenderFunds {
            deposit: U256::from(10_000),
            reserve: U256::from(5_000),
            withdraw_round: 0,
        },
    );
    s
}

fn validator() -> Validator {
    Validator::new(CHAIN, BROKER)
}

/// A winning ticket for `orch()` signed by the sender.
fn fixture() -> Ticket {
    Ticket {
        recipient: orch(),
        sender: sender_key().address(),
        face_value: 1_000,
        win_prob: U256::MAX,
        sender_nonce: 1,
        recipient_rand_hash: ticket::recipient_rand_hash(&U256::from(77)),
        creation_round: CREATED,
        creation_round_block_hash: block_hash(u64::from(CREATED)),
    }
}

fn sign(t: Ticket, key: &LocalSigner) -> SignedTicket {
    SignedTicket {
        ticket: t,
        recipient_rand: U256::from(77),
        signature: Bytes::copy_from_slice(&t.sign(&validator().domain_separator(), key)),
    }
}

fn refusal(s: &MemoryBroker, t: &SignedTicket) -> E {
    validator()
        .check_redemption(s, orch(), t)
        .expect_err("refused")
        .0
}

#[test]
fn a_good_ticket_pays_from_the_deposit_then_is_used() {
    let mut s = state();
    let t = sign(fixture(), &sender_key());
    let p = validator().check_redemption(&s, orch(), &t).unwrap();
    assert_eq!(
        p,
        Payment {
            ticket_hash: t.ticket.digest(&validator().domain_separator()),
            face_value: U256::from(1_000),
            from_deposit: U256::from(1_000),
            from_reserve: U256::ZERO,
        }
    );
    s.apply(t.ticket.sender, orch(), &p);
    assert!(matches!(refusal(&s, &t), E::TicketUsed(ref e) if e.ticketHash == p.ticket_hash));
    assert_eq!(s.sender(t.ticket.sender).deposit, U256::from(9_000));
}

use streamflow_protocol::BrokerView;

#[test]
fn the_packed_reading_matches_the_broker() {
    let s = state();
    let t = sign(fixture(), &sender_key());
    let packed = t.pack();
    assert_eq!(
        validator().check_redemption_packed(&s, orch(), &packed),
        validator().check_redemption(&s, orch(), &t)
    );
    assert_eq!(
        validator()
            .check_redemption_packed(&s, orch(), &packed[..191])
            .unwrap_err(),
        Rejection(E::MalformedTicket(tb::MalformedTicket {
            length: U256::from(191)
        }))
    );
    // A 64-byte signature reaches the signature checks.
    assert!(matches!(
        validator()
            .check_redemption_packed(&s, orch(), &packed[..256])
            .unwrap_err()
            .0,
        E::CompactSignatureUnsupported(_)
    ));
}

#[test]
fn each_check_refuses_with_the_brokers_error_and_arguments() {
    let s = state();
    let good = sign(fixture(), &sender_key());
    let v = validator();

    let e = v
        .check_redemption(&s, sender_key().address(), &good)
        .unwrap_err()
        .0;
    assert!(
        matches!(e, E::WrongRecipient(ref e) if e.recipient == orch() && e.caller == sender_key().address())
    );

    let t = sign(
        Ticket {
            sender: Address::ZERO,
            ..fixture()
        },
        &sender_key(),
    );
    assert!(matches!(refusal(&s, &t), E::ZeroSender(_)));

    let mut t = good.clone();
    t.recipient_rand = U256::from(78);
    assert!(
        matches!(refusal(&s, &t), E::InvalidRecipientRand(ref e) if e.recipientRandHash == good.ticket.recipient_rand_hash)
    );

    let t = sign(
        Ticket {
            creation_round: 101,
            ..fixture()
        },
        &sender_key(),
    );
    assert!(
        matches!(refusal(&s, &t), E::FutureCreationRound(ref e) if e.creationRound == U256::from(101) && e.currentRound == U256::from(ROUND))
    );

    // Valid while current < created + validity: 97 + 3 = 100 is expired, 98 is not.
    let t = sign(
        Ticket {
            creation_round: 97,
            ..fixture()
        },
        &sender_key(),
    );
    assert!(
        matches!(refusal(&s, &t), E::TicketExpired(ref e) if e.creationRound == U256::from(97) && e.currentRound == U256::from(ROUND))
    );

    let mut unknown = state();
    unknown.block_hashes.remove(&u64::from(CREATED));
    assert!(
        matches!(refusal(&unknown, &good), E::UnknownCreationRound(ref e) if e.creationRound == U256::from(CREATED))
    );

    let t = sign(
        Ticket {
            creation_round_block_hash: B256::repeat_byte(1),
            ..fixture()
        },
        &sender_key(),
    );
    assert!(
        matches!(refusal(&s, &t), E::CreationRoundBlockHashMismatch(ref e) if e.creationRound == U256::from(CREATED) && e.blockHash == B256::repeat_byte(1))
    );

    let mut sig = good.clone();
    sig.signature = Bytes::copy_from_slice(&good.signature[..64]);
    assert!(matches!(
        refusal(&s, &sig),
        E::CompactSignatureUnsupported(_)
    ));
    sig.signature = Bytes::from(vec![0u8; 70]);
    assert!(
        matches!(refusal(&s, &sig), E::InvalidSignatureLength(ref e) if e.length == U256::from(70))
    );
    let mut high = good.signature.to_vec();
    high[32..64].copy_from_slice(&U256::MAX.to_be_bytes::<32>());
    sig.signature = high.into();
    assert!(
        matches!(refusal(&s, &sig), E::SignatureHighS(ref e) if e.s == B256::repeat_byte(0xff))
    );
    let mut bad_v = good.signature.to_vec();
    bad_v[64] = 0;
    sig.signature = bad_v.into();
    assert!(matches!(refusal(&s, &sig), E::InvalidSignatureV(ref e) if e.v == 0));

    let t = sign(fixture(), &other_key());
    assert!(
        matches!(refusal(&s, &t), E::InvalidSignature(ref e) if e.signer == other_key().address() && e.sender == sender_key().address())
    );
    // ecrecover failing: the zero address as the signer.
    let mut zero_r = good.signature.to_vec();
    zero_r[..32].fill(0);
    sig.signature = zero_r.into();
    assert!(matches!(refusal(&s, &sig), E::InvalidSignature(ref e) if e.signer == Address::ZERO));
    // Signed under another chain's or another broker's domain: an ordinary bad signature.
    let other_domain = ticket::broker_domain(CHAIN + 1, BROKER).separator();
    let mut t = good.clone();
    t.signature = Bytes::copy_from_slice(&fixture().sign(&other_domain, &sender_key()));
    assert!(matches!(refusal(&s, &t), E::InvalidSignature(_)));

    let t = sign(
        Ticket {
            win_prob: U256::ZERO,
            ..fixture()
        },
        &sender_key(),
    );
    assert!(matches!(refusal(&s, &t), E::TicketNotWinning(_)));

    let mut inactive = state();
    inactive.active.clear();
    assert!(
        matches!(refusal(&inactive, &good), E::RecipientNotActive(ref e) if e.recipient == orch() && e.round == U256::from(CREATED))
    );

    let mut unlocked = state();
    unlocked
        .senders
        .get_mut(&sender_key().address())
        .unwrap()
        .withdraw_round = ROUND;
    assert!(
        matches!(refusal(&unlocked, &good), E::SenderUnlocked(ref e) if e.sender == sender_key().address() && e.withdrawRound == U256::from(ROUND))
    );
    // Unlocking but not yet withdrawable: still pays.
    unlocked
        .senders
        .get_mut(&sender_key().address())
        .unwrap()
        .withdraw_round = ROUND + 1;
    assert!(v.check_redemption(&unlocked, orch(), &good).is_ok());
}

#[test]
fn round_zero_is_never_known() {
    // The broker's per-call round cache starts at (0, zero hash): round 0 never finds a hash even
    // if a view had one.
    let mut s = state();
    s.current_round = 1;
    s.block_hashes.insert(0, block_hash(0));
    s.active.insert((orch(), 0));
    let t = sign(
        Ticket {
            creation_round: 0,
            creation_round_block_hash: block_hash(0),
            ..fixture()
        },
        &sender_key(),
    );
    assert!(matches!(refusal(&s, &t), E::UnknownCreationRound(ref e) if e.creationRound.is_zero()));
}

#[test]
fn a_short_deposit_is_topped_up_from_the_allocation_or_refused_whole() {
    let mut s = state();
    let sender = sender_key().address();
    s.senders.get_mut(&sender).unwrap().deposit = U256::from(400);
    let t = sign(fixture(), &sender_key());
    // No allocation: deposit + 0 < 1000.
    assert!(
        matches!(refusal(&s, &t), E::InsufficientFunds(ref e) if e.available == U256::from(400) && e.faceValue == U256::from(1_000))
    );
    s.reserve_allocations
        .insert((sender, orch(), ROUND), U256::from(599));
    assert!(
        matches!(refusal(&s, &t), E::InsufficientFunds(ref e) if e.available == U256::from(999))
    );
    s.reserve_allocations
        .insert((sender, orch(), ROUND), U256::from(600));
    let p = validator().check_redemption(&s, orch(), &t).unwrap();
    assert_eq!(
        (p.from_deposit, p.from_reserve),
        (U256::from(400), U256::from(600))
    );
    s.apply(sender, orch(), &p);
    assert_eq!(
        s.sender(sender),
        SenderFunds {
            deposit: U256::ZERO,
            reserve: U256::from(4_400),
            withdraw_round: 0
        }
    );
    assert!(
        s.remaining_reserve_allocation(sender, orch(), ROUND)
            .is_zero()
    );
}

#[test]
fn reserve_available_is_reserve_lib() {
    let u = U256::from;
    // 1000 × 30 / 100 = 300, less 100 claimed.
    assert_eq!(
        reserve_available(u(1000), u(30), u(100), u(100), u(1000)),
        u(200)
    );
    // Capped by what is left of the reserve.
    assert_eq!(
        reserve_available(u(1000), u(30), u(100), u(0), u(250)),
        u(250)
    );
    // Rounds down; nothing once the claims reach the allocation; nothing for a zero total or a
    // stake above it.
    assert_eq!(reserve_available(u(10), u(1), u(3), u(0), u(10)), u(3));
    assert_eq!(
        reserve_available(u(1000), u(30), u(100), u(300), u(1000)),
        u(0)
    );
    assert_eq!(reserve_available(u(1000), u(30), u(0), u(0), u(1000)), u(0));
    assert_eq!(
        reserve_available(u(1000), u(101), u(100), u(0), u(1000)),
        u(0)
    );
    // The product is taken in 512 bits (Math.mulDiv): no overflow for huge stakes.
    let big = U256::MAX;
    assert_eq!(reserve_available(u(1000), big, big, u(0), u(1000)), u(1000));
}

#[test]
fn intake_reports_losing_tickets_and_refuses_the_rest() {
    let s = state();
    let v = validator();
    let losing = sign(
        Ticket {
            win_prob: U256::ZERO,
            ..fixture()
        },
        &sender_key(),
    );
    let i = v.check_intake(&s, orch(), &losing).unwrap();
    assert!(!i.winning);
    assert_eq!(i.payment.face_value, U256::from(1_000));
    let winning = sign(fixture(), &sender_key());
    assert!(v.check_intake(&s, orch(), &winning).unwrap().winning);
    // A ticket for someone else is refused at intake.
    assert!(matches!(
        v.check_intake(&s, Address::repeat_byte(9), &winning)
            .unwrap_err()
            .0,
        E::WrongRecipient(_)
    ));
    // A losing ticket from a sender who could not pay a winning one is refused.
    let mut poor = state();
    poor.senders.clear();
    assert!(matches!(
        v.check_intake(&poor, orch(), &losing).unwrap_err().0,
        E::InsufficientFunds(_)
    ));
}

/// One defect per broker check that a fixture can carry; variants of one group exclude each other.
#[derive(Debug, Clone, Copy, Default)]
struct Defects {
    wrong_caller: bool,
    zero_sender: bool,
    bad_rand: bool,
    /// 0 none, 1 future, 2 expired
    round: u8,
    /// 0 none, 1 unknown, 2 mismatch
    block_hash: u8,
    used: bool,
    /// 0 none, 1 compact, 2 bad length, 3 high s, 4 bad v, 5 other signer
    signature: u8,
    losing: bool,
    inactive: bool,
    unlocked: bool,
    broke: bool,
}

fn arb_defects() -> impl Strategy<Value = Defects> {
    // Each defect is rare, so that cases with few defects (where the order shows) are common.
    let flag = || prop::bool::weighted(0.2);
    let choice = |n: u8| prop_oneof![4 => Just(0u8), 1 => 1..n];
    (
        (flag(), flag(), flag(), choice(3), choice(3), flag()),
        (choice(6), flag(), flag(), flag(), flag()),
    )
        .prop_map(
            |(
                (wrong_caller, zero_sender, bad_rand, round, block_hash, used),
                (signature, losing, inactive, unlocked, broke),
            )| Defects {
                wrong_caller,
                zero_sender,
                bad_rand,
                round,
                block_hash,
                used,
                signature,
                losing,
                inactive,
                unlocked,
                broke,
            },
        )
}

/// Every defect on its own, in the broker's order.
fn single_defects() -> Vec<Defects> {
    let d = Defects::default();
    let mut all = vec![
        Defects {
            wrong_caller: true,
            ..d
        },
        Defects {
            zero_sender: true,
            ..d
        },
        Defects {
            bad_rand: true,
            ..d
        },
        Defects { round: 1, ..d },
        Defects { round: 2, ..d },
        Defects { block_hash: 1, ..d },
        Defects { block_hash: 2, ..d },
        Defects { used: true, ..d },
    ];
    all.extend((1..=5).map(|signature| Defects { signature, ..d }));
    all.extend([
        Defects { losing: true, ..d },
        Defects {
            inactive: true,
            ..d
        },
        Defects {
            unlocked: true,
            ..d
        },
        Defects { broke: true, ..d },
    ]);
    all
}

/// The union of two defect sets (a later choice in a group wins).
fn union(a: Defects, b: Defects) -> Defects {
    Defects {
        wrong_caller: a.wrong_caller || b.wrong_caller,
        zero_sender: a.zero_sender || b.zero_sender,
        bad_rand: a.bad_rand || b.bad_rand,
        round: a.round.max(b.round),
        block_hash: a.block_hash.max(b.block_hash),
        used: a.used || b.used,
        signature: a.signature.max(b.signature),
        losing: a.losing || b.losing,
        inactive: a.inactive || b.inactive,
        unlocked: a.unlocked || b.unlocked,
        broke: a.broke || b.broke,
    }
}

#[test]
fn of_any_two_defects_the_earlier_is_reported() {
    let singles = single_defects();
    for (i, a) in singles.iter().enumerate() {
        // Alone, each defect is refused with its own error.
        let (s, caller, t, expected) = build(*a);
        let first = validator()
            .check_redemption(&s, caller, &t)
            .err()
            .map(|e| e.selector());
        assert_eq!(first, expected, "{a:?}");
        assert!(expected.is_some(), "{a:?}");
        for b in &singles[i + 1..] {
            let both = union(*a, *b);
            let (s, caller, t, expected) = build(both);
            let got = validator()
                .check_redemption(&s, caller, &t)
                .err()
                .map(|e| e.selector());
            assert_eq!(got, expected, "{a:?} + {b:?}");
        }
    }
}

/// Builds the ticket, the state and the caller carrying `d`, and the selector of the first defect in
/// the broker's order (none: the ticket pays).
fn build(d: Defects) -> (MemoryBroker, Address, SignedTicket, Option<[u8; 4]>) {
    use alloy::sol_types::SolError;
    let mut s = state();
    let mut t = fixture();
    if d.zero_sender {
        t.sender = Address::ZERO;
    }
    match d.round {
        1 => t.creation_round = (ROUND + 1) as u32,
        2 => t.creation_round = (ROUND - VALIDITY) as u32,
        _ => {}
    }
    t.creation_round_block_hash = block_hash(u64::from(t.creation_round));
    match d.block_hash {
        1 => {
            s.block_hashes.remove(&u64::from(t.creation_round));
        }
        2 => {
            s.block_hashes
                .insert(u64::from(t.creation_round), B256::repeat_byte(7));
        }
        _ => {}
    }
    if d.losing {
        t.win_prob = U256::ZERO;
    }
    let key = if d.signature == 5 {
        other_key()
    } else {
        sender_key()
    };
    let mut st = sign(t, &key);
    if d.bad_rand {
        st.recipient_rand = U256::from(78);
    }
    let mut sig = st.signature.to_vec();
    match d.signature {
        1 => sig.truncate(64),
        2 => sig.push(0),
        3 => sig[32..64].copy_from_slice(&(HALF_ORDER + U256::from(1)).to_be_bytes::<32>()),
        4 => sig[64] = 29,
        _ => {}
    }
    st.signature = sig.into();
    if d.used {
        s.used.insert(t.digest(&validator().domain_separator()));
    }
    s.active.clear();
    if !d.inactive {
        s.active.insert((orch(), u64::from(t.creation_round)));
    }
    let funds = s.senders.entry(sender_key().address()).or_default();
    if d.unlocked {
        funds.withdraw_round = ROUND;
    }
    if d.broke {
        funds.deposit = U256::from(999);
    }
    let caller = if d.wrong_caller {
        Address::repeat_byte(9)
    } else {
        orch()
    };

    // The broker's order, first defect wins.
    let order: [(bool, [u8; 4]); 16] = [
        (d.wrong_caller, tb::WrongRecipient::SELECTOR),
        (d.zero_sender, tb::ZeroSender::SELECTOR),
        (d.bad_rand, tb::InvalidRecipientRand::SELECTOR),
        (d.round == 1, tb::FutureCreationRound::SELECTOR),
        (d.round == 2, tb::TicketExpired::SELECTOR),
        (d.block_hash == 1, tb::UnknownCreationRound::SELECTOR),
        (
            d.block_hash == 2,
            tb::CreationRoundBlockHashMismatch::SELECTOR,
        ),
        (d.used, tb::TicketUsed::SELECTOR),
        (d.signature == 1, tb::CompactSignatureUnsupported::SELECTOR),
        (d.signature == 2, tb::InvalidSignatureLength::SELECTOR),
        (d.signature == 3, tb::SignatureHighS::SELECTOR),
        (d.signature == 4, tb::InvalidSignatureV::SELECTOR),
        // A zero sender or another signer: the signature recovers to someone else.
        (
            d.signature == 5 || d.zero_sender,
            tb::InvalidSignature::SELECTOR,
        ),
        (d.losing, tb::TicketNotWinning::SELECTOR),
        (d.inactive, tb::RecipientNotActive::SELECTOR),
        (d.unlocked, tb::SenderUnlocked::SELECTOR),
    ];
    let mut expected = order.iter().find(|(on, _)| *on).map(|(_, sel)| *sel);
    if expected.is_none() && d.broke {
        expected = Some(tb::InsufficientFunds::SELECTOR);
    }
    (s, caller, st, expected)
}

proptest! {
    #[test]
    fn the_first_defect_in_the_brokers_order_is_reported(d in arb_defects()) {
        let (s, caller, t, expected) = build(d);
        let got = validator().check_redemption(&s, caller, &t);
        prop_assert_eq!(got.as_ref().err().map(Rejection::selector), expected, "{:?}", got);
        // Intake: the same, except that losing is reported instead of refused.
        let (s, caller, t, _) = build(d);
        let without_losing = build(Defects { losing: false, ..d }).3;
        let intake = validator().check_intake(&s, caller, &t);
        prop_assert_eq!(intake.as_ref().err().map(Rejection::selector), without_losing);
        if let Ok(i) = intake {
            prop_assert_eq!(i.winning, !d.losing);
        }
    }
}
