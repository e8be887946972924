//! Process exit codes shared by every subcommand (documented in the README).

/// Everything worked.
pub const OK: i32 = 0;
/// A runtime error (I/O, MongoDB error, failed operation).
pub const ERROR: i32 = 1;
/// Wrong command-line usage (unknown flag, missing argument).
pub const USAGE: i32 = 2;
/// A verification found problems.
pub const VERIFY_FAILED: i32 = 3;
/// Another scandyctl operation holds the lock.
pub const BUSY: i32 = 4;
/// The configuration is invalid (syntax error, unknown key, bad value).
pub const CONFIG: i32 = 5;
/// MongoDB could not be reached or refused the credentials.
pub const MONGO_UNREACHABLE: i32 = 6;
