//! `streamflow-status` as a user meets it when something is missing: no chain at the recorded URL,
//! no deployment file. (Against a live deployment it is exercised in `deploy_on_anvil.rs`.)

use std::{net::TcpListener, process::Command};

/// A deployment file whose addresses are well-formed and whose `rpcUrl` is `rpc`.
fn deployment_json(rpc: &str) -> String {
    format!(
        r#"{{
      "chainId": 31337, "deployBlock": 1, "roundLength": 50, "rpcUrl": "{rpc}",
      "governance": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      "controller": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      "livepeerToken": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      "livepeerTokenImplementation": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      "roundsManager": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
      "roundsManagerImplementation": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
      "bondingManager": "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
      "minter": "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
      "serviceRegistry": "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
      "ticketBroker": "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE",
      "faultVerifier": "0x59b670e9fA9D0A427751Af201D676719a970857b",
      "equivocationVerifier": "0x322813Fd9A801c5507c9de605d63CEA4f2CE6c44",
      "committeeVerifier": "0x4A679253410272dd5232B3Ff7cF5dbB88f295319"
    }}"#
    )
}

fn status() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamflow-status"));
    cmd.env_remove("ETH_RPC_URL")
        .env_remove("STREAMFLOW_DEPLOYMENT");
    cmd
}

#[test]
fn connection_refused_says_what_to_do() {
    // A loopback port that was free a moment ago: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let rpc = format!("http://127.0.0.1:{port}");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), deployment_json(&rpc)).expect("write");

    let out = status()
        .arg("--deployment")
        .arg(file.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach a chain at {rpc}")),
        "uses the deployment's rpcUrl: {stderr}"
    );
    assert!(stderr.contains("make demo"), "{stderr}");
    assert!(
        !stderr.contains("error sending request") && !stderr.contains("reqwest"),
        "no HTTP client error chain: {stderr}"
    );
}

#[test]
fn a_missing_deployment_file_points_to_make_demo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = status()
        .arg("--deployment")
        .arg(dir.path().join("local.json"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("make demo"), "{stderr}");
}
