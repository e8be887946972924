//! Subcommand implementations: each turns parsed flags into engine calls and output.

pub mod backup_cmd;
pub mod check_cmd;
pub mod config_cmd;
pub mod console;
pub mod db_cmd;
pub mod db_health_cmd;
pub mod db_maint_cmd;
pub mod demo_cmd;
pub mod detect;
pub mod flatten_cmd;
pub mod inventory_cmd;
pub mod job_worker_cmd;
pub mod legacy_cmd;
pub mod log_cmd;
pub mod logs_cmd;
pub mod notify_cmd;
pub mod oplog_cmd;
pub mod progress_line;
pub mod prune_cmd;
pub mod recover_cmd;
pub mod recovery;
pub mod report_cmd;
pub mod restore_cmd;
pub mod schedule_cmd;
pub mod watch_cmd;
mod watch_signals;

use color_eyre::eyre::Result;

use crate::cli::{Cli, Command, DbCommand, NotifyCommand};

/// Runs the parsed command line; returns the process exit code.
pub async fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command.unwrap_or(Command::Console) {
        Command::Console => console::run(&cli.global).await,
        Command::Config { json } => config_cmd::run(&cli.global, json),
        Command::Detect {
            json,
            explain,
            paths,
        } => detect::run(json, explain, paths),
        Command::Demo(args) => demo_cmd::run(&cli.global, &args).await,
        Command::Backup {
            kind,
            parent,
            scan,
            json,
        } => {
            recovery::recover_for(&cli.global, true).await;
            backup_cmd::run_backup(&cli.global, kind, parent, scan, json).await
        }
        Command::Oplog { command } => {
            recovery::recover_for(&cli.global, true).await;
            oplog_cmd::run(&cli.global, command).await
        }
        Command::Flatten { id, json } => {
            recovery::recover_for(&cli.global, true).await;
            flatten_cmd::run_flatten(&cli.global, &id, json).await
        }
        Command::Verify {
            id,
            all,
            deep,
            json,
        } => {
            recovery::recover_for(&cli.global, true).await;
            backup_cmd::run_verify(&cli.global, id, all, deep, json).await
        }
        Command::Restore(args) => restore_cmd::run(&cli.global, &args).await,
        Command::Recover(args) => {
            recovery::recover_for(&cli.global, true).await;
            recover_cmd::run(&cli.global, &args).await
        }
        Command::Export { id, out } => {
            recovery::recover_for(&cli.global, true).await;
            inventory_cmd::run_export(&cli.global, &id, &out)
        }
        Command::Import {
            file,
            legacy,
            keep_types,
            json,
        } => {
            recovery::recover_for(&cli.global, true).await;
            match (file, legacy) {
                (_, Some(legacy)) => {
                    inventory_cmd::run_import_legacy(&cli.global, &legacy, keep_types, json).await
                }
                (Some(file), None) => inventory_cmd::run_import(&cli.global, &file),
                (None, None) => {
                    Err(UsageError("import needs a file or --legacy ID|PATH".into()).into())
                }
            }
        }
        Command::Prune(args) => {
            recovery::recover_for(&cli.global, true).await;
            prune_cmd::run(&cli.global, &args)
        }
        Command::Logs(args) => logs_cmd::run(&cli.global, &args).await,
        Command::List { json } => inventory_cmd::run_list(&cli.global, json),
        Command::Status { json } => {
            let restores = recovery::recover_for(&cli.global, false).await;
            inventory_cmd::run_status(&cli.global, json, &restores)
        }
        Command::Notify(args) => match args.command {
            NotifyCommand::Test { channel, json } => {
                notify_cmd::run_test(&cli.global, channel, json).await
            }
        },
        Command::Watch {
            once,
            json,
            metrics_listen,
        } => watch_cmd::run(&cli.global, once, json, metrics_listen).await,
        Command::Check(args) => check_cmd::run(&cli.global, &args).await,
        Command::Log(args) => log_cmd::run(&cli.global, &args),
        Command::Report(args) => report_cmd::run(&cli.global, &args).await,
        Command::JobWorker { job } => job_worker_cmd::run(&job).await,
        Command::Schedule(args) => schedule_cmd::run(&cli.global, args.command).await,
        Command::Db(args) => {
            recovery::recover_and_sweep(&cli.global).await;
            run_db(&cli.global, args.command).await
        }
    }
}

/// Runs a `scandyctl db` subcommand.
async fn run_db(global: &crate::cli::GlobalArgs, command: DbCommand) -> Result<i32> {
    let cli_global = global;
    match command {
        DbCommand::Stats { json } => db_cmd::run_stats(cli_global, json).await,
        DbCommand::Indexes {
            collection,
            json,
            create_missing,
        } => db_cmd::run_indexes(cli_global, collection, json, create_missing).await,
        DbCommand::Health { json, fix, yes } => {
            db_health_cmd::run(cli_global, json, fix, yes).await
        }
        DbCommand::Validate {
            collection,
            full,
            json,
        } => db_maint_cmd::run_validate(cli_global, collection, full, json).await,
        DbCommand::Compact {
            collection,
            yes,
            json,
        } => db_maint_cmd::run_compact(cli_global, collection, yes, json).await,
        DbCommand::Reindex {
            collection,
            yes,
            json,
        } => db_maint_cmd::run_reindex(cli_global, collection, yes, json).await,
    }
}

/// The exit code for an error that reached the top level.
pub fn exit_code_for(err: &color_eyre::eyre::Report) -> i32 {
    for cause in err.chain() {
        if let Some(config_error) = cause.downcast_ref::<crate::config::ConfigError>() {
            return config_error.exit_code();
        }
        if cause.is::<crate::backup::lock::BusyError>() {
            return crate::exit::BUSY;
        }
        if cause.is::<NeedsConfirmation>() || cause.is::<UsageError>() {
            return crate::exit::USAGE;
        }
        if cause.is::<crate::schedule::ScheduleConfigError>() {
            return crate::exit::CONFIG;
        }
        if cause.is::<crate::mongo::probe::MongoUnreachable>() {
            return crate::exit::MONGO_UNREACHABLE;
        }
    }
    crate::exit::ERROR
}

/// Asks on the terminal for `yes` before `command` changes anything; the prompt goes to
/// stderr when stdout carries JSON. Without a terminal this is [`NeedsConfirmation`];
/// any other answer fails with "not confirmed; nothing was {unchanged}".
pub fn confirm_yes(command: &'static str, prompt: &str, json: bool, unchanged: &str) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        color_eyre::eyre::bail!(NeedsConfirmation { command });
    }
    if json {
        eprint!("{prompt}");
        std::io::stderr().flush()?;
    } else {
        print!("{prompt}");
        std::io::stdout().flush()?;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != "yes" {
        color_eyre::eyre::bail!("not confirmed; nothing was {unchanged}");
    }
    Ok(())
}

/// A destructive command without `--yes` when nobody can type the confirmation (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsConfirmation {
    /// The command, e.g. `prune`.
    pub command: &'static str,
}

impl std::fmt::Display for NeedsConfirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} needs a typed confirmation: run it on a terminal or pass --yes; nothing was changed",
            self.command
        )
    }
}

impl std::error::Error for NeedsConfirmation {}

/// Flags that are valid one by one but not together (exit code 2, like clap's errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
