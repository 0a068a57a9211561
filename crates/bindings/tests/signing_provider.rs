//! A long-lived role (a verifier, a broadcaster that challenges) keeps one provider for hours. A
//! send the node refuses before it is mined — its gas estimate reverts, e.g. because another
//! committee member's verdict landed first — must not leave that provider unable to send again.

use alloy::network::TransactionBuilder;
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use std::time::Duration;
use streamflow_bindings::devnet::spawn_anvil;
use streamflow_bindings::signing_provider;

#[tokio::test]
async fn a_send_refused_in_estimation_does_not_block_the_next_one() {
    let anvil = spawn_anvil().expect("anvil");
    let key = anvil.keys()[1].clone().into();
    let to = anvil.addresses()[2];
    let p = signing_provider(anvil.endpoint_url(), &key);

    // More than the account holds: refused while the transaction is being filled.
    let too_much = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(10u128.pow(30)));
    assert!(p.send_transaction(too_much).await.is_err());

    // The next send is mined promptly (with a cached nonce that the refusal advanced, it would
    // wait for ever behind the gap).
    let ok = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(1u64));
    let pending = p.send_transaction(ok).await.expect("accepted");
    let receipt = tokio::time::timeout(Duration::from_secs(20), pending.get_receipt())
        .await
        .expect("mined within 20 s: no nonce gap")
        .expect("receipt");
    assert!(receipt.status());
    assert_eq!(
        p.get_balance(to).await.expect("balance"),
        U256::from(10_000u128 * 10u128.pow(18) + 1)
    );
}
