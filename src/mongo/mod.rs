//! MongoDB access: connection probing, the connection monitor and a local server launcher.

pub mod checked;
pub mod health;
pub mod indexes;
pub mod local_server;
pub mod maintenance;
pub mod monitor;
pub mod probe;
pub mod sample;
pub mod stats;
