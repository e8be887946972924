//! The pure checks behind safe extraction: entry path normalisation, where a symlink really
//! points, and readers that bound content bytes and header bytes.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use super::shown;

/// Most header bytes (PAX records, GNU long names, padding) allowed between two entries.
pub(super) const MAX_HEADER_GAP: u64 = 1 << 20;
/// Most symlinks followed while checking where a link points.
const MAX_LINK_HOPS: usize = 40;

/// `./a//b/` → `a/b`; absolute paths and `..` are refused.
pub(super) fn normal_entry_path(raw: &str) -> std::result::Result<String, &'static str> {
    if raw.starts_with('/') {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path contains `..`"),
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Follows `target` from the directory of `link` (both relative to the extraction root),
/// resolving further links through `lookup`; says why when it leaves the root.
pub(super) fn escape_reason(
    link: &str,
    target: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut at: Vec<String> = link
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    at.pop();
    let mut pending: VecDeque<String> = target.split('/').map(str::to_string).collect();
    if target.starts_with('/') {
        return Some("absolute target".into());
    }
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        match part.as_str() {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Some("points outside the target directory".into());
                }
            }
            name => {
                at.push(name.to_string());
                if let Some(next) = lookup(&at.join("/")) {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Some("too many levels of symlinks".into());
                    }
                    if next.starts_with('/') {
                        return Some(format!(
                            "goes through {} which points to an absolute path",
                            shown(&at.join("/"))
                        ));
                    }
                    at.pop();
                    for piece in next.split('/').rev() {
                        pending.push_front(piece.to_string());
                    }
                }
            }
        }
    }
    None
}

/// Counts content bytes read against the limit; stops once it is exceeded.
pub(super) struct Counted<'a, R> {
    pub(super) inner: R,
    pub(super) total: &'a mut u64,
    pub(super) max: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.total += n as u64;
        if *self.total > self.max {
            return Err(io::Error::other(format!(
                "the archive content exceeds the limit of {} bytes (decompression bomb?)",
                self.max
            )));
        }
        Ok(n)
    }
}

/// Limits the bytes read outside entry content (headers, long names, PAX records, the
/// end of the stream): `gap` is `Some(bytes so far)` outside content, `None` inside.
pub(super) struct GapReader<R> {
    pub(super) inner: R,
    pub(super) gap: Rc<Cell<Option<u64>>>,
}

impl<R: Read> Read for GapReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(so_far) = self.gap.get() {
            let so_far = so_far + n as u64;
            if so_far > MAX_HEADER_GAP {
                return Err(io::Error::other(format!(
                    "more than {MAX_HEADER_GAP} bytes of tar headers or trailing data without content (hostile archive?)"
                )));
            }
            self.gap.set(Some(so_far));
        }
        Ok(n)
    }
}
