//! Providers that sign: the one way every Streamflow role builds a provider that sends transactions.

use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::Url;

/// A provider on `url` that signs as `key`.
///
/// It asks the node for each transaction's nonce (the pending count). alloy's default fillers
/// cache the nonce and take it while the gas is being estimated, so a send refused in estimation
/// (a revert, short funds, a race lost to another account) still advances the cache and every
/// later send from that provider waits for ever behind the gap. Sends of one account are expected
/// to go one at a time (each role sends in sequence): two sends in flight at once would read the
/// same pending count, and the second would be refused, not stuck.
pub fn signing_provider(url: Url, key: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url)
        .erased()
}
