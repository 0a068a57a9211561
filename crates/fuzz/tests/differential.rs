//! Differential tests: the Rust rules (`streamflow-protocol`) against the real bytecode in revm.
//!
//! - Tickets: generated tickets, signatures and chain states; `Validator::check_redemption_packed`
//!   over the contracts' views must give exactly what `redeemWinningTicket` does — success, or the
//!   same revert data (selector and arguments) — and the batch entry point must report the same
//!   selector for it.
//! - Receipts: `SegmentReceipt::digest` must equal `FaultVerifier.receiptDigest`, or both refuse.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    sol_types::SolCall,
};
use proptest::prelude::*;
use streamflow_bindings::contracts::{
    BondingManager, RoundsManager, TicketBroker, fault_verifier::FaultVerifier,
};
use streamflow_fuzz::{
    chain::{CHAIN_ID, Chain, ChainError},
    machine::world,
    view::ChainView,
    world::{next_round, tokens},
};
use streamflow_protocol::{
    LocalSigner, SignedTicket, Ticket, Validator,
    receipt::{Rendition, SegmentReceipt, TicketParams, fault_verifier_domain},
    ticket::{broker_domain, recipient_rand_hash},
};

/// The secp256k1 group order.
const N: U256 = U256::from_be_slice(&[
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
]);

/// How the signature is made or damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sig {
    Valid,
    /// Same signature with `s' = n − s` and the other `v`: recovers the same signer, refused.
    HighS,
    /// EIP-2098 compact form (64 bytes).
    Compact,
    /// Truncated or extended to this length.
    Length(usize),
    /// `v` outside {27, 28}.
    BadV(u8),
    /// Signed under another chain's domain.
    WrongChain,
    /// Signed under another broker's domain.
    WrongBroker,
    /// Signed by someone other than the sender.
    WrongSigner,
}

fn sig() -> impl Strategy<Value = Sig> {
    prop_oneof![
        6 => Just(Sig::Valid),
        1 => Just(Sig::HighS),
        1 => Just(Sig::Compact),
        1 => prop_oneof![Just(0usize), Just(63), Just(66), Just(130)].prop_map(Sig::Length),
        1 => prop_oneof![Just(0u8), Just(1), Just(29), Just(255)].prop_map(Sig::BadV),
        1 => Just(Sig::WrongChain),
        1 => Just(Sig::WrongBroker),
        1 => Just(Sig::WrongSigner),
    ]
}

/// A generated chain state and ticket.
#[derive(Debug, Clone)]
struct Case {
    sig: Sig,
    /// Rounds started after the setup round before the ticket is made.
    rounds: u8,
    /// The ticket's creation round: this many rounds back (0 = current); `None` = the next round.
    back: Option<u8>,
    bad_block_hash: bool,
    bad_rand: bool,
    zero_sender: bool,
    /// Redeemed by someone else than the recipient.
    wrong_caller: bool,
    /// The recipient is not an orchestrator.
    inactive_recipient: bool,
    /// Redeemed once already.
    used: bool,
    /// `winProb` small enough to lose.
    losing: bool,
    /// 0: locked; 1: unlocking, before its withdraw round; 2: past it.
    unlock: u8,
    deposit_milli: u32,
    reserve_milli: u32,
    face_milli: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (
        sig(),
        0u8..3,
        prop_oneof![4 => (0u8..4).prop_map(Some), 1 => Just(None)],
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.15),
        prop_oneof![6 => Just(0u8), 1 => Just(1), 1 => Just(2)],
        (
            prop_oneof![Just(0u32), 0u32..3000],
            prop_oneof![Just(0u32), 0u32..9000],
            1u32..4000,
        ),
    )
        .prop_map(
            |(
                sig,
                rounds,
                back,
                bad_block_hash,
                bad_rand,
                zero_sender,
                wrong_caller,
                inactive_recipient,
                used,
                losing,
                unlock,
                (deposit_milli, reserve_milli, face_milli),
            )| Case {
                sig,
                rounds,
                back,
                bad_block_hash,
                bad_rand,
                zero_sender,
                wrong_caller,
                inactive_recipient,
                used,
                losing,
                unlock,
                deposit_milli,
                reserve_milli,
                face_milli,
            },
        )
}

fn milli(m: u32) -> U256 {
    U256::from(m) * U256::from(10u64).pow(U256::from(15))
}

fn key(name: &str) -> LocalSigner {
    match LocalSigner::from_bytes(&keccak256(name)) {
        Ok(s) => s,
        Err(e) => panic!("test key: {e}"),
    }
}

fn current_round(chain: &mut Chain, rounds: Address) -> u64 {
    chain
        .view(rounds, &RoundsManager::currentRoundCall {})
        .map(|r| r.saturating_to())
        .unwrap_or_default()
}

fn damage(sig: [u8; 65], how: Sig) -> Vec<u8> {
    let mut s = sig.to_vec();
    match how {
        Sig::HighS => {
            let high = N - U256::from_be_slice(&sig[32..64]);
            s[32..64].copy_from_slice(&high.to_be_bytes::<32>());
            s[64] = if sig[64] == 27 { 28 } else { 27 };
        }
        Sig::Compact => {
            let mut vs = sig[32..64].to_vec();
            if sig[64] == 28 {
                vs[0] |= 0x80;
            }
            s = [&sig[..32], &vs[..]].concat();
        }
        Sig::Length(n) => s.resize(n, 0xab),
        Sig::BadV(v) => s[64] = v,
        _ => {}
    }
    s
}

/// Builds the state and the ticket, then compares the Rust verdict with the broker's.
fn run_case(c: &Case) -> Result<bool, TestCaseError> {
    let w = world();
    let p = w.protocol;
    let mut chain = w.chain();
    let sender = key("differential sender");
    let other = key("differential other signer");
    let orch = &w.orchestrators[0];
    let recipient = if c.inactive_recipient {
        w.delegators[0].address
    } else {
        orch.address
    };

    // Funds and unlock state.
    chain.set_balance(sender.address(), tokens(100));
    let (dep, res) = (milli(c.deposit_milli), milli(c.reserve_milli));
    if !(dep + res).is_zero() {
        let fund = TicketBroker::fundDepositAndReserveCall {
            depositAmount: dep,
            reserveAmount: res,
        };
        chain
            .send(sender.address(), p.broker, &fund, dep + res)
            .map_err(|e| TestCaseError::fail(format!("funding: {e}")))?;
    }
    if c.unlock != 0 {
        let _ = chain.send(
            sender.address(),
            p.broker,
            &TicketBroker::unlockCall {},
            U256::ZERO,
        );
    }
    let extra = if c.unlock == 2 { 3 } else { 0 };
    for _ in 0..(c.rounds + extra) {
        next_round(&mut chain, &p).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    // An inactive round now and then: move into a round nobody initialized.
    let now = current_round(&mut chain, p.rounds);
    let creation = match c.back {
        Some(b) => now.saturating_sub(u64::from(b)),
        None => now + 1,
    };
    let block_hash = if c.bad_block_hash {
        keccak256("not the round's block hash")
    } else {
        chain
            .view(
                p.rounds,
                &RoundsManager::blockHashForRoundCall {
                    round: U256::from(creation),
                },
            )
            .unwrap_or_default()
    };
    let rand = U256::from_be_bytes(keccak256(format!("{c:?}")).0);
    let ticket = Ticket {
        recipient,
        sender: if c.zero_sender {
            Address::ZERO
        } else {
            sender.address()
        },
        face_value: u128::from(c.face_milli) * 1_000_000_000_000_000,
        win_prob: if c.losing {
            U256::from(1u64) << 200
        } else {
            U256::MAX
        },
        sender_nonce: 7,
        recipient_rand_hash: recipient_rand_hash(&rand),
        creation_round: u32::try_from(creation).unwrap_or(u32::MAX),
        creation_round_block_hash: block_hash,
    };
    let domain = match c.sig {
        Sig::WrongChain => broker_domain(1, p.broker),
        Sig::WrongBroker => broker_domain(CHAIN_ID, p.controller),
        _ => broker_domain(CHAIN_ID, p.broker),
    };
    let signer = if c.sig == Sig::WrongSigner {
        &other
    } else {
        &sender
    };
    let signature = damage(ticket.sign(&domain.separator(), signer), c.sig);
    let signed = SignedTicket {
        ticket,
        recipient_rand: if c.bad_rand {
            rand + U256::from(1)
        } else {
            rand
        },
        signature: Bytes::from(signature),
    };
    let packed = Bytes::from(signed.pack());
    let call = TicketBroker::redeemWinningTicketCall {
        ticket: packed.clone(),
    };
    if c.used {
        let _ = chain.send(recipient, p.broker, &call, U256::ZERO);
    }
    let caller = if c.wrong_caller {
        w.orchestrators[1].address
    } else {
        recipient
    };

    let validator = Validator::new(CHAIN_ID, p.broker);
    let predicted = {
        let view = ChainView::new(&mut chain, p);
        validator.check_redemption_packed(&view, caller, &packed)
    };
    let actual = chain.call_raw(caller, p.broker, call.abi_encode().into(), U256::ZERO);
    match (&predicted, &actual) {
        (Ok(_), Ok(_)) => {}
        (Err(rej), Err(ChainError::Reverted(data))) => {
            let ours = rej.abi_encode();
            prop_assert_eq!(
                data.as_ref(),
                ours.as_slice(),
                "Rust {} vs broker {}",
                rej,
                actual
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            );
        }
        _ => {
            return Err(TestCaseError::fail(format!(
                "Rust says {predicted:?}, the broker {}",
                match &actual {
                    Ok(_) => "pays".to_string(),
                    Err(e) => e.to_string(),
                }
            )));
        }
    }
    // The batch entry point reports the same error selector (zero for a redemption); it only takes
    // 257-byte tickets (anything else is a `MalformedBatch`, which the single entry point never says).
    if packed.len() != 257 {
        return Ok(predicted.is_ok());
    }
    let batch = TicketBroker::batchRedeemWinningTicketsCall { tickets: packed };
    let failures = chain
        .call_raw(caller, p.broker, batch.abi_encode().into(), U256::ZERO)
        .map_err(|e| TestCaseError::fail(format!("batch reverted: {e}")))
        .and_then(|(out, _, _)| {
            TicketBroker::batchRedeemWinningTicketsCall::abi_decode_returns(&out)
                .map_err(|e| TestCaseError::fail(e.to_string()))
        })?;
    let want = predicted
        .as_ref()
        .err()
        .map(|r| r.selector())
        .unwrap_or_default();
    prop_assert_eq!(failures.first().map(|f| f.0), Some(want));
    Ok(predicted.is_ok())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn rust_validation_equals_the_broker(c in case()) {
        run_case(&c)?;
    }

    #[test]
    fn receipt_digest_equals_the_fault_verifier(
        fields in (any::<[u8; 20]>(), any::<[u8; 32]>(), any::<u64>(), any::<[u8; 32]>()),
        renditions in prop::collection::vec((any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u64>()), 0..=33),
        ticket in (any::<u128>(), any::<[u8; 32]>(), any::<u32>(), any::<u32>()),
    ) {
        let w = world();
        let p = w.protocol;
        let mut chain = w.chain();
        let receipt = SegmentReceipt {
            broadcaster: Address::from(fields.0),
            orchestrator: w.orchestrators[0].address,
            stream_id: B256::from(fields.1),
            seq_no: U256::from(fields.2),
            input_hash: B256::from(fields.3),
            service_id: keccak256(fields.1),
            renditions: renditions
                .iter()
                .map(|(a, b, px)| Rendition { profile: B256::from(*a), output_hash: B256::from(*b), pixels: *px })
                .collect(),
            ticket: TicketParams {
                face_value: U256::from(ticket.0),
                win_prob: U256::from_be_bytes(ticket.1),
                sender_nonce: U256::from(ticket.2),
                recipient_rand_hash: keccak256(ticket.1),
                creation_round: U256::from(ticket.3),
            },
        };
        let rust = receipt.digest(&fault_verifier_domain(CHAIN_ID, p.fault_verifier).separator());
        let chain_digest = chain.view(p.fault_verifier, &FaultVerifier::receiptDigestCall { receipt: receipt.to_abi() });
        match (rust, chain_digest) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(e), Err(err)) => {
                let ours = alloy::sol_types::SolError::abi_encode(&e);
                prop_assert_eq!(err.revert_data().map(|d| d.to_vec()), Some(ours));
            }
            (a, b) => prop_assert!(false, "Rust {:?} vs FaultVerifier {:?}", a, b.map_err(|e| e.to_string())),
        }
    }
}

/// Sanity of the generator: the valid, funded, fresh case is paid, so the differential compares
/// real successes, not only refusals.
#[test]
fn a_plain_valid_ticket_is_paid_by_both() {
    let c = Case {
        sig: Sig::Valid,
        rounds: 0,
        back: Some(0),
        bad_block_hash: false,
        bad_rand: false,
        zero_sender: false,
        wrong_caller: false,
        inactive_recipient: false,
        used: false,
        losing: false,
        unlock: 0,
        deposit_milli: 1000,
        reserve_milli: 0,
        face_milli: 500,
    };
    let w = world();
    let mut chain = w.chain();
    let round = current_round(&mut chain, w.protocol.rounds);
    let active = chain
        .view(
            w.protocol.bonding_manager,
            &BondingManager::isActiveOrchestratorCall {
                orchestrator: w.orchestrators[0].address,
                round: U256::from(round),
            },
        )
        .unwrap_or_default();
    assert!(active, "orchestrators are active in the starting round");
    match run_case(&c) {
        Ok(paid) => assert!(paid, "a valid, funded ticket is paid"),
        Err(e) => panic!("{e}"),
    }
}
