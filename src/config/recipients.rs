//! Plausibility checks for age X25519 recipients (`backup.recipients`, `backup.recipients_file`).
//!
//! Recipients are public keys and may be printed; an age identity (`AGE-SECRET-KEY-1...`)
//! pasted by mistake is recognised and never echoed.

/// The bech32 data characters, in value order.
const CHARSET: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// An age X25519 recipient is `age1` followed by 58 bech32 characters.
const RECIPIENT_LEN: usize = 62;

/// Shortest string accepted as a plausible recipient.
const MIN_LEN: usize = 60;

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// True when the bech32 checksum of `age1<data>` is valid (BIP 173, as age uses it).
fn checksum_ok(data: &str) -> bool {
    let hrp = b"age";
    let expanded = hrp
        .iter()
        .map(|c| c >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|c| c & 31));
    let values = data.chars().map(|c| CHARSET.find(c).unwrap_or(0) as u8);
    polymod(expanded.chain(values)) == 1
}

/// Checks that `text` looks like an age X25519 public key: `age1`, lowercase bech32
/// characters, at least 60 characters, valid checksum. The error says what is wrong;
/// it quotes the value only when it is not a private key.
pub fn check_age_recipient(text: &str) -> Result<(), String> {
    const EXPECTED: &str =
        "expected \"age1\" followed by 58 lowercase bech32 characters, as printed by age-keygen";
    if text
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("AGE-SECRET-KEY-")
    {
        return Err(
            "this is an age identity (a private key), not a recipient: remove it from the \
             configuration and use its public key (age-keygen -y FILE prints it)"
                .into(),
        );
    }
    let shown = format!("\"{}\"", text.escape_debug());
    if text.is_empty() {
        return Err(format!("empty; {EXPECTED}"));
    }
    if text.trim() != text {
        return Err(format!("{shown} has spaces around it; write the key alone"));
    }
    if text.starts_with("ssh-") {
        return Err(format!(
            "{shown} is an SSH key; only age X25519 recipients (\"age1...\") are supported"
        ));
    }
    let Some(data) = text.strip_prefix("age1") else {
        return Err(format!("{shown} does not start with \"age1\"; {EXPECTED}"));
    };
    if let Some((pos, bad)) = data
        .chars()
        .enumerate()
        .find(|(_, c)| !CHARSET.contains(*c))
    {
        let why = if bad.is_ascii_uppercase() {
            "upper case is not allowed"
        } else {
            "bech32 does not use it"
        };
        return Err(format!(
            "{shown}: character {} ({:?}) is not a lowercase bech32 character ({why}); {EXPECTED}",
            pos + 5,
            bad
        ));
    }
    let len = text.chars().count();
    if len < MIN_LEN {
        return Err(format!(
            "{shown} is too short ({len} characters; an age public key has {RECIPIENT_LEN})"
        ));
    }
    if !checksum_ok(data) {
        return Err(format!(
            "{shown} fails the bech32 checksum: a character is mistyped or missing"
        ));
    }
    Ok(())
}

/// The recipients in a recipients file: one per line, blank lines and `#` comments
/// ignored, surrounding spaces trimmed. The error names the 1-based line.
pub fn parse_recipients_file(text: &str) -> Result<Vec<String>, (usize, String)> {
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        check_age_recipient(line).map_err(|why| (number + 1, why))?;
        out.push(line.to_string());
    }
    Ok(out)
}
