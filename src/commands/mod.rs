//! Subcommand implementations: each turns parsed flags into engine calls and output.

pub mod config_cmd;
pub mod console;
pub mod demo_cmd;
pub mod detect;

use color_eyre::eyre::Result;

use crate::cli::{Cli, Command};

/// Runs the parsed command line; returns the process exit code.
pub async fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command.unwrap_or(Command::Console) {
        Command::Console => console::run(&cli.global).await,
        Command::Config { json } => config_cmd::run(&cli.global, json),
        Command::Detect { json, paths } => detect::run(json, paths),
        Command::Demo(args) => demo_cmd::run(&cli.global, &args).await,
    }
}

/// The exit code for an error that reached the top level.
pub fn exit_code_for(err: &color_eyre::eyre::Report) -> i32 {
    if let Some(config_error) = err.downcast_ref::<crate::config::ConfigError>() {
        return config_error.exit_code();
    }
    crate::exit::ERROR
}
