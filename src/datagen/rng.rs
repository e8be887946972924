//! A small deterministic random source (SplitMix64) plus BSON value helpers.
//!
//! The generator must give the same dataset for the same seed on every machine and
//! across dependency upgrades, so it does not use `rand`'s `StdRng` (whose algorithm
//! may change between versions).

use chrono::{Duration, NaiveDateTime};
use mongodb::bson::{Bson, DateTime, Decimal128, oid::ObjectId};

/// Deterministic pseudo-random numbers and ids for the data generator.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    oid_counter: u32,
    oid_process: [u8; 5],
}

impl Rng {
    /// Creates a generator from a seed.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng {
            state: seed ^ 0x5CA2_D7C7_1DA7_A5EE,
            oid_counter: 0,
            oid_process: [0; 5],
        };
        let p = rng.next_u64().to_be_bytes();
        rng.oid_process.copy_from_slice(&p[..5]);
        rng.oid_counter = (rng.next_u64() & 0x00FF_FFFF) as u32;
        rng
    }

    /// Returns the next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n` (`n` must be positive).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Returns a number in `lo..hi` (empty ranges give `lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as usize) as i64
    }

    /// Returns `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// Picks one element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Returns `n` random lowercase hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..n)
            .map(|_| DIGITS[(self.next_u64() & 15) as usize] as char)
            .collect()
    }

    /// Returns `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// Returns an ObjectId whose timestamp is `at`, unique within this generator.
    pub fn object_id(&mut self, at: NaiveDateTime) -> ObjectId {
        let mut bytes = [0u8; 12];
        let secs = at.and_utc().timestamp().clamp(0, u32::MAX as i64) as u32;
        bytes[..4].copy_from_slice(&secs.to_be_bytes());
        bytes[4..9].copy_from_slice(&self.oid_process);
        self.oid_counter = (self.oid_counter + 1) & 0x00FF_FFFF;
        bytes[9..].copy_from_slice(&self.oid_counter.to_be_bytes()[1..]);
        ObjectId::from_bytes(bytes)
    }

    /// Returns a time `min_secs..max_secs` seconds before `now`, with milliseconds.
    pub fn before(&mut self, now: NaiveDateTime, min_secs: i64, max_secs: i64) -> NaiveDateTime {
        now - Duration::seconds(self.range(min_secs, max_secs)) - self.millis()
    }

    /// Returns a time `min_secs..max_secs` seconds after `t`, with milliseconds.
    pub fn after(&mut self, t: NaiveDateTime, min_secs: i64, max_secs: i64) -> NaiveDateTime {
        t + Duration::seconds(self.range(min_secs, max_secs)) + self.millis()
    }

    fn millis(&mut self) -> Duration {
        Duration::milliseconds(self.range(0, 1000))
    }
}

/// Converts a naive local time into the BSON date Scandy (pymongo) would store.
pub fn bson_date(t: NaiveDateTime) -> Bson {
    Bson::DateTime(DateTime::from_millis(t.and_utc().timestamp_millis()))
}

/// Converts an optional naive time into a BSON date or `null`.
pub fn bson_date_opt(t: Option<NaiveDateTime>) -> Bson {
    t.map_or(Bson::Null, bson_date)
}

/// Builds a Decimal128 from an integer number of `1/10^scale` units, e.g. `(1250, 2)` = 12.50.
pub fn decimal(units: i64, scale: u32) -> Bson {
    let digits = units.unsigned_abs().to_string();
    let text = if scale == 0 {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = scale as usize + 1);
        let (int, frac) = padded.split_at(padded.len() - scale as usize);
        format!("{int}.{frac}")
    };
    let sign = if units < 0 { "-" } else { "" };
    let value: Decimal128 = format!("{sign}{text}")
        .parse()
        .unwrap_or_else(|_| Decimal128::from_bytes([0; 16]));
    Bson::Decimal128(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_render_like_python() {
        assert_eq!(decimal(1250, 2).to_string(), "12.50");
        assert_eq!(decimal(5, 2).to_string(), "0.05");
        assert_eq!(decimal(-385, 1).to_string(), "-38.5");
        assert_eq!(decimal(7, 0).to_string(), "7");
    }

    #[test]
    fn same_seed_same_numbers() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        assert_eq!(a.next_u64(), b.next_u64());
        assert_ne!(Rng::new(2).next_u64(), Rng::new(1).next_u64());
    }
}
