//! `vouch`: the Vouch prover sidecar node and its operator commands.
//!
//! Subcommands so far:
//! * `vouch deploy`: deploy the L1 `Rollup` contract (verifier named explicitly) and print the
//!   addresses as JSON.
//! * `vouch rollup-info`: read a deployed rollup's constants and tips as JSON.
//! * `vouch devnet`: anvil + contracts + devnet sequencer + load generator, with progress.
//! * `vouch bench stf`: state-transition throughput as JSON.
//!
//! Errors are reported on stderr as `error: …` with a non-zero exit code; nothing panics on bad
//! input.

mod bench;
mod cli;
mod client;
mod commands;
mod config;
mod node;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // `vouch devnet` on a terminal draws its progress view on stdout: only warnings are
    // logged beside it unless RUST_LOG asks for more.
    let quiet = matches!(&cli.command, cli::Command::Devnet(a) if !a.json)
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    cli::init_tracing(&cli.log, if quiet { "warn" } else { "info" });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
