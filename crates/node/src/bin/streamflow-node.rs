//! `streamflow-node`: one binary, one subcommand per role. The work is in the `streamflow_node`
//! library; this file parses the command line, sets up logging and the shutdown signal.

use clap::{Parser, Subcommand};

/// A Streamflow network node.
#[derive(Debug, Parser)]
#[command(name = "streamflow-node", version, about)]
struct Cli {
    /// Log filter (`RUST_LOG` syntax), e.g. `info,streamflow_node=debug`.
    #[arg(long, env = "STREAMFLOW_LOG", default_value = "info", global = true)]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the API version this node speaks.
    Version,
    /// Run a transcoder worker for an orchestrator's pool (knows nothing of the chain).
    Transcoder(streamflow_node::worker::cli::Args),
    /// Committee member: judges challenges of committee-verified services (or sets up a dev committee).
    Verifier(streamflow_node::verifier::cli::Args),
    /// Run or manage an orchestrator (see `streamflow-node orchestrator --help`).
    Orchestrator(Box<streamflow_node::orchestrator::cli::Args>),
    /// The broadcaster: funds, and paid streams through orchestrators.
    Broadcaster(Box<streamflow_node::broadcaster::cli::Args>),
}

/// Resolves on Ctrl-C or SIGTERM: the shutdown signal every server here takes as a parameter.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&cli.log))
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Version => {
            println!("{}", streamflow_node::wire::API_VERSION);
            Ok(())
        }
        Command::Transcoder(args) => {
            Ok(streamflow_node::worker::cli::run(args, shutdown_signal()).await?)
        }
        Command::Broadcaster(args) => {
            streamflow_node::broadcaster::cli::run(*args, shutdown_signal()).await
        }
        Command::Verifier(args) => {
            streamflow_node::verifier::cli::run(args, shutdown_signal()).await?;
            Ok(())
        }
        Command::Orchestrator(args) => {
            streamflow_node::orchestrator::cli::run(*args, shutdown_signal()).await
        }
    }
}
