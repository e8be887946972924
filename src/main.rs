//! scandyctl entry point: parse the command line, set up error reporting, dispatch.

use std::process::ExitCode;

use clap::Parser;
use scandyctl::cli::Cli;
use scandyctl::commands::{dispatch, exit_code_for};

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`scandyctl list | head`) instead of panicking on a broken pipe.
    // SAFETY: called first thing, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .display_location_section(false)
        .install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                scandyctl::exit::USAGE as u8
            } else {
                0
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("scandyctl: cannot start the async runtime: {err}");
            return ExitCode::from(scandyctl::exit::ERROR as u8);
        }
    };
    let code = runtime.block_on(async {
        match dispatch(cli).await {
            Ok(code) => code,
            Err(err) => {
                // Errors carry names, paths and replies from files and servers.
                eprintln!(
                    "scandyctl: error: {}",
                    scandyctl::sanitize::escape_controls_keep_lines(&format!("{err:#}"))
                );
                exit_code_for(&err)
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    ExitCode::from(code as u8)
}
