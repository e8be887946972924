//! Connection-string options (`?name=value&...`): checks and redaction.

use super::uri::{UriError, check_percent, decode};

/// Authentication mechanisms MongoDB drivers accept (`authMechanism`).
pub const AUTH_MECHANISMS: [&str; 7] = [
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "MONGODB-X509",
    "MONGODB-AWS",
    "MONGODB-OIDC",
    "GSSAPI",
    "PLAIN",
];

/// What kind of value an option takes.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    UInt,
    Int,
    ReadPreference,
    NonEmpty,
    Any,
}

/// Options from the MongoDB connection-string specification (canonical spelling).
const OPTIONS: &[(&str, Kind)] = &[
    ("appName", Kind::Any),
    ("authMechanism", Kind::Any),
    ("authMechanismProperties", Kind::Any),
    ("authSource", Kind::NonEmpty),
    ("compressors", Kind::Any),
    ("connectTimeoutMS", Kind::UInt),
    ("directConnection", Kind::Bool),
    ("heartbeatFrequencyMS", Kind::UInt),
    ("journal", Kind::Bool),
    ("loadBalanced", Kind::Bool),
    ("localThresholdMS", Kind::UInt),
    ("maxConnecting", Kind::UInt),
    ("maxIdleTimeMS", Kind::UInt),
    ("maxPoolSize", Kind::UInt),
    ("maxStalenessSeconds", Kind::Int),
    ("minPoolSize", Kind::UInt),
    ("proxyHost", Kind::Any),
    ("proxyPassword", Kind::Any),
    ("proxyPort", Kind::UInt),
    ("proxyUsername", Kind::Any),
    ("readConcernLevel", Kind::Any),
    ("readPreference", Kind::ReadPreference),
    ("readPreferenceTags", Kind::Any),
    ("replicaSet", Kind::NonEmpty),
    ("retryReads", Kind::Bool),
    ("retryWrites", Kind::Bool),
    ("serverMonitoringMode", Kind::Any),
    ("serverSelectionTimeoutMS", Kind::UInt),
    ("serverSelectionTryOnce", Kind::Bool),
    ("socketTimeoutMS", Kind::UInt),
    ("srvMaxHosts", Kind::UInt),
    ("srvServiceName", Kind::NonEmpty),
    ("ssl", Kind::Bool),
    ("timeoutMS", Kind::UInt),
    ("tls", Kind::Bool),
    ("tlsAllowInvalidCertificates", Kind::Bool),
    ("tlsAllowInvalidHostnames", Kind::Bool),
    ("tlsCAFile", Kind::NonEmpty),
    ("tlsCertificateKeyFile", Kind::NonEmpty),
    ("tlsCertificateKeyFilePassword", Kind::Any),
    ("tlsDisableCertificateRevocationCheck", Kind::Bool),
    ("tlsDisableOCSPEndpointCheck", Kind::Bool),
    ("tlsInsecure", Kind::Bool),
    ("uuidRepresentation", Kind::Any),
    ("w", Kind::Any),
    ("waitQueueTimeoutMS", Kind::UInt),
    ("wTimeoutMS", Kind::UInt),
    ("zlibCompressionLevel", Kind::Int),
];

const READ_PREFERENCES: [&str; 5] = [
    "primary",
    "primaryPreferred",
    "secondary",
    "secondaryPreferred",
    "nearest",
];

/// True for options whose value is a secret (shown as `***`, never echoed in errors).
pub fn is_secret_option(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("password") || lower.contains("secret") || lower.contains("token")
}

/// An option name safe to echo: short and made of name characters only.
fn printable_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| name.to_string())
}

/// Checks every `name=value` pair of a query string.
pub fn check_query(query: &str) -> Result<(), UriError> {
    for option in query.split(['&', ';']).filter(|o| !o.is_empty()) {
        let Some((name, value)) = option.split_once('=') else {
            return Err(UriError::OptionWithoutEquals {
                option: printable_name(option),
            });
        };
        if name.is_empty() {
            return Err(UriError::EmptyOptionName);
        }
        let shown = printable_name(name).unwrap_or_else(|| "(unnamed)".into());
        check_percent(name, &format!("option name {shown}"))?;
        check_percent(value, &format!("option {shown}"))?;
        let value = decode(value, &format!("option {shown}"))?;
        check_option(name, &value)?;
    }
    Ok(())
}

fn check_option(name: &str, value: &str) -> Result<(), UriError> {
    let Some((canonical, kind)) = OPTIONS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    else {
        return match suggest(name) {
            Some(suggestion) => Err(UriError::MisspeltOption {
                option: printable_name(name).unwrap_or_else(|| "(unnamed)".into()),
                suggestion,
            }),
            None => Ok(()),
        };
    };
    if *canonical == "authMechanism" {
        return check_mechanism(value);
    }
    let expected = match kind {
        Kind::Bool if value != "true" && value != "false" => "true or false",
        Kind::UInt if value.parse::<u64>().is_err() => "a whole number of 0 or more",
        Kind::Int if value.parse::<i64>().is_err() => "a whole number",
        Kind::ReadPreference
            if !READ_PREFERENCES
                .iter()
                .any(|p| p.eq_ignore_ascii_case(value)) =>
        {
            "primary, primaryPreferred, secondary, secondaryPreferred or nearest"
        }
        Kind::NonEmpty if value.is_empty() => "a non-empty value",
        _ => return Ok(()),
    };
    let shown = (!is_secret_option(canonical)).then(|| short(value));
    Err(UriError::BadOptionValue {
        option: canonical,
        value: shown,
        expected,
    })
}

fn check_mechanism(value: &str) -> Result<(), UriError> {
    if AUTH_MECHANISMS.contains(&value) {
        return Ok(());
    }
    let upper = value.to_ascii_uppercase();
    let suggestion = AUTH_MECHANISMS
        .iter()
        .copied()
        .find(|m| *m == upper)
        .or_else(|| {
            AUTH_MECHANISMS
                .iter()
                .copied()
                .find(|m| strsim::levenshtein(m, &upper) <= 2)
        });
    Err(UriError::UnknownAuthMechanism {
        mechanism: short(value),
        suggestion,
    })
}

/// The known option an unknown name most likely meant (a typo of at most two letters).
fn suggest(name: &str) -> Option<&'static str> {
    if name.len() < 4 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    OPTIONS
        .iter()
        .map(|(known, _)| {
            (
                strsim::levenshtein(&known.to_ascii_lowercase(), &lower),
                *known,
            )
        })
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

fn short(value: &str) -> String {
    let mut s: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        s.push('…');
    }
    s.escape_debug().to_string()
}

/// Replaces the values of secret options (and AWS session tokens) with `***`.
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    loop {
        let end = rest.find(['&', ';']).unwrap_or(rest.len());
        let option = &rest[..end];
        match option.split_once('=') {
            Some((name, value)) if is_secret_option(name) || mentions_token(value) => {
                out.push_str(name);
                out.push_str("=***");
            }
            _ => out.push_str(option),
        }
        if end == rest.len() {
            break;
        }
        out.push_str(&rest[end..end + 1]);
        rest = &rest[end + 1..];
    }
    out
}

fn mentions_token(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    upper.contains("TOKEN") || upper.contains("PASSWORD") || upper.contains("SECRET")
}
