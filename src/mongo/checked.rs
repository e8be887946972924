//! A checked connection for the commands, the console's jobs and the workers: connect and
//! ping like every headless command, with the SCRAM wording for refused credentials.

use color_eyre::eyre::{Report, Result};

use crate::backup::restore::connect_checked;
use crate::config::Config;
use crate::mongo::probe::{FailureKind, MongoUnreachable};

/// Connects and pings like every headless command (exit 6 when unreachable); an
/// authentication failure says "SCRAM authentication failed" explicitly.
pub async fn connect_db(config: &Config) -> Result<mongodb::Client> {
    connect_checked(config).await.map_err(scram_hint)
}

/// Rewrites an authentication [`MongoUnreachable`] so its message names SCRAM.
pub fn scram_hint(err: Report) -> Report {
    match err.downcast::<MongoUnreachable>() {
        Ok(mut unreachable) => {
            if unreachable.failure.kind == FailureKind::Auth
                && !unreachable
                    .failure
                    .detail
                    .contains("SCRAM authentication failed")
            {
                unreachable.failure.detail = format!(
                    "SCRAM authentication failed: {}",
                    unreachable.failure.detail
                );
            }
            Report::new(unreachable)
        }
        Err(other) => other,
    }
}
