//! Fault challenges judged by a committee of real `streamflow-node verifier` processes on a real
//! anvil: a receipt signed over a tampered rendition is challenged, the committee (3 members,
//! threshold 2) finds the fault, the orchestrator is slashed and the challenger collects its bond
//! and the finder fee; an honest receipt challenged by a wrong broadcaster is acquitted and the
//! challenger loses its bond. Receipts are made with the real transcoder and FFmpeg.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/challenge.rs"]
mod world;

use std::process::Command;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use streamflow_bindings::contracts::committee_verifier::CommitteeVerifier;
use streamflow_bindings::contracts::fault_verifier::FaultVerifier::FaultVerifierErrors;
use streamflow_bindings::contracts::{BondingManager, LivepeerToken};
use streamflow_bindings::devnet::{self, Devnet};
use streamflow_node::challenge::{ChallengeError, Challenger, FollowOptions, Status, Verdict};
use streamflow_node::evidence::evidence_bytes;
use streamflow_node::verifier::votes::Vote;
use streamflow_protocol::LocalSigner;
use streamflow_protocol::receipt::{CommitteeVerdict, committee_domain};
use world::*;

const BOND: u128 = ETHER / 10;

/// Gas of the `submitVerdict` that decided `challenge_id`.
async fn submit_verdict_gas(devnet: &Devnet, p: &alloy::providers::DynProvider, id: U256) -> u64 {
    let logs = p
        .get_logs(
            &Filter::new()
                .address(devnet.deployment.committee_verifier)
                .event_signature(CommitteeVerifier::VerdictSubmitted::SIGNATURE_HASH)
                .topic1(alloy::primitives::B256::from(id))
                .from_block(0),
        )
        .await
        .unwrap();
    let tx = logs[0].transaction_hash.unwrap();
    p.get_transaction_receipt(tx)
        .await
        .unwrap()
        .unwrap()
        .gas_used
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn committee_slashes_a_tampered_rendition_and_acquits_an_honest_one() {
    let devnet = Devnet::start(20).expect("anvil with the protocol deployed");
    let d = devnet.deployment.clone();
    let dir = tempfile::tempdir().unwrap();
    let gov = devnet.governance.clone();
    let orch = devnet.key(1);
    let bcast = devnet.key(2);
    let members = [devnet.key(3), devnet.key(4), devnet.key(5)];
    let bystander = devnet.key(6);
    let read = devnet.provider_as(&gov);

    // The committee and its service, set up with the binary as single-key governance.
    let gov_key = key_file(dir.path(), "gov.key", &gov);
    let mut setup = Command::new(env!("CARGO_BIN_EXE_streamflow-node"));
    setup
        .args(["verifier", "setup", "--rpc-url", &devnet.anvil.endpoint()])
        .arg("--deployment")
        .arg(devnet.file.path())
        .arg("--governance-key-file")
        .arg(&gov_key)
        .args([
            "--threshold",
            "2",
            "--verdict-period-blocks",
            "500",
            "--service",
            SERVICE,
        ]);
    for m in &members {
        setup.args(["--member", &m.address().to_string()]);
    }
    let out = setup.output().unwrap();
    assert!(
        out.status.success(),
        "setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committee = CommitteeVerifier::new(d.committee_verifier, &read);
    for m in &members {
        assert!(committee.isMember(m.address()).call().await.unwrap());
    }
    assert!(
        !committee.isMember(gov.address()).call().await.unwrap(),
        "the deployer left the committee"
    );
    assert_eq!(committee.threshold().call().await.unwrap(), U256::from(2));

    let stake = U256::from(2_000u64) * U256::from(ETHER);
    stake_and_register(&devnet, &orch, stake).await;
    let media = media();
    let (store, url, _stop_evidence) = evidence_server(dir.path()).await;
    let round = devnet::current_round(&read, &d).await.unwrap();
    let bad = signed_receipt(
        &devnet,
        &orch,
        bcast.address(),
        1,
        &media.source,
        &media.profile,
        &media.tampered,
        media.honest_pixels,
        round,
    );
    let good = signed_receipt(
        &devnet,
        &orch,
        bcast.address(),
        2,
        &media.source,
        &media.profile,
        &media.honest,
        media.honest_pixels,
        round,
    );
    store
        .put_segment(
            &bad.receipt,
            &media.source,
            &[(&media.profile, &media.tampered)],
        )
        .unwrap();
    store
        .put_segment(
            &good.receipt,
            &media.source,
            &[(&media.profile, &media.honest)],
        )
        .unwrap();
    assert!(
        store.missing_for(&bad.receipt).is_empty() && store.missing_for(&good.receipt).is_empty()
    );

    let procs = start_committee(&devnet, &members, dir.path()).await;
    let logs = || {
        procs
            .iter()
            .map(|p| p.log_text())
            .collect::<Vec<_>>()
            .join("\n-----\n")
    };
    let challenger = Challenger::new(devnet.provider_as(&bcast), bcast.address(), &d);
    let follow = FollowOptions {
        poll: Duration::from_millis(500),
        timeout: Duration::from_secs(600),
        resolve: true,
    };
    let evidence = evidence_bytes(&url).unwrap();
    let token = LivepeerToken::new(d.livepeer_token, &read);
    let bonding = BondingManager::new(d.bonding_manager, &read);

    // 1. The tampered rendition: Fault, slashed, bond back and the finder fee.
    let stake_before = bonding.totalStakeOf(orch.address()).call().await.unwrap();
    let lpt_before = token.balanceOf(bcast.address()).call().await.unwrap();
    let opened = challenger.open_challenge(&bad, &evidence).await.unwrap();
    assert!(!opened.already_open);
    assert_eq!(opened.bond, U256::from(BOND));
    assert_eq!(opened.verifier, d.committee_verifier);
    let started = std::time::Instant::now();
    let outcome = match challenger.follow(opened.challenge_id, &follow).await {
        Ok(o) => o,
        Err(e) => panic!("following the challenge failed: {e}\n{}", logs()),
    };
    let fault_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        (outcome.status, outcome.verdict),
        (Status::Slashed, Verdict::Fault),
        "{outcome:?}\n{}",
        logs()
    );
    assert!(outcome.finder_fee > U256::ZERO && outcome.slashed > outcome.finder_fee);
    assert_eq!(outcome.bond_refunded, U256::from(BOND));
    let stake_after = bonding.totalStakeOf(orch.address()).call().await.unwrap();
    assert_eq!(
        stake_before - stake_after,
        outcome.slashed,
        "slashed on chain"
    );
    let lpt_after = token.balanceOf(bcast.address()).call().await.unwrap();
    assert_eq!(
        lpt_after - lpt_before,
        outcome.finder_fee,
        "finder fee paid in LPT"
    );
    let collected = challenger.collect().await.unwrap();
    assert_eq!(collected.amount, U256::from(BOND), "bond collected");
    let fault_submit_gas = submit_verdict_gas(&devnet, &read, opened.challenge_id).await;

    // Opening it again answers the same challenge; nobody else can challenge the segment.
    let again = challenger.open_challenge(&bad, &evidence).await.unwrap();
    assert!(again.already_open && again.challenge_id == opened.challenge_id);
    let other = Challenger::new(devnet.provider_as(&bystander), bystander.address(), &d);
    match other.open_challenge(&bad, &evidence).await {
        Err(ChallengeError::AlreadyChallenged {
            challenge_id,
            challenger,
            ..
        }) => {
            assert_eq!(
                (challenge_id, challenger),
                (opened.challenge_id, bcast.address())
            );
        }
        other => panic!("expected AlreadyChallenged, got {other:?}"),
    }

    // A member's ballot box refuses a vote from a non-member and a vote whose signature is not its
    // signer's.
    let verdict = CommitteeVerdict {
        challenge_id: opened.challenge_id,
        receipt_digest: opened.receipt_digest,
        fault: false,
    };
    let sep = committee_domain(d.chain_id, d.committee_verifier).separator();
    let outsider = LocalSigner::from_alloy(&bystander).unwrap();
    let mut vote = Vote {
        fault_verifier: d.fault_verifier,
        challenge_id: opened.challenge_id,
        receipt_digest: opened.receipt_digest,
        fault: false,
        signer: bystander.address(),
        signature: alloy::primitives::Bytes::copy_from_slice(
            &outsider.sign_digest(&verdict.digest(&sep)),
        ),
    };
    let http = reqwest::Client::new();
    let ballot = format!("http://{}/v1/votes", procs[0].listen);
    let status = http
        .post(&ballot)
        .json(&vote)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403, "a non-member's vote");
    vote.signer = members[1].address();
    let status = http
        .post(&ballot)
        .json(&vote)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "a vote signed by someone else than its signer");

    // 2. The honest rendition, challenged anyway: NoFault, the bond is burned.
    let eth_before = read.get_balance(bcast.address()).await.unwrap();
    let opened2 = challenger.open_challenge(&good, &evidence).await.unwrap();
    let started = std::time::Instant::now();
    let outcome2 = match challenger.follow(opened2.challenge_id, &follow).await {
        Ok(o) => o,
        Err(e) => panic!("following the challenge failed: {e}\n{}", logs()),
    };
    let nofault_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        (outcome2.status, outcome2.verdict),
        (Status::Rejected, Verdict::NoFault),
        "{outcome2:?}\n{}",
        logs()
    );
    assert_eq!(
        (
            outcome2.bond_burned,
            outcome2.bond_refunded,
            outcome2.finder_fee
        ),
        (U256::from(BOND), U256::ZERO, U256::ZERO)
    );
    assert_eq!(
        bonding.totalStakeOf(orch.address()).call().await.unwrap(),
        stake_after,
        "no slash"
    );
    let nothing = challenger.collect().await.unwrap();
    assert_eq!((nothing.amount, nothing.tx), (U256::ZERO, None));
    let eth_after = read.get_balance(bcast.address()).await.unwrap();
    assert!(
        eth_before - eth_after >= U256::from(BOND),
        "the wrong challenger lost its bond"
    );
    let nofault_submit_gas = submit_verdict_gas(&devnet, &read, opened2.challenge_id).await;

    // 3. A challenger that serves no evidence proves nothing: NoFault once the members stop waiting.
    let unproven = signed_receipt(
        &devnet,
        &orch,
        bcast.address(),
        4,
        b"a source nobody serves",
        &media.profile,
        &media.tampered,
        media.honest_pixels,
        round,
    );
    let opened3 = challenger
        .open_challenge(&unproven, &evidence)
        .await
        .unwrap();
    let outcome3 = match challenger.follow(opened3.challenge_id, &follow).await {
        Ok(o) => o,
        Err(e) => panic!("following the challenge failed: {e}\n{}", logs()),
    };
    assert_eq!(
        (outcome3.status, outcome3.verdict),
        (Status::Rejected, Verdict::NoFault),
        "{outcome3:?}\n{}",
        logs()
    );

    // 4. Past the window: refused locally with the contract's own error, no bond spent.
    devnet::mine(&read, 20 * 6).await.unwrap();
    let late = signed_receipt(
        &devnet,
        &orch,
        bcast.address(),
        3,
        &media.source,
        &media.profile,
        &media.honest,
        media.honest_pixels,
        round,
    );
    match challenger.open_challenge(&late, &evidence).await {
        Err(ChallengeError::Refused(FaultVerifierErrors::ChallengeWindowExpired(e))) => {
            assert_eq!(e.creationRound, U256::from(round));
        }
        other => panic!("expected ChallengeWindowExpired, got {other:?}"),
    }

    // 5. A committee that stays silent past its deadline: NoDecision, 90 % of the bond back.
    drop(procs);
    let now = devnet::current_round(&read, &d).await.unwrap();
    let ignored = signed_receipt(
        &devnet,
        &orch,
        bcast.address(),
        5,
        &media.source,
        &media.profile,
        &media.honest,
        media.honest_pixels,
        now,
    );
    let opened5 = challenger
        .open_challenge(&ignored, &evidence)
        .await
        .unwrap();
    devnet::mine(&read, 501).await.unwrap();
    let outcome5 = challenger
        .follow(opened5.challenge_id, &follow)
        .await
        .unwrap();
    assert_eq!(
        (outcome5.status, outcome5.verdict),
        (Status::Dismissed, Verdict::NoDecision),
        "{outcome5:?}"
    );
    assert_eq!(
        (outcome5.bond_refunded, outcome5.bond_burned),
        (U256::from(BOND * 9 / 10), U256::from(BOND / 10))
    );
    assert_eq!(
        challenger.collect().await.unwrap().amount,
        U256::from(BOND * 9 / 10)
    );
    println!("gas: resolve no-decision {}", outcome5.resolve_gas);

    println!(
        "gas: openChallenge (committee) {} / {}; submitVerdict 2-of-3 fault {} no-fault {}; resolve fault {} no-fault {}; withdraw {}",
        opened.gas_used,
        opened2.gas_used,
        fault_submit_gas,
        nofault_submit_gas,
        outcome.resolve_gas,
        outcome2.resolve_gas,
        collected.gas_used
    );
    println!(
        "open -> settled (judging, 2-of-3 votes, submitVerdict, resolve): fault {fault_secs:.1} s, no fault {nofault_secs:.1} s"
    );
}
