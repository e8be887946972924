//! Scandy's logs: following files across rotations, reading history, parsing Scandy's and
//! MongoDB's formats into entries (tracebacks joined), filtering, searching, summarising.
//! No terminal code here.

pub mod assemble;
pub mod entry;
pub mod filter;
pub mod history;
pub mod parse;
pub mod process;
pub mod process_lines;
pub mod scan;
pub mod sources;
pub mod summary;
pub mod tail;
pub mod watch;
