//! (stub until type recovery lands)
/// Duplicate ids.
#[derive(Default)]
pub struct DuplicateIds {}
