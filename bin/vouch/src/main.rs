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
mod commands;
mod node;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_tracing(&cli.log);
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
