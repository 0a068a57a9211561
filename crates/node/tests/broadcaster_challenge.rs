//! The broadcaster's own challenge path, end to end: a dishonest orchestrator (its only worker is
//! trusted and tampers) is caught by the broadcaster's checks; the broadcaster (`--challenge`)
//! opens the challenge on the FaultVerifier with the signed receipt, serves the evidence to the
//! committee (three real `streamflow-node verifier` processes), follows the challenge to its
//! verdict, resolves it and withdraws its bond; the orchestrator is slashed on chain and the
//! segment it spoiled is in the output anyway, done by the honest one.
//!
//! (The converse — an honest receipt challenged by a wrong broadcaster is acquitted and the
//! challenger loses its bond — is in `challenge_committee.rs`: the broadcaster itself only ever
//! challenges a receipt that failed its checks.)

#[path = "common/challenge.rs"]
mod committee;
#[path = "common/bcast.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use common::{Chain, Orchestrator, SERVICE, check_hls, clip, key_file, spawn_stream, wait_stream};
use streamflow_bindings::contracts::{BondingManager, LivepeerToken};
use streamflow_node::broadcaster::store::{ReceiptState, Receipts};
use streamflow_node::challenge::{Challenger, Status};

/// A running remote worker process; killed when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn u256(v: &serde_json::Value) -> U256 {
    U256::from_str(v.as_str().unwrap_or_else(|| panic!("a U256 string: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

async fn total_stake(chain: &Chain, who: Address) -> U256 {
    BondingManager::new(chain.net.deployment.bonding_manager, &chain.provider)
        .orchestratorInfo(who)
        .call()
        .await
        .expect("orchestratorInfo")
        .totalStake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_broadcaster_challenges_a_tampering_orchestrator_and_it_is_slashed() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(20))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");

    // The committee (3 members, threshold 2) judging SERVICE, installed by the binary.
    let members: Vec<PrivateKeySigner> = (6..9).map(|i| chain.key(i)).collect();
    let gov_key = key_file(dir.path(), "gov.key", &chain.net.governance);
    let mut setup = Command::new(common::node_bin());
    setup
        .args(["verifier", "setup", "--rpc-url", &chain.rpc()])
        .arg("--deployment")
        .arg(chain.deployment_file())
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
    let out = setup.output().expect("run verifier setup");
    assert!(out.status.success(), "setup: {}", common::stderr(&out));

    // Orchestrator 1 honest (in-process slot); orchestrator 2 cheaper (so it ranks first) with no
    // slot of its own and one trusted remote worker that tampers with the first rendition.
    let (honest_cfg, honest_url) = chain.orchestrator_config(dir.path(), 1, "1000", "");
    let (bad_cfg, bad_url) = chain.orchestrator_config(dir.path(), 2, "250", "");
    let secret = dir.path().join("worker.secret");
    std::fs::write(
        &secret,
        "broadcaster-challenge-test-worker-secret-0123456789",
    )
    .expect("secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let text = std::fs::read_to_string(&bad_cfg).expect("config");
    let text = text.replace("local_slots = 1", "local_slots = 0\nspot_check = 0.0")
        + &format!(
            "\n[[pool.workers]]\nname = \"tamperer\"\nsecret_file = {:?}\ntrust = \"trusted\"\n",
            secret.display().to_string()
        );
    std::fs::write(&bad_cfg, text).expect("config");
    chain.register(&honest_cfg, 1).await;
    chain.register(&bad_cfg, 2).await;
    chain.next_round().await;
    let (honest, bad) = (chain.key(1).address(), chain.key(2).address());
    let _orchs = [
        Orchestrator::start(&honest_cfg, &honest_url, honest, &dir.path().join("a.log")),
        Orchestrator::start(&bad_cfg, &bad_url, bad, &dir.path().join("b.log")),
    ];
    let _worker = Worker(
        Command::new(common::node_bin())
            .args(["transcoder", "--orchestrator", &bad_url, "--secret-file"])
            .arg(&secret)
            .args([
                "--slots",
                "1",
                "--name",
                "tamperer",
                "--x264-preset",
                "ultrafast",
                "--misbehave",
                "tamper",
            ])
            .env("STREAMFLOW_ALLOW_MISBEHAVIOUR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("worker.log")).expect("log"))
            .spawn()
            .expect("spawn worker"),
    );
    let client = reqwest::Client::new();
    let connected = committee::wait_until(Duration::from_secs(60), || {
        let (client, url) = (client.clone(), format!("{bad_url}/metrics"));
        async move {
            let Ok(r) = client.get(url).send().await else {
                return false;
            };
            let text = r.text().await.unwrap_or_default();
            streamflow_node::orchestrator::metrics::sample(&text, "streamflow_orchestrator_slots")
                .is_some_and(|n| n >= 1)
        }
    })
    .await;
    assert!(
        connected,
        "the worker never joined: {}",
        std::fs::read_to_string(dir.path().join("worker.log")).unwrap_or_default()
    );
    let _members = committee::start_committee(&chain.net, &members, dir.path()).await;

    let me = chain.key(5);
    let key = key_file(dir.path(), "bcast.key", &me);
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "1eth"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let stake_before = total_stake(&chain, bad).await;
    let honest_stake_before = total_stake(&chain, honest).await;
    let eth_before = chain.balance(me.address()).await;

    let clip = clip(dir.path(), 320, 240, 4);
    let out_dir = dir.path().join("out");
    let log = dir.path().join("bcast.log");
    let child = spawn_stream(
        &chain,
        &key,
        &[
            "--input",
            clip.to_str().expect("utf8"),
            "--out-dir",
            out_dir.to_str().expect("utf8"),
            "--profiles",
            "240p",
            "--segment-secs",
            "1",
            "--verify-rate",
            "0",
            "--segment-timeout-ms",
            "30000",
            "--challenge",
            "127.0.0.1:0",
            "--challenge-follow-secs",
            "120",
        ],
        &log,
    );
    let run = wait_stream(child, log).await;
    assert!(run.ok, "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["stopped"], "end of input", "{s}");
    assert_eq!(s["segmentsOut"], 4, "{s}");
    check_hls(&out_dir.join("hls"), &["240p"], 4);

    // Caught on the first segment, challenged once, and never used again.
    let bad_hex = bad.to_string().to_lowercase();
    assert_eq!(s["orchestrators"][&bad_hex]["faults"], 1, "{s}");
    assert_eq!(s["orchestrators"][&bad_hex]["segments"], 0, "{s}");
    assert_eq!(s["faults"], 1, "{s}");
    assert_eq!(s["challenges"], 1, "{s}");
    let c = &s["challengeOutcomes"][0];
    assert_eq!(
        c["orchestrator"].as_str().map(str::to_lowercase),
        Some(bad_hex),
        "{s}"
    );
    assert!(c["error"].is_null(), "{s}");
    let outcome = &c["outcome"];
    assert_eq!(outcome["status"], "Slashed", "{s}");
    assert_eq!(outcome["verdict"], "Fault", "{s}");
    let bond = u256(&c["bond"]);
    let slashed = u256(&outcome["slashed"]);
    let finder_fee = u256(&outcome["finderFee"]);
    assert!(
        !bond.is_zero() && !slashed.is_zero() && !finder_fee.is_zero(),
        "{s}"
    );
    assert_eq!(u256(&outcome["bondRefunded"]), bond, "{s}");
    assert_eq!(u256(&s["challengeCollectedWei"]), bond, "{s}");

    // On chain: the slash, the finder fee in the broadcaster's LPT, the bond withdrawn.
    let id = u256(&c["challengeId"]);
    let reader = Challenger::new(chain.provider.clone(), me.address(), &chain.net.deployment);
    assert_eq!(reader.status(id).await.expect("status"), Status::Slashed);
    assert!(
        reader.credit().await.expect("credit").is_zero(),
        "collected"
    );
    assert_eq!(total_stake(&chain, bad).await, stake_before - slashed);
    assert_eq!(total_stake(&chain, honest).await, honest_stake_before);
    let lpt = LivepeerToken::new(chain.net.deployment.livepeer_token, &chain.provider)
        .balanceOf(me.address())
        .call()
        .await
        .expect("balanceOf");
    assert_eq!(lpt, finder_fee);
    // The bond came back: the broadcaster's ETH went down by gas only (far less than the bond).
    let spent = eth_before.saturating_sub(chain.balance(me.address()).await);
    assert!(
        spent < bond / U256::from(10u64),
        "spent {spent} of a {bond} bond"
    );

    // The receipt is kept as challenged, and the spoiled segment came from the honest one.
    let records = Receipts::read_all(&out_dir.join("receipts.jsonl")).expect("receipts");
    let challenged: Vec<_> = records
        .iter()
        .filter(|r| matches!(r.state, ReceiptState::Challenged { .. }))
        .collect();
    assert_eq!(challenged.len(), 1);
    assert_eq!(challenged[0].orchestrator, bad);
    let seq = challenged[0].seq_no;
    assert!(records.iter().any(|r| r.seq_no == seq
        && r.orchestrator == honest
        && matches!(r.state, ReceiptState::Accepted)));
}
