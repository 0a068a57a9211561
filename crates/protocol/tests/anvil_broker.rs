//! The crate against the real contracts: a real anvil, the real deploy script, the real
//! TicketBroker (behind its proxy, wired to the real BondingManager and RoundsManager). Tickets
//! signed here are redeemed there; the digest, domain and receipt digest agree with the contracts'
//! views; and for each ticket the crate's verdict (payment or error with arguments) is the contract's.

use alloy::{
    network::EthereumWallet,
    node_bindings::AnvilInstance,
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use streamflow_bindings::{
    Deployment,
    contracts::{
        BondingManager, FaultVerifier, RoundsManager,
        TicketBroker::{self, TicketBrokerErrors},
    },
    devnet::{self, Devnet},
};
use streamflow_protocol::{
    LocalSigner, MemoryBroker, Rejection, SignedTicket, Ticket, Validator,
    receipt::{self, Rendition, SegmentReceipt, TicketParams},
    ticket,
    validate::{Payment, SenderFunds},
};

const ROUND_LENGTH: u64 = 20;

fn key_bytes(anvil: &AnvilInstance, i: usize) -> B256 {
    B256::from_slice(&anvil.keys()[i].to_bytes())
}

/// The chain state a redemption by `recipient` of a ticket from `sender` created in `creation`
/// reads, as a [`MemoryBroker`].
async fn view_of(
    p: &impl Provider,
    d: &Deployment,
    sender: Address,
    recipient: Address,
    creation: u64,
) -> MemoryBroker {
    let broker = TicketBroker::new(d.ticket_broker, p);
    let rounds = RoundsManager::new(d.rounds_manager, p);
    let staking = BondingManager::new(d.bonding_manager, p);
    let round: u64 = rounds.currentRound().call().await.expect("rpc").to();
    let mut v = MemoryBroker {
        current_round: round,
        ticket_validity_period: broker
            .ticketValidityPeriod()
            .call()
            .await
            .expect("rpc")
            .to(),
        ..Default::default()
    };
    v.block_hashes.insert(
        creation,
        rounds
            .blockHashForRound(U256::from(creation))
            .call()
            .await
            .expect("rpc"),
    );
    if staking
        .isActiveOrchestrator(recipient, U256::from(creation))
        .call()
        .await
        .expect("rpc")
    {
        v.active.insert((recipient, creation));
    }
    let s = broker.getSender(sender).call().await.expect("rpc");
    v.senders.insert(
        sender,
        SenderFunds {
            deposit: s.deposit,
            reserve: s.reserve,
            withdraw_round: s.withdrawRound.to(),
        },
    );
    v.reserve_allocations.insert(
        (sender, recipient, round),
        broker
            .remainingReserveAllocation(sender, recipient, U256::from(round))
            .call()
            .await
            .expect("rpc"),
    );
    v
}

/// Asks the broker for its used flag of `digest` and records it in `v`.
async fn with_used(
    p: &impl Provider,
    d: &Deployment,
    mut v: MemoryBroker,
    digest: B256,
) -> MemoryBroker {
    if TicketBroker::new(d.ticket_broker, p)
        .isUsedTicket(digest)
        .call()
        .await
        .expect("rpc")
    {
        v.used.insert(digest);
    }
    v
}

/// What the broker answers to `redeemWinningTicket(packed)` from the provider's account, as an
/// `eth_call`: `Ok` or the decoded custom error.
async fn broker_verdict(p: &impl Provider, d: &Deployment, packed: &[u8]) -> Result<(), Rejection> {
    match TicketBroker::new(d.ticket_broker, p)
        .redeemWinningTicket(Bytes::copy_from_slice(packed))
        .call()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => Err(Rejection(
            e.as_decoded_interface_error::<TicketBrokerErrors>()
                .unwrap_or_else(|| panic!("not a TicketBroker error: {e:?}")),
        )),
    }
}

#[tokio::test]
async fn tickets_signed_here_redeem_on_the_real_broker_with_the_same_verdicts() {
    let Devnet {
        anvil,
        governance: gov,
        deployment: d,
        file: _deployment_file,
    } = Devnet::start(ROUND_LENGTH).expect("anvil with the protocol deployed");
    let orch_wallet: PrivateKeySigner = anvil.keys()[1].clone().into();
    let sender_wallet: PrivateKeySigner = anvil.keys()[2].clone().into();
    let (gov_addr, orch, sender) = (
        gov.address(),
        orch_wallet.address(),
        sender_wallet.address(),
    );
    let sender_key = LocalSigner::from_bytes(&key_bytes(&anvil, 2)).unwrap();
    assert_eq!(sender_key.address(), sender);

    let connect = |w: PrivateKeySigner| {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(w))
            .connect_http(anvil.endpoint_url())
    };
    let as_gov = connect(gov);
    let as_orch = connect(orch_wallet);
    let as_sender = connect(sender_wallet);

    // The orchestrator bonds to itself and is active from the next round; the sender funds
    // 1 ETH of deposit and 1 ETH of reserve.
    let stake = U256::from(100_000u64) * U256::from(devnet::ETHER);
    devnet::bond_orchestrator(&as_gov, &as_orch, orch, &d, stake)
        .await
        .unwrap();
    let eth = U256::from(devnet::ETHER);
    devnet::fund_sender(&as_sender, &d, eth, eth).await.unwrap();
    let before = devnet::current_round(&as_gov, &d).await.unwrap();
    let round = devnet::next_round(&as_gov, &d).await.unwrap();
    assert!(round > before);
    let block_hash = RoundsManager::new(d.rounds_manager, &as_gov)
        .blockHashForRound(U256::from(round))
        .call()
        .await
        .unwrap();
    assert!(!block_hash.is_zero());

    // The domain and the digest are the contract's.
    let validator = Validator::new(anvil.chain_id(), d.ticket_broker);
    let broker = TicketBroker::new(d.ticket_broker, &as_orch);
    assert_eq!(
        broker.domainSeparator().call().await.unwrap(),
        validator.domain_separator()
    );
    let mut nonce = 0u32;
    let mut make = |face_value: u128, win_prob: U256, key: &LocalSigner| {
        nonce += 1;
        let rand = U256::from(nonce) + U256::from(1_000);
        let t = Ticket {
            recipient: orch,
            sender,
            face_value,
            win_prob,
            sender_nonce: nonce,
            recipient_rand_hash: ticket::recipient_rand_hash(&rand),
            creation_round: u32::try_from(round).unwrap(),
            creation_round_block_hash: block_hash,
        };
        SignedTicket {
            ticket: t,
            recipient_rand: rand,
            signature: Bytes::copy_from_slice(&t.sign(&validator.domain_separator(), key)),
        }
    };
    let pay_from_deposit = make(600_000_000_000_000_000, U256::MAX, &sender_key);
    let digest = pay_from_deposit
        .ticket
        .digest(&validator.domain_separator());
    assert_eq!(
        broker
            .ticketHash(pay_from_deposit.pack().into())
            .call()
            .await
            .unwrap(),
        digest
    );

    // Rejections: the crate's error (with arguments) is the contract's revert.
    let other = LocalSigner::from_bytes(&keccak256("not the sender")).unwrap();
    let mut compact = pay_from_deposit.clone();
    compact.signature = compact.signature.slice(..64);
    let mut high_s = pay_from_deposit.clone();
    let mut sig = high_s.signature.to_vec();
    sig[32..64].fill(0xff);
    high_s.signature = sig.into();
    let mut bad_rand = pay_from_deposit.clone();
    bad_rand.recipient_rand += U256::from(1);
    let refused = [
        ("losing", make(1, U256::ZERO, &sender_key)),
        ("wrong signer", make(1, U256::MAX, &other)),
        ("compact signature", compact),
        ("high s", high_s),
        ("bad rand", bad_rand),
    ];
    let view = with_used(
        &as_orch,
        &d,
        view_of(&as_orch, &d, sender, orch, round).await,
        digest,
    )
    .await;
    for (name, t) in &refused {
        let ours = validator.check_redemption(&view, orch, t);
        let theirs = broker_verdict(&as_orch, &d, &t.pack()).await;
        assert!(ours.is_err(), "{name}: {ours:?}");
        assert_eq!(ours.err(), theirs.err(), "{name}");
    }
    // Someone else redeeming: WrongRecipient(recipient, caller) on both sides.
    let ours = validator.check_redemption(&view, gov_addr, &pay_from_deposit);
    let theirs = broker_verdict(&as_gov, &d, &pay_from_deposit.pack()).await;
    assert!(ours.is_err());
    assert_eq!(ours.err(), theirs.err(), "wrong recipient");

    // A winning ticket paid from the deposit: the crate's payment is what the broker pays.
    let payment = validator
        .check_redemption(&view, orch, &pay_from_deposit)
        .unwrap();
    assert_eq!(
        payment,
        Payment {
            ticket_hash: digest,
            face_value: U256::from(600_000_000_000_000_000u128),
            from_deposit: U256::from(600_000_000_000_000_000u128),
            from_reserve: U256::ZERO,
        }
    );
    let receipt = devnet::transact(
        "redeemWinningTicket",
        broker.redeemWinningTicket(pay_from_deposit.pack().into()),
    )
    .await
    .unwrap();
    assert!(receipt.status());
    let redeemed = receipt
        .decoded_log::<TicketBroker::TicketRedeemed>()
        .expect("TicketRedeemed");
    assert_eq!(redeemed.ticketHash, digest);
    assert!(broker.isUsedTicket(digest).call().await.unwrap());

    // Replayed: TicketUsed(digest) on both sides.
    let view = with_used(
        &as_orch,
        &d,
        view_of(&as_orch, &d, sender, orch, round).await,
        digest,
    )
    .await;
    let ours = validator.check_redemption(&view, orch, &pay_from_deposit);
    let theirs = broker_verdict(&as_orch, &d, &pay_from_deposit.pack()).await;
    assert!(ours.is_err());
    assert_eq!(ours.err(), theirs.err(), "replay");

    // Deposit short (0.4 ETH left): 0.9 ETH is topped up from the reserve allocation.
    let topped_up = make(900_000_000_000_000_000, U256::MAX, &sender_key);
    let payment = validator.check_redemption(&view, orch, &topped_up).unwrap();
    assert_eq!(
        (payment.from_deposit, payment.from_reserve),
        (
            U256::from(400_000_000_000_000_000u128),
            U256::from(500_000_000_000_000_000u128)
        )
    );
    assert!(
        devnet::transact(
            "redeemWinningTicket",
            broker.redeemWinningTicket(topped_up.pack().into())
        )
        .await
        .unwrap()
        .status()
    );
    let s = broker.getSender(sender).call().await.unwrap();
    assert_eq!(
        (s.deposit, s.reserve),
        (U256::ZERO, U256::from(500_000_000_000_000_000u128))
    );

    // The sender tops up 0.1 ETH of deposit; 1 ETH is then more than the deposit and the allocation
    // left (0.1 + 0.5): InsufficientFunds(0.6 ETH, 1 ETH) on both sides.
    let as_sender_broker = TicketBroker::new(d.ticket_broker, &as_sender);
    assert!(
        devnet::transact(
            "fundDeposit",
            as_sender_broker
                .fundDeposit()
                .value(U256::from(100_000_000_000_000_000u128))
        )
        .await
        .unwrap()
        .status()
    );
    let too_big = make(1_000_000_000_000_000_000, U256::MAX, &sender_key);
    let view = view_of(&as_orch, &d, sender, orch, round).await;
    let ours = validator.check_redemption(&view, orch, &too_big);
    let theirs = broker_verdict(&as_orch, &d, &too_big.pack()).await;
    assert!(ours.is_err());
    assert_eq!(ours.err(), theirs.err(), "insufficient funds");

    // The receipt digest is the FaultVerifier's.
    let r = SegmentReceipt {
        broadcaster: sender,
        orchestrator: orch,
        stream_id: keccak256("stream"),
        seq_no: U256::from(3),
        input_hash: keccak256("input"),
        service_id: keccak256("H264 1080p->720p"),
        renditions: vec![Rendition {
            profile: keccak256("720p30 H264 3000kbps"),
            output_hash: keccak256("out"),
            pixels: 1280 * 720 * 60,
        }],
        ticket: TicketParams::from(&too_big.ticket),
    };
    let fv = FaultVerifier::new(d.fault_verifier, &as_gov);
    let separator = receipt::fault_verifier_domain(anvil.chain_id(), d.fault_verifier).separator();
    assert_eq!(fv.domainSeparator().call().await.unwrap(), separator);
    assert_eq!(
        fv.receiptDigest(r.to_abi()).call().await.unwrap(),
        r.digest(&separator).unwrap()
    );
}
