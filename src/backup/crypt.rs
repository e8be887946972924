//! age keys for backup encryption: recipients (public keys) to encrypt to and identities
//! (secret keys) to decrypt with. Messages never contain a secret key.

use std::path::Path;
use std::str::FromStr;

use age::x25519::{Identity, Recipient};
use color_eyre::eyre::{Result, WrapErr, bail};

/// Parses age recipients given as `age1...` strings and/or a recipients file (one key a
/// line, `#` comments and blank lines ignored). Duplicates are dropped, order is kept.
pub fn parse_recipients(keys: &[String], file: Option<&Path>) -> Result<Vec<Recipient>> {
    let mut out: Vec<Recipient> = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let recipient = parse_recipient(key.trim()).wrap_err_with(|| {
            format!(
                "[backup] recipients entry {} is not a valid age recipient",
                index + 1
            )
        })?;
        push_unique(&mut out, recipient);
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the recipients file {}", path.display()))?;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let recipient = parse_recipient(line).wrap_err_with(|| {
                format!(
                    "{} line {}: not a valid age recipient",
                    path.display(),
                    number + 1
                )
            })?;
            push_unique(&mut out, recipient);
        }
    }
    Ok(out)
}

/// Reads an identity file as written by `age-keygen` (`AGE-SECRET-KEY-1...` lines, `#`
/// comments). Errors name the file and line, never the key.
pub fn load_identities(path: &Path) -> Result<Vec<Identity>> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read the age identity file {}", path.display()))?;
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let where_ = format!("{} line {}", path.display(), number + 1);
        if line.starts_with("age1") {
            bail!(
                "{where_} is a public key (recipient), not an identity: decrypting needs the secret key file written by age-keygen"
            );
        }
        if line.starts_with("ssh-") || line.starts_with("-----BEGIN") {
            bail!("{where_}: SSH keys are not supported; use an X25519 identity from age-keygen");
        }
        if line.starts_with("AGE-PLUGIN-") {
            bail!(
                "{where_}: age plugin identities are not supported; use an X25519 identity from age-keygen"
            );
        }
        match Identity::from_str(line) {
            Ok(identity) => out.push(identity),
            // The parser's reason is generic ("invalid Bech32 encoding"): safe to show.
            Err(reason) => bail!("{where_} is not a valid age identity ({reason})"),
        }
    }
    if out.is_empty() {
        bail!(
            "{} holds no age identity (expected an AGE-SECRET-KEY-1... line)",
            path.display()
        );
    }
    Ok(out)
}

/// The public keys (`age1...`) of `recipients`, for the manifest.
pub fn recipient_strings(recipients: &[Recipient]) -> Vec<String> {
    recipients.iter().map(|r| r.to_string()).collect()
}

/// The public keys (`age1...`) matching `identities`, for messages.
pub fn identity_public_keys(identities: &[Identity]) -> Vec<String> {
    identities
        .iter()
        .map(|i| i.to_public().to_string())
        .collect()
}

fn parse_recipient(key: &str) -> Result<Recipient> {
    if key.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
        // Never echo a secret key, not even a prefix of its payload.
        bail!(
            "this is a secret key (identity); give its public key (age1...) instead, see `age-keygen -y`"
        );
    }
    if key.starts_with("ssh-") {
        bail!("SSH recipients are not supported; use an X25519 key (age1...) from age-keygen");
    }
    match Recipient::from_str(key) {
        Ok(recipient) => Ok(recipient),
        // Only something that looks like a public key is echoed: a pasted password is not.
        Err(reason) if key.starts_with("age1") => bail!("{:?}: {reason}", shorten(key)),
        Err(_) => bail!("not an age public key (expected age1...)"),
    }
}

/// A key for an error message: public keys are not secret, but keep messages short.
fn shorten(key: &str) -> String {
    let clean: String = key.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() > 72 {
        format!("{}…", clean.chars().take(72).collect::<String>())
    } else {
        clean
    }
}

fn push_unique(out: &mut Vec<Recipient>, recipient: Recipient) {
    if !out.contains(&recipient) {
        out.push(recipient);
    }
}
