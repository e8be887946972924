//! MongoDB connection strings: validation that never echoes a password, and redaction.

use std::fmt;

use super::uri_options;

/// What is wrong with a MongoDB connection string; never carries the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    /// The string is empty.
    Empty,
    /// Missing or unsupported scheme; `found` holds the scheme when it is safe to show.
    Scheme {
        /// The scheme that was given, if any.
        found: Option<String>,
    },
    /// Nothing (or an empty entry in the host list) where a host belongs.
    EmptyHost,
    /// A host name with characters no host name can have.
    BadHost {
        /// The offending host.
        host: String,
    },
    /// The port is not a number.
    PortNotNumber {
        /// The port text as written.
        port: String,
    },
    /// The port is 0 or above 65535.
    PortOutOfRange {
        /// The port text as written.
        port: String,
    },
    /// `mongodb+srv://` with a port.
    SrvWithPort,
    /// `mongodb+srv://` with more than one host.
    SrvMultipleHosts,
    /// `@` before the credentials end: `user:pw@` with an unescaped character.
    UnescapedCredentials {
        /// The character that must be percent-encoded.
        character: char,
    },
    /// `@` found only after the host list (credentials with `/`, `?` or an `@` in an option).
    AtAfterHosts,
    /// Nothing before `@`.
    EmptyUser,
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
    BadPercentEncoding {
        /// Which part: "user name", "password", "auth database", "option appName".
        part: String,
    },
    /// The auth database in the path is not a valid database name.
    BadAuthDatabase {
        /// Why.
        reason: String,
    },
    /// An option without `=`.
    OptionWithoutEquals {
        /// The option as written (only shown when it looks like an option name).
        option: Option<String>,
    },
    /// `=value` with no option name.
    EmptyOptionName,
    /// A known option with a value it cannot take.
    BadOptionValue {
        /// The option's canonical name.
        option: &'static str,
        /// The value, when the option is not secret.
        value: Option<String>,
        /// What the option accepts.
        expected: &'static str,
    },
    /// `authMechanism` names no mechanism MongoDB knows.
    UnknownAuthMechanism {
        /// The mechanism as written.
        mechanism: String,
        /// The closest valid spelling, if any.
        suggestion: Option<&'static str>,
    },
    /// An option name that looks like a misspelt known option.
    MisspeltOption {
        /// The option as written.
        option: String,
        /// The known option it resembles.
        suggestion: &'static str,
    },
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriError::Empty => write!(f, "the connection string is empty"),
            UriError::Scheme { found: Some(s) } => write!(
                f,
                "scheme \"{s}\" is not supported: the URI must start with mongodb:// or mongodb+srv://"
            ),
            UriError::Scheme { found: None } => {
                write!(
                    f,
                    "missing scheme: the URI must start with mongodb:// or mongodb+srv://"
                )
            }
            UriError::EmptyHost => {
                write!(f, "host is empty (expected e.g. mongodb://localhost:27017)")
            }
            UriError::BadHost { host } => write!(f, "host \"{host}\" is not a valid host name"),
            UriError::PortNotNumber { port } => write!(f, "port \"{port}\" is not a number"),
            UriError::PortOutOfRange { port } => write!(f, "port {port} is out of range (1-65535)"),
            UriError::SrvWithPort => write!(f, "a mongodb+srv:// URI must not name a port"),
            UriError::SrvMultipleHosts => {
                write!(f, "a mongodb+srv:// URI takes exactly one host name")
            }
            UriError::UnescapedCredentials { character } => write!(
                f,
                "the user name or password contains an unescaped \"{character}\"; percent-encode it (\"{}\")",
                percent(*character)
            ),
            UriError::AtAfterHosts => write!(
                f,
                "\"@\" after the host list: if the user name or password contains \"/\" or \"?\", percent-encode it (%2F, %3F); \
                 an \"@\" in an option value must be written %40"
            ),
            UriError::EmptyUser => write!(f, "user name before \"@\" is empty"),
            UriError::BadPercentEncoding { part } => write!(
                f,
                "malformed percent-encoding in the {part} (\"%\" must be followed by two hex digits, e.g. %40 for \"@\")"
            ),
            UriError::BadAuthDatabase { reason } => write!(f, "auth database: {reason}"),
            UriError::OptionWithoutEquals { option: Some(o) } => {
                write!(f, "option \"{o}\" has no \"=\" (expected name=value)")
            }
            UriError::OptionWithoutEquals { option: None } => {
                write!(f, "an option has no \"=\" (expected name=value)")
            }
            UriError::EmptyOptionName => write!(f, "an option has an empty name (\"=value\")"),
            UriError::BadOptionValue {
                option,
                value: Some(v),
                expected,
            } => {
                write!(
                    f,
                    "option {option}: \"{v}\" is not valid, expected {expected}"
                )
            }
            UriError::BadOptionValue {
                option,
                value: None,
                expected,
            } => {
                write!(f, "option {option}: invalid value, expected {expected}")
            }
            UriError::UnknownAuthMechanism {
                mechanism,
                suggestion,
            } => {
                write!(f, "unknown authMechanism \"{mechanism}\"")?;
                match suggestion {
                    Some(s) => write!(f, " — did you mean \"{s}\"?"),
                    None => write!(f, " (known: {})", uri_options::AUTH_MECHANISMS.join(", ")),
                }
            }
            UriError::MisspeltOption { option, suggestion } => {
                write!(
                    f,
                    "unknown option \"{option}\" — did you mean \"{suggestion}\"?"
                )
            }
        }
    }
}

impl std::error::Error for UriError {}

fn percent(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

const SCHEMES: [&str; 2] = ["mongodb://", "mongodb+srv://"];

/// A connection string cut into its parts (no decoding).
struct Parts<'a> {
    srv: bool,
    userinfo: Option<&'a str>,
    hosts: &'a str,
    path: Option<&'a str>,
    query: Option<&'a str>,
}

fn split(uri: &str) -> Result<Parts<'_>, UriError> {
    if uri.trim().is_empty() {
        return Err(UriError::Empty);
    }
    let Some(scheme) = SCHEMES.iter().find(|s| uri.starts_with(**s)) else {
        return Err(UriError::Scheme {
            found: safe_scheme(uri),
        });
    };
    let rest = &uri[scheme.len()..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !authority.contains('@') && tail.contains('@') {
        return Err(UriError::AtAfterHosts);
    }
    let (userinfo, hosts) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (path, query) = match tail.strip_prefix('/') {
        Some(t) => match t.split_once('?') {
            Some((p, q)) => (Some(p), Some(q)),
            None => (Some(t), None),
        },
        None => (None, tail.strip_prefix('?')),
    };
    Ok(Parts {
        srv: *scheme == "mongodb+srv://",
        userinfo,
        hosts,
        path,
        query,
    })
}

/// The scheme of a non-MongoDB URI, only when it looks like a scheme (so no secret).
fn safe_scheme(uri: &str) -> Option<String> {
    let (scheme, _) = uri.split_once("://")?;
    let ok = !scheme.is_empty()
        && scheme.len() <= 20
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then(|| scheme.to_string())
}

/// Checks a MongoDB connection string; the error names the wrong part, never the password.
pub fn validate_mongo_uri(uri: &str) -> Result<(), UriError> {
    let parts = split(uri)?;
    if let Some(userinfo) = parts.userinfo {
        check_userinfo(userinfo)?;
    }
    check_hosts(parts.hosts, parts.srv)?;
    if let Some(path) = parts.path.filter(|p| !p.is_empty()) {
        check_percent(path, "auth database")?;
        let decoded = decode(path, "auth database")?;
        check_database_name(&decoded).map_err(|reason| UriError::BadAuthDatabase { reason })?;
    }
    if let Some(query) = parts.query {
        uri_options::check_query(query)?;
    }
    Ok(())
}

fn check_userinfo(userinfo: &str) -> Result<(), UriError> {
    if userinfo.contains('@') {
        return Err(UriError::UnescapedCredentials { character: '@' });
    }
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    if user.is_empty() {
        return Err(UriError::EmptyUser);
    }
    check_percent(user, "user name")?;
    decode(user, "user name")?;
    if let Some(password) = password {
        if password.contains(':') {
            return Err(UriError::UnescapedCredentials { character: ':' });
        }
        check_percent(password, "password")?;
        decode(password, "password")?;
    }
    Ok(())
}

fn check_hosts(hosts: &str, srv: bool) -> Result<(), UriError> {
    if hosts.is_empty() {
        return Err(UriError::EmptyHost);
    }
    let list: Vec<&str> = hosts.split(',').collect();
    if srv && list.len() > 1 {
        return Err(UriError::SrvMultipleHosts);
    }
    for entry in list {
        let (host, port) = split_host_port(entry)?;
        if host.is_empty() {
            return Err(UriError::EmptyHost);
        }
        if host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"\\{}|^`".contains(c))
        {
            return Err(UriError::BadHost {
                host: host.to_string(),
            });
        }
        if let Some(port) = port {
            if srv {
                return Err(UriError::SrvWithPort);
            }
            if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
                return Err(UriError::PortNotNumber {
                    port: port.to_string(),
                });
            }
            match port.parse::<u32>() {
                Ok(n) if (1..=65535).contains(&n) => {}
                _ => {
                    return Err(UriError::PortOutOfRange {
                        port: port.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// `host:port`, `[::1]:port` or `host`.
fn split_host_port(entry: &str) -> Result<(&str, Option<&str>), UriError> {
    if let Some(v6) = entry.strip_prefix('[') {
        let Some(close) = v6.find(']') else {
            return Err(UriError::BadHost {
                host: entry.to_string(),
            });
        };
        let after = &v6[close + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Ok((&entry[..close + 2], Some(port))),
            None if after.is_empty() => Ok((entry, None)),
            None => Err(UriError::BadHost {
                host: entry.to_string(),
            }),
        };
    }
    Ok(match entry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (entry, None),
    })
}

/// Checks that every `%` starts a `%XX` escape.
pub(crate) fn check_percent(text: &str, part: &str) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(UriError::BadPercentEncoding {
                    part: part.to_string(),
                });
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

pub(crate) fn decode(text: &str, part: &str) -> Result<String, UriError> {
    urlencoding::decode(text)
        .map(|s| s.into_owned())
        .map_err(|_| UriError::BadPercentEncoding {
            part: part.to_string(),
        })
}

/// Checks a MongoDB database name; the error text is the reason.
pub fn check_database_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the database name is empty".into());
    }
    if let Some(c) = name.chars().find(|c| "/\\. \"$\0".contains(*c)) {
        let shown = if c == '\0' {
            "NUL".to_string()
        } else {
            format!("\"{c}\"")
        };
        return Err(format!(
            "database name \"{}\" contains {shown}, which MongoDB does not allow",
            name.escape_debug()
        ));
    }
    if name.len() >= 64 {
        return Err(format!(
            "database name is {} bytes long; MongoDB allows at most 63",
            name.len()
        ));
    }
    Ok(())
}

/// Replaces the password (and password-like options) of a connection string with `***`.
pub fn redact_uri(uri: &str) -> String {
    let (scheme, rest) = match uri.find("://") {
        Some(i) => uri.split_at(i + 3),
        None => ("", uri),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    // The credentials end at the last "@" of the authority. An "@" only after a "/" or "?"
    // means either a password with an unescaped "/" or "?" (when a ":" precedes it: redact
    // up to that "@", over-redacting rather than leaking) or an "@" in an option value.
    let at = rest[..end]
        .rfind('@')
        .or_else(|| rest.rfind('@').filter(|at| rest[..*at].contains(':')));
    let mut out = String::with_capacity(uri.len());
    out.push_str(scheme);
    let after = match at {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    out.push_str(&userinfo[..colon]);
                    out.push_str(":***@");
                }
                None => {
                    out.push_str(userinfo);
                    out.push('@');
                }
            }
            &rest[at + 1..]
        }
        None => rest,
    };
    match after.split_once('?') {
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            out.push_str(&uri_options::redact_query(query));
        }
        None => out.push_str(after),
    }
    out
}

/// Adds `authSource=admin` to a URI with credentials and no authSource, as Scandy does.
///
/// Returns `None` when nothing had to be added.
pub fn with_default_auth_source(uri: &str) -> Option<String> {
    let parts = split(uri).ok()?;
    parts.userinfo?;
    let has_source = parts.query.is_some_and(|q| {
        q.split(['&', ';']).any(|o| {
            o.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("authSource"))
        })
    });
    if has_source {
        return None;
    }
    let mut out = uri.to_string();
    match (parts.path, parts.query) {
        (_, Some(q)) if q.is_empty() || q.ends_with('&') => {}
        (_, Some(_)) => out.push('&'),
        (Some(_), None) => out.push('?'),
        (None, None) => out.push_str("/?"),
    }
    out.push_str("authSource=admin");
    Some(out)
}

/// Host and port of the first host of a URI (port 27017 when not given), for display.
pub fn first_host_port(uri: &str) -> Option<(String, Option<u16>)> {
    let parts = split(uri).ok()?;
    let first = parts.hosts.split(',').next()?;
    let (host, port) = split_host_port(first).ok()?;
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None if parts.srv => None,
        None => Some(27017),
    };
    Some((host.to_string(), port))
}
