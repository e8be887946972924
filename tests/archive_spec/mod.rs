//! An independent reader of mongodump archives, written from mongo-tools
//! `common/archive/spec.md`: plain byte parsing and a bitwise CRC-64, sharing no code
//! with the crate under test.

/// CRC-64 ECMA-182, reflected (Go `crc64.ECMA`), init and xorout all ones.
pub fn crc64(data: &[u8]) -> u64 {
    const POLY: u64 = 0xC96C_5795_D787_0F42;
    let mut crc = !0u64;
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A top-level field of a header document.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    I32(i32),
    I64(i64),
    Bool(bool),
}

/// Parses the top-level fields of a flat document (the only types headers use).
pub fn fields(doc: &[u8]) -> Vec<(String, Value)> {
    let len = u32::from_le_bytes(doc[..4].try_into().unwrap()) as usize;
    assert_eq!(len, doc.len());
    assert_eq!(doc[len - 1], 0);
    let mut pos = 4;
    let mut out = Vec::new();
    while doc[pos] != 0 {
        let kind = doc[pos];
        pos += 1;
        let end = pos + doc[pos..].iter().position(|&b| b == 0).unwrap();
        let name = String::from_utf8(doc[pos..end].to_vec()).unwrap();
        pos = end + 1;
        let le4 = |p: usize| u32::from_le_bytes(doc[p..p + 4].try_into().unwrap());
        let value = match kind {
            0x02 => {
                let n = le4(pos) as usize;
                let s = String::from_utf8(doc[pos + 4..pos + 4 + n - 1].to_vec()).unwrap();
                assert_eq!(doc[pos + 4 + n - 1], 0);
                pos += 4 + n;
                Value::Str(s)
            }
            0x10 => {
                pos += 4;
                Value::I32(le4(pos - 4) as i32)
            }
            0x12 => {
                pos += 8;
                Value::I64(i64::from_le_bytes(doc[pos - 8..pos].try_into().unwrap()))
            }
            0x08 => {
                pos += 1;
                Value::Bool(doc[pos - 1] == 1)
            }
            other => panic!("unexpected element type {other:#x} in field {name}"),
        };
        out.push((name, value));
    }
    assert_eq!(pos + 1, len);
    out
}

/// Returns a field's value.
pub fn get<'a>(fields: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// One namespace as found in the archive.
#[derive(Debug, Default)]
pub struct Namespace {
    pub db: String,
    pub collection: String,
    pub segments: usize,
    pub docs: Vec<Vec<u8>>,
    pub eof_crc: Option<i64>,
}

/// A parsed archive.
#[derive(Debug)]
pub struct Archive {
    pub header: Vec<(String, Value)>,
    pub preludes: Vec<Vec<(String, Value)>>,
    pub namespaces: Vec<Namespace>,
}

const TERMINATOR: u32 = 0xffff_ffff;

/// Reads a terminator (`None`) or a document at `pos`.
fn next(bytes: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let len = u32::from_le_bytes(bytes[*pos..*pos + 4].try_into().unwrap());
    if len == TERMINATOR {
        *pos += 4;
        return None;
    }
    let len = len as usize;
    assert!((5..=16 * 1024 * 1024).contains(&len), "bad length {len}");
    let doc = bytes[*pos..*pos + len].to_vec();
    assert_eq!(doc[len - 1], 0);
    *pos += len;
    Some(doc)
}

/// Parses a whole archive, asserting the grammar of the spec on the way.
pub fn parse(bytes: &[u8]) -> Archive {
    assert_eq!(&bytes[..4], &[0x6d, 0xe2, 0x99, 0x81], "magic number");
    let mut pos = 4;
    let header = fields(&next(bytes, &mut pos).expect("header"));
    let mut preludes = Vec::new();
    while let Some(doc) = next(bytes, &mut pos) {
        preludes.push(fields(&doc));
    }
    let mut namespaces: Vec<Namespace> = Vec::new();
    while pos < bytes.len() {
        let h = fields(&next(bytes, &mut pos).expect("a block starts with a header"));
        let (Some(Value::Str(db)), Some(Value::Str(coll))) = (get(&h, "db"), get(&h, "collection"))
        else {
            panic!("namespace header without db/collection: {h:?}")
        };
        let Some(Value::Bool(eof)) = get(&h, "EOF") else {
            panic!("EOF is not a bool: {h:?}")
        };
        let Some(Value::I64(crc)) = get(&h, "CRC") else {
            panic!("CRC is not an int64: {h:?}")
        };
        let idx = match namespaces
            .iter()
            .position(|n| &n.db == db && &n.collection == coll)
        {
            Some(i) => i,
            None => {
                namespaces.push(Namespace {
                    db: db.clone(),
                    collection: coll.clone(),
                    ..Default::default()
                });
                namespaces.len() - 1
            }
        };
        let ns = &mut namespaces[idx];
        assert!(ns.eof_crc.is_none(), "{coll} continues after its EOF");
        if *eof {
            ns.eof_crc = Some(*crc);
            assert!(next(bytes, &mut pos).is_none(), "EOF header + terminator");
        } else {
            assert_eq!(*crc, 0, "segment headers carry CRC 0");
            ns.segments += 1;
            while let Some(doc) = next(bytes, &mut pos) {
                ns.docs.push(doc);
            }
        }
    }
    assert_eq!(pos, bytes.len());
    Archive {
        header,
        preludes,
        namespaces,
    }
}
