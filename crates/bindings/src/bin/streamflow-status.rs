//! `streamflow-status`: reads a deployment file and prints the live state of the protocol through
//! the generated bindings (registry wiring, pause state, rounds, LPT supply).

use alloy::providers::ProviderBuilder;
use clap::Parser;
use eyre::{Result, WrapErr, ensure};
use std::path::PathBuf;
use streamflow_bindings::{
    Deployment,
    contracts::{BondingManager, Controller, LivepeerToken, RoundsManager, TicketBroker},
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

    for (name, id, expected) in [
        ("RoundsManager", ids::rounds_manager(), d.rounds_manager),
        ("LivepeerToken", ids::livepeer_token(), d.livepeer_token),
        ("BondingManager", ids::bonding_manager(), d.bonding_manager),
        ("Minter", ids::minter(), d.minter),
        (
            "ServiceRegistry",
            ids::service_registry(),
            d.service_registry,
        ),
        ("TicketBroker", ids::ticket_broker(), d.ticket_broker),
        ("FaultVerifier", ids::fault_verifier(), d.fault_verifier),
    ] {
        let registered = controller.getContract(id).call().await?;
        ensure!(
            registered == expected,
            "the Controller registers {name} at {registered}, but {} says {expected}",
            args.deployment.display()
        );
    }
    let bonding = BondingManager::new(d.bonding_manager, &provider);
    let broker = TicketBroker::new(d.ticket_broker, &provider);

    let lpt = alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18u64));
    println!("Streamflow deployment on chain {}", d.chain_id);
    println!(
        "  Controller      {}  owner {}",
        d.controller,
        controller.owner().call().await?
    );
    println!("  paused          {}", controller.paused().call().await?);
    println!(
        "  LivepeerToken   {}  supply {} LPT",
        d.livepeer_token,
        token.totalSupply().call().await? / lpt
    );
    println!(
        "  RoundsManager   {}  round {} (length {} blocks, initialized: {})",
        d.rounds_manager,
        rounds.currentRound().call().await?,
        rounds.roundLength().call().await?,
        rounds.currentRoundInitialized().call().await?
    );
    println!(
        "  BondingManager  {}  unbonding period {} rounds, min active stake {} LPT",
        d.bonding_manager,
        bonding.unbondingPeriod().call().await?,
        bonding.minActiveStake().call().await? / lpt
    );
    println!("  Minter          {}", d.minter);
    println!("  ServiceRegistry {}", d.service_registry);
    println!(
        "  TicketBroker    {}  ticket validity {} rounds, unlock period {} rounds",
        d.ticket_broker,
        broker.ticketValidityPeriod().call().await?,
        broker.unlockPeriod().call().await?
    );
    println!("  FaultVerifier   {}", d.fault_verifier);
    println!("    equivocation  {}", d.equivocation_verifier);
    println!("    committee     {}", d.committee_verifier);
    Ok(())
}
