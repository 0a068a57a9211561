//! `streamflow-keeper status` as a real process over a real SQLite file: the ticket states, the
//! pending value per sender, and the redemption transactions still open (hash, nonce, tickets, fee,
//! age), so an operator sees what is in flight without the daemon running.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloy::primitives::B256;
use std::process::Command;
use streamflow_keeper::store::{Store, StoredTx};

const BIN: &str = env!("CARGO_BIN_EXE_streamflow-keeper");

fn status(dir: &std::path::Path, db: &std::path::Path) -> String {
    let config = dir.join("keeper.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = \"http://127.0.0.1:1\"\ndeployment = \"deployment.json\"\ndb = {:?}\n",
            db.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .arg("status")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn status_lists_the_open_redemption_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keeper.db");
    let mut store = Store::open(&db).unwrap();
    let before = status(dir.path(), &db);
    assert!(before.contains("OPEN TRANSACTION"), "{before}");
    assert!(before.contains("(none)"), "{before}");

    let open = StoredTx {
        tx_hash: B256::repeat_byte(0xab),
        nonce: 7,
        max_fee_per_gas: 3_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        raw: vec![0x02, 0x01],
        tickets: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
        created_at: 0,
    };
    let closed = StoredTx {
        tx_hash: B256::repeat_byte(0xcd),
        nonce: 6,
        tickets: vec![B256::repeat_byte(3)],
        ..open.clone()
    };
    store.record_submission(&closed, &[]).unwrap();
    store.close_tx(&closed.tx_hash).unwrap();
    store.record_submission(&open, &[]).unwrap();
    drop(store);

    let after = status(dir.path(), &db);
    let line = after
        .lines()
        .find(|l| l.starts_with(&open.tx_hash.to_string()))
        .unwrap_or_else(|| panic!("the open transaction is listed:\n{after}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols[1..4],
        ["7", "2", "3.000"],
        "nonce, tickets, max fee: {line}"
    );
    assert!(
        !after.contains(&closed.tx_hash.to_string()),
        "a closed transaction is not listed:\n{after}"
    );
    assert!(!after.contains("(none)"), "{after}");
}
