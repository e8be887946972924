//! Configuration: TOML file, environment, Scandy's `.env`, defaults, with provenance.

mod model;
pub use model::*;

pub mod dotenv;
mod error;
mod file;
mod load;
mod recipients;
mod report;
pub mod schema;
mod section;
mod uri;
mod uri_options;
mod web;

pub use error::{ConfigError, os_reason};
pub use file::line_col;
pub use load::{LoadContext, LoadedConfig, load};
pub use recipients::{check_age_recipient, parse_recipients_file};
pub use report::{render_effective, render_effective_json};
pub use section::{parse_section, read_section};
pub use uri::{
    UriError, check_database_name, first_host_port, redact_uri, validate_mongo_uri,
    with_default_auth_source,
};
