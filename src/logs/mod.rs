//! Scandy's logs: following files across rotations, reading history, parsing Scandy's and
//! MongoDB's formats into entries (tracebacks joined, security events' fields read),
//! filtering, searching, summarising, counting.
//! No terminal code here.

pub mod assemble;
pub mod configured;
pub mod entry;
pub mod fields;
pub mod filter;
pub mod history;
pub mod parse;
pub mod process;
pub mod process_lines;
pub mod python_repr;
pub mod repeats;
pub mod scan;
pub mod sources;
pub mod summary;
pub mod tail;
pub mod watch;
