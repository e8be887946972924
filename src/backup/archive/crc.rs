//! The archive checksum: CRC-64 with Go's `crc64.ECMA` table, as mongo-tools computes it.
//!
//! mongodump hashes the concatenated raw BSON bytes of every document of a namespace with
//! `crc64.New(crc64.MakeTable(crc64.ECMA))`: polynomial 0xC96C5795D7870F42 (reflected),
//! initial value and final XOR all ones. That is the catalogued CRC-64/XZ.

use crc::{CRC_64_XZ, Crc, Digest, Table};

/// The CRC engine (slice-by-16 tables, built at compile time).
static ENGINE: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_XZ);

/// Returns the archive CRC of one byte string.
pub fn crc64(bytes: &[u8]) -> u64 {
    ENGINE.checksum(bytes)
}

/// A running archive CRC over the documents of one namespace, with their count and size.
#[derive(Clone)]
pub struct NamespaceChecksum {
    digest: Digest<'static, u64, Table<16>>,
    documents: u64,
    bytes: u64,
}

impl Default for NamespaceChecksum {
    fn default() -> Self {
        NamespaceChecksum {
            digest: ENGINE.digest(),
            documents: 0,
            bytes: 0,
        }
    }
}

impl std::fmt::Debug for NamespaceChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamespaceChecksum")
            .field("crc", &self.crc())
            .field("documents", &self.documents)
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl NamespaceChecksum {
    /// Adds one document's raw BSON bytes.
    pub fn add_document(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
        self.documents += 1;
        self.bytes += bytes.len() as u64;
    }

    /// Returns the CRC of everything added so far (0 for nothing, as in Go).
    pub fn crc(&self) -> u64 {
        self.digest.clone().finalize()
    }

    /// Returns the number of documents added.
    pub fn documents(&self) -> u64 {
        self.documents
    }

    /// Returns the number of bytes added.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_catalogue_check_value() {
        // CRC-64/XZ check value for "123456789"; Go's crc64.Checksum(.., ECMA) gives the same.
        assert_eq!(crc64(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(crc64(b""), 0);
    }

    #[test]
    fn running_checksum_equals_one_shot() {
        let mut sum = NamespaceChecksum::default();
        sum.add_document(b"12345");
        sum.add_document(b"6789");
        assert_eq!(sum.crc(), crc64(b"123456789"));
        assert_eq!((sum.documents(), sum.bytes()), (2, 9));
    }
}
