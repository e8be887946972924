//! Backups: sets of a mongodump-format database archive and a tar of files, each zstd-compressed
//! and optionally age-encrypted, with a manifest and SHA256SUMS; create, verify, restore,
//! export/import and the inventory.

pub mod archive;
pub mod chain;
pub mod create;
pub mod crypt;
pub mod dump;
pub mod extract;
pub mod files;
pub mod id;
pub mod install_state;
pub mod inventory;
pub mod legacy;
pub mod load;
pub mod lock;
pub mod manifest;
pub mod member;
pub mod pitr;
pub mod portable;
pub mod preflight;
pub mod progress;
pub mod restore;
pub mod retention;
pub mod snapshot;
pub mod verify;
