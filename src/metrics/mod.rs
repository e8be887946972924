//! Metrics for Prometheus: the text format, what scandyctl exports, `scandyctl.prom` for
//! node_exporter's textfile collector and the `/metrics` endpoint of `watch`.

pub mod collect;
pub mod server;
pub mod text;
pub mod textfile;

pub use collect::{Live, collect, render_metrics};
pub use server::serve_metrics;
pub use textfile::refresh_textfile;

/// Refreshes `scandyctl.prom` after `status` (backups, schedule, free space); a failure is
/// a warning on stderr, never a failed `status`.
pub fn write_for_status(config: &crate::config::Config, config_file: Option<&std::path::Path>) {
    if let Err(err) = refresh_textfile(config, config_file, &Live::default(), chrono::Utc::now()) {
        eprintln!("warning: metrics: {err:#}");
    }
}
