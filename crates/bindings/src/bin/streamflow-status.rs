//! `streamflow-status`: reads a deployment file and prints the live state of the protocol through
//! the generated bindings (registry wiring, pause state, rounds, LPT supply).

use alloy::{
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
};
use clap::Parser;
use eyre::{Result, WrapErr, bail, ensure, eyre};
use std::{
    fmt::Write as _,
    io::{ErrorKind, Write as _},
    path::PathBuf,
    process::ExitCode,
};
use streamflow_bindings::{
    Deployment, DeploymentError,
    contracts::{BondingManager, Controller, LivepeerToken, RoundsManager, TicketBroker},
    ids,
};

/// The endpoint used when neither the flag, the environment nor the deployment file names one.
const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8545";

/// Print the state of a Streamflow deployment.
///
/// Example, after `make demo`: `target/debug/streamflow-status` (it reads
/// `deployments/local.json` and the chain recorded in it).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// JSON-RPC endpoint of the chain [default: the `rpcUrl` recorded in the deployment file, else
    /// http://127.0.0.1:8545].
    #[arg(long, env = "ETH_RPC_URL")]
    rpc_url: Option<String>,
    /// Deployment file written by `script/Deploy.s.sol` (`make demo` writes deployments/local.json).
    #[arg(
        long,
        env = "STREAMFLOW_DEPLOYMENT",
        default_value = "deployments/local.json"
    )]
    deployment: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(status(&args)));
    match report {
        Ok(text) => print(&text),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the report to stdout. A reader that went away (`streamflow-status | head -3`) is not an
/// error: the program stops quietly instead of panicking on the closed pipe.
fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the deployment and the chain, and returns the report to print.
async fn status(args: &Args) -> Result<String> {
    let d = Deployment::load(&args.deployment).map_err(|e| match e {
        DeploymentError::Read { .. } => eyre!(
            "{e}\n  `make demo` deploys the protocol to a local anvil and writes \
             deployments/local.json; or pass --deployment <FILE>"
        ),
        other => eyre!(other),
    })?;
    let rpc_url = args
        .rpc_url
        .clone()
        .or_else(|| d.rpc_url.clone())
        .unwrap_or_else(|| DEFAULT_RPC_URL.to_owned());
    let provider = ProviderBuilder::new().connect_http(
        rpc_url
            .parse()
            .wrap_err_with(|| format!("bad RPC URL {rpc_url:?}"))?,
    );

    let chain_id = match provider.get_chain_id().await {
        Ok(id) => id,
        Err(e) => bail!(
            "cannot reach a chain at {rpc_url}: {}\n  Is anvil running? `make demo` starts one and \
             deploys the protocol (`make stop` stops it); or give another node with --rpc-url or \
             ETH_RPC_URL.",
            root_cause(&e)
        ),
    };
    ensure!(
        chain_id == d.chain_id,
        "the chain at {rpc_url} has id {chain_id}, but {} was deployed to chain {}",
        args.deployment.display(),
        d.chain_id
    );
    if provider.get_code_at(d.controller).await?.is_empty() {
        bail!(
            "no contract at the Controller's address {} on {rpc_url}: the chain was restarted or \
             reset since {} was written. Run `make demo` again.",
            d.controller,
            args.deployment.display()
        );
    }

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

    let lpt = U256::from(10u64).pow(U256::from(18u64));
    let round = rounds.currentRound().call().await?;
    let initialized = rounds.currentRoundInitialized().call().await?;
    let mut o = String::new();
    writeln!(
        o,
        "Streamflow deployment on chain {} at {rpc_url} (from block {})",
        d.chain_id, d.deploy_block
    )?;
    line(
        &mut o,
        "Controller",
        d.controller,
        &format!("owner {}", controller.owner().call().await?),
    )?;
    writeln!(o, "  paused          {}", controller.paused().call().await?)?;
    line(
        &mut o,
        "LivepeerToken",
        d.livepeer_token,
        &format!("supply {} LPT", token.totalSupply().call().await? / lpt),
    )?;
    line(
        &mut o,
        "RoundsManager",
        d.rounds_manager,
        &format!(
            "round {round} (length {} blocks, initialized: {initialized})",
            rounds.roundLength().call().await?
        ),
    )?;
    line(
        &mut o,
        "BondingManager",
        d.bonding_manager,
        &format!(
            "unbonding period {} rounds, maturity {} rounds, min active stake {} LPT",
            bonding.unbondingPeriod().call().await?,
            bonding.maturityPeriod().call().await?,
            bonding.minActiveStake().call().await? / lpt
        ),
    )?;
    line(&mut o, "Minter", d.minter, "")?;
    line(&mut o, "ServiceRegistry", d.service_registry, "")?;
    line(
        &mut o,
        "TicketBroker",
        d.ticket_broker,
        &format!(
            "ticket validity {} rounds, unlock period {} rounds",
            broker.ticketValidityPeriod().call().await?,
            broker.unlockPeriod().call().await?
        ),
    )?;
    line(&mut o, "FaultVerifier", d.fault_verifier, "")?;
    writeln!(o, "    equivocation  {}", d.equivocation_verifier)?;
    writeln!(o, "    committee     {}", d.committee_verifier)?;
    if !initialized {
        writeln!(
            o,
            "note: round {round} is not initialized, so tickets can't be created in it yet \
             (anyone may call RoundsManager.initializeRound())"
        )?;
    }
    Ok(o)
}

/// One contract line: name, address and what it reports.
fn line(o: &mut String, name: &str, address: Address, detail: &str) -> std::fmt::Result {
    let text = format!("  {name:<15} {address}  {detail}");
    writeln!(o, "{}", text.trim_end())
}

/// The innermost cause of an error (e.g. "Connection refused (os error 111)"), without the layers
/// of HTTP client wrapping above it.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
