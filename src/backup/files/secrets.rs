//! Telling files that hold secrets from those that do not, without ever keeping a value:
//! by name (`.env`, `*.key`, `*.pem`, `id_rsa*`) and, for config files, by content.

use std::io::{self, BufRead, BufReader, Read};

/// Why a file name alone marks a file as secret.
pub(super) fn secret_name(name: &str) -> Option<&'static str> {
    if name == ".env" || name.ends_with(".env") || name.starts_with(".env.") {
        Some("a .env file")
    } else if name.ends_with(".key") {
        Some("a key file (*.key)")
    } else if name.ends_with(".pem") {
        Some("a PEM key file (*.pem)")
    } else if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        Some("an SSH key (id_rsa*)")
    } else {
        None
    }
}

/// Names of keys in a config file that carry secret values (`*PASSWORD*`, `*SECRET*`,
/// `*TOKEN*` with a literal value, URIs with a password).
pub(super) fn secret_keys(file: impl Read) -> io::Result<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if let Some(key) = secret_key_in_line(&String::from_utf8_lossy(&line))
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    if keys.len() > 6 {
        let more = keys.len() - 5;
        keys.truncate(5);
        keys.push(format!("{more} more"));
    }
    Ok(keys)
}

/// The key of `KEY=value`, `export KEY=value`, `- KEY=value` or `KEY: value` when the
/// value is a secret. Only the key (an identifier) is ever returned.
fn secret_key_in_line(line: &str) -> Option<String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let split = line.find(['=', ':'])?;
    let key = line[..split].trim().trim_matches(['"', '\'']);
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    let value = line[split + 1..].trim().trim_matches(['"', '\'']);
    let upper = key.to_ascii_uppercase();
    let secret_name = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w));
    let literal = !value.is_empty() && !is_variable_reference(value);
    if (secret_name && literal) || uri_with_password(value) {
        return Some(key.to_string());
    }
    None
}

/// `${NAME}` or `$NAME`: a reference resolved elsewhere, not a secret itself.
fn is_variable_reference(value: &str) -> bool {
    let name = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'));
    name.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `scheme://user:password@host` with a literal password.
fn uri_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    match userinfo.split_once(':') {
        Some((_, password)) => !password.is_empty() && !is_variable_reference(password),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secret_keys_but_not_references() {
        let text = "A=1\nexport API_TOKEN='abc'\n# PASSWORD=x\nDB_PASSWORD=${DB_PASSWORD}\n  - MONGO_PASSWORD: $MONGO_PASSWORD\nURI=mongodb://u:p@h/db\nURI2=mongodb://u:${P}@h\nEMPTY_SECRET=\n";
        assert_eq!(
            secret_keys(text.as_bytes()).unwrap(),
            vec!["API_TOKEN", "URI"]
        );
        assert_eq!(secret_name("prod.env"), Some("a .env file"));
        assert_eq!(secret_name(".env.bak"), Some("a .env file"));
        assert_eq!(secret_name("id_rsa.pub"), Some("an SSH key (id_rsa*)"));
        assert_eq!(secret_name("environment.yml"), None);
    }
}
