//! Point-in-time restore on replica sets: oplog slices captured between backups (sets of
//! type `oplog`), the recoverable window they give, and replaying them onto a restored
//! base up to the asked time.

pub mod apply;
pub mod capture;
pub mod replay;
pub mod window;
