//! `streamflow-status`: reads a deployment file and prints the live state of the protocol through
//! the generated bindings (registry wiring, pause state, rounds, LPT supply).

use alloy::providers::ProviderBuilder;
use clap::Parser;
use eyre::{Result, WrapErr, ensure};
use std::path::PathBuf;
use streamflow_bindings::{
    Deployment,
    contracts::{Controller, LivepeerToken, RoundsManager},
    ids,
};

/// Print the state of a Streamflow deployment.
///
/// Example: `streamflow-status --rpc-url http://127.0.0.1:8545 --deployment deployments/local.json`
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// JSON-RPC endpoint of the chain.
    #[arg(long, env = "ETH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    rpc_url: String,
    /// Deployment file written by `script/Deploy.s.sol`.
    #[arg(
        long,
        env = "STREAMFLOW_DEPLOYMENT",
        default_value = "deployments/local.json"
    )]
    deployment: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let d = Deployment::load(&args.deployment)?;
    let provider =
        ProviderBuilder::new().connect_http(args.rpc_url.parse().wrap_err("bad --rpc-url")?);

    let controller = Controller::new(d.controller, &provider);
    let rounds = RoundsManager::new(d.rounds_manager, &provider);
    let token = LivepeerToken::new(d.livepeer_token, &provider);

    let registered_rounds = controller.getContract(ids::rounds_manager()).call().await?;
    let registered_token = controller.getContract(ids::livepeer_token()).call().await?;
    ensure!(
        registered_rounds == d.rounds_manager && registered_token == d.livepeer_token,
        "the Controller's registry does not match {}",
        args.deployment.display()
    );

    println!("Streamflow deployment on chain {}", d.chain_id);
    println!(
        "  Controller     {}  owner {}",
        d.controller,
        controller.owner().call().await?
    );
    println!("  paused         {}", controller.paused().call().await?);
    println!(
        "  LivepeerToken  {}  supply {} LPT",
        d.livepeer_token,
        token.totalSupply().call().await?
            / alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18u64))
    );
    println!(
        "  RoundsManager  {}  round {} (length {} blocks, initialized: {})",
        d.rounds_manager,
        rounds.currentRound().call().await?,
        rounds.roundLength().call().await?,
        rounds.currentRoundInitialized().call().await?
    );
    Ok(())
}
