//! Command-line interface: global flags and subcommands (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{CliOverrides, LanguageSetting};

/// scandyctl: console and headless CLI for Scandy installations.
#[derive(Debug, Parser)]
#[command(name = "scandyctl", version, about, long_about = None)]
pub struct Cli {
    /// Flags that apply to every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; without a subcommand the console opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags shared by all subcommands; they override environment, config file and `.env`.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (else $SCANDYCTL_CONFIG, ./scandyctl.toml, ~/.config/scandyctl/config.toml, /etc/scandyctl/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scandy install directory (its .env is read).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// MongoDB connection string.
    #[arg(long = "mongo-uri", global = true, value_name = "URI")]
    pub mongo_uri: Option<String>,
    /// Database name.
    #[arg(long, global = true, value_name = "NAME")]
    pub database: Option<String>,
    /// Backup directory.
    #[arg(long = "backup-dir", global = true, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Console language.
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    pub lang: Option<LangArg>,
}

/// Values of `--lang`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// Follow LANG.
    Auto,
    /// English.
    En,
    /// German.
    De,
}

impl GlobalArgs {
    /// The flags as configuration overrides.
    pub fn overrides(&self) -> CliOverrides {
        CliOverrides {
            config_file: self.config.clone(),
            root: self.root.clone(),
            mongo_uri: self.mongo_uri.clone(),
            database: self.database.clone(),
            backup_dir: self.backup_dir.clone(),
            language: self.lang.map(|lang| match lang {
                LangArg::Auto => LanguageSetting::Auto,
                LangArg::En => LanguageSetting::En,
                LangArg::De => LanguageSetting::De,
            }),
        }
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the full-screen console (the default).
    Console,
    /// Print the effective configuration and where each value came from (passwords redacted).
    Config {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Find Scandy installs (native, docker compose, multi-instance).
    Detect {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Directories to search (default: /opt/scandy, /opt, /srv, /home/*, /root, the current directory).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Build a sandbox Scandy install with live logs and seeded data, and open the console on it.
    Demo(DemoArgs),
}

/// Flags of `scandyctl demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Keep the sandbox directory (and its MongoDB data) after exit.
    #[arg(long)]
    pub keep: bool,
    /// Build the sandbox here instead of a new temporary directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Data size: number of tools (other collections scale with it).
    #[arg(long, default_value_t = 500)]
    pub scale: usize,
    /// New lines per second written to app/logs/app.log.
    #[arg(long, default_value_t = 5.0)]
    pub log_rate: f64,
}
