//! `streamflow-node broadcaster fund|show|unlock|withdraw` against a real anvil with the protocol
//! deployed, through the real binary.

#[path = "common/bcast.rs"]
mod common;

use alloy::primitives::U256;
use common::{Chain, key_file, stderr, stdout};

const ETH: u128 = 1_000_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread")]
async fn fund_show_unlock_and_withdraw_move_the_money() {
    let chain = tokio::task::spawn_blocking(|| Chain::start(10))
        .await
        .expect("devnet");
    let dir = tempfile::tempdir().expect("tmp");
    let me = chain.key(3);
    let key = key_file(dir.path(), "broadcaster.key", &me);

    // fund: both amounts in one transaction.
    let out = chain.broadcaster(
        Some(&key),
        &["fund", "--deposit", "1eth", "--reserve", "0.5eth"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        chain.sender(me.address()).await,
        (U256::from(ETH), U256::from(ETH / 2), U256::ZERO)
    );

    // show: by key, and by address without any key.
    let out = chain.broadcaster(Some(&key), &["show", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("json");
    assert_eq!(v["deposit"], serde_json::json!(format!("{:#x}", ETH)));
    let addr = me.address().to_string();
    let out = chain.broadcaster(None, &["show", "--address", &addr]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1.000000000000000000 ETH"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("locked"), "{}", stdout(&out));

    // withdraw before unlocking: the broker's own error, nothing moves.
    let out = chain.broadcaster(Some(&key), &["withdraw"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("NotUnlocking"), "{}", stderr(&out));

    // unlock, then too early, then after the unlock period.
    let out = chain.broadcaster(Some(&key), &["unlock"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, _, withdraw_round) = chain.sender(me.address()).await;
    assert!(withdraw_round > U256::ZERO);
    let out = chain.broadcaster(Some(&key), &["withdraw"]);
    assert!(
        stderr(&out).contains("WithdrawTooEarly"),
        "{}",
        stderr(&out)
    );
    chain.mine(10 * 4).await;
    let before = chain.balance(me.address()).await;
    let out = chain.broadcaster(Some(&key), &["withdraw"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("withdrew 1.500000000000000000 ETH"),
        "{}",
        stdout(&out)
    );
    let (deposit, reserve, _) = chain.sender(me.address()).await;
    assert_eq!((deposit, reserve), (U256::ZERO, U256::ZERO));
    let gained = chain.balance(me.address()).await - before;
    // 1.5 ETH back, less the gas of one transaction.
    assert!(
        gained > U256::from(ETH * 3 / 2 - ETH / 100) && gained < U256::from(ETH * 3 / 2),
        "{gained}"
    );

    // A key file others can read is refused.
    let loose = dir.path().join("loose.key");
    std::fs::copy(&key, &loose).expect("copy");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = chain.broadcaster(Some(&loose), &["show"]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    }
}
