//! The monthly security audit's MongoDB exposure item: is MongoDB reachable beyond
//! loopback without authentication? Read from `mongod.conf` (`net.bindIp`, `bindIpAll`,
//! `security.authorization`) on a native install, from the compose file publishing port
//! 27017 on a docker install, plus whether the connection string carries credentials.

use std::path::Path;

use super::model::{ItemResult, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::unknown;
use crate::config::Config;

/// Compose files looked for in the install directory, in this order.
const COMPOSE_FILES: &[&str] = &[
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];

/// What `mongod.conf` says about the network and authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MongodConf {
    /// `net.bindIp` split at commas (empty when not set: MongoDB then binds to localhost).
    pub bind_ips: Vec<String>,
    /// `net.bindIpAll: true`.
    pub bind_ip_all: bool,
    /// `security.authorization` (`Some(true)` for `enabled`).
    pub authorization: Option<bool>,
    /// `security.keyFile` is set (it implies authorization).
    pub key_file: bool,
}

impl MongodConf {
    /// Whether mongod listens on an address beyond loopback.
    pub fn beyond_loopback(&self) -> bool {
        self.bind_ip_all || self.bind_ips.iter().any(|ip| !is_loopback(ip))
    }

    /// Whether clients must authenticate.
    pub fn auth_on(&self) -> bool {
        self.authorization == Some(true) || self.key_file
    }
}

/// Whether a bind address stays on this machine (loopback or a unix socket).
pub fn is_loopback(address: &str) -> bool {
    let a = address.trim().trim_start_matches('[').trim_end_matches(']');
    a == "localhost" || a == "::1" || a.starts_with("127.") || a.starts_with('/')
}

/// Reads `mongod.conf`: the YAML form (`net:` / `bindIp:` nested by indentation) and the
/// old `key = value` form (`bind_ip`, `auth`).
pub fn parse_mongod_conf(text: &str) -> MongodConf {
    let mut conf = MongodConf::default();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for raw in text.lines() {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let line = line.trim();
        let (key, value) = match (line.split_once(':'), line.split_once('=')) {
            (Some((k, v)), _) if !k.contains('=') => (k.trim(), v.trim()),
            (_, Some((k, v))) => (k.trim(), v.trim()),
            _ => continue,
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let path: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).chain([key]).collect();
        let path = path.join(".");
        let value = unquote(value);
        match path.as_str() {
            "net.bindIp" | "bind_ip" => {
                conf.bind_ips = value
                    .split(',')
                    .map(|s| unquote(s.trim()).to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "net.bindIpAll" | "bind_ip_all" => conf.bind_ip_all = value == "true",
            "security.authorization" => conf.authorization = Some(value == "enabled"),
            "auth" => conf.authorization = Some(value == "true"),
            "noauth" if value == "true" => conf.authorization = Some(false),
            "security.keyFile" | "keyFile" => conf.key_file = !value.is_empty(),
            _ => {}
        }
        if value.is_empty() {
            stack.push((indent, key.to_string()));
        }
    }
    conf
}

/// The line without a `#` comment (a `#` inside quotes stays).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('#', None) => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The value without surrounding quotes (and without `[ ]` around a flow list).
fn unquote(value: &str) -> &str {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(v);
    v.trim_matches(|c| c == '"' || c == '\'')
}

/// One published port of a compose file that maps to container port 27017.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMongo {
    /// The entry as written (short syntax) or `target: 27017` (long syntax).
    pub entry: String,
    /// The host address it is published on (`None`: every address).
    pub host_ip: Option<String>,
}

/// The `ports:` entries of a compose file that publish container port 27017.
pub fn published_mongo_ports(text: &str) -> Vec<PublishedMongo> {
    let mut out = Vec::new();
    let mut ports_indent: Option<usize> = None;
    let mut long: Option<(bool, Option<String>)> = None;
    let flush = |long: &mut Option<(bool, Option<String>)>, out: &mut Vec<PublishedMongo>| {
        if let Some((true, host_ip)) = long.take() {
            out.push(PublishedMongo {
                entry: "target: 27017".to_string(),
                host_ip,
            });
        }
    };
    for raw in text.lines() {
        let line = strip_comment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if let Some(start) = ports_indent
            && ((indent <= start && !trimmed.starts_with('-')) || indent < start)
        {
            flush(&mut long, &mut out);
            ports_indent = None;
        }
        if trimmed == "ports:" {
            ports_indent = Some(indent);
            continue;
        }
        if ports_indent.is_none() {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix('-') {
            flush(&mut long, &mut out);
            let item = item.trim();
            if let Some((key, value)) = item.split_once(':').filter(|(k, _)| is_long_key(k)) {
                long = Some((false, None));
                long_field(&mut long, key, value);
                continue;
            }
            let entry = unquote(item).to_string();
            if let Some(host_ip) = short_syntax_mongo(&entry) {
                out.push(PublishedMongo { entry, host_ip });
            }
        } else if let Some((key, value)) = trimmed.split_once(':') {
            long_field(&mut long, key, value);
        }
    }
    flush(&mut long, &mut out);
    out
}

/// Whether `key` is a field of the long port syntax.
fn is_long_key(key: &str) -> bool {
    matches!(
        key.trim(),
        "target" | "published" | "host_ip" | "protocol" | "mode" | "name" | "app_protocol"
    )
}

/// Notes one field of a long-syntax port entry.
fn long_field(long: &mut Option<(bool, Option<String>)>, key: &str, value: &str) {
    let Some((is_mongo, host_ip)) = long.as_mut() else {
        return;
    };
    let value = unquote(value).to_string();
    match key.trim() {
        "target" => *is_mongo = value == "27017",
        "host_ip" => *host_ip = Some(value).filter(|v| v != "0.0.0.0" && v != "::"),
        _ => {}
    }
}

/// For a short-syntax entry (`[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`) that maps to
/// 27017: `Some(host_ip)` (`None` inside: every address).
fn short_syntax_mongo(entry: &str) -> Option<Option<String>> {
    let entry = entry.split('/').next().unwrap_or(entry);
    let (rest, container) = match entry.rsplit_once(':') {
        Some((rest, container)) => (Some(rest), container),
        None => (None, entry),
    };
    if container.trim() != "27017" {
        return None;
    }
    let host_ip = rest
        .and_then(|r| r.rsplit_once(':'))
        .map(|(ip, _)| ip.trim_start_matches('[').trim_end_matches(']').to_string())
        .filter(|ip| !ip.is_empty() && ip != "0.0.0.0" && ip != "::");
    Some(host_ip)
}

/// Whether a connection string carries a user name.
pub fn uri_has_credentials(uri: &str) -> bool {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority.contains('@')
}

/// The MongoDB exposure item.
pub fn mongo_exposure_item(ctx: &CheckContext, id: &str) -> ItemRun {
    mongo_exposure_result(id, &ctx.config, &ctx.settings.mongod_conf).into()
}

/// The MongoDB exposure item's result: failed when MongoDB is reachable beyond loopback
/// without authentication (from `mongod_conf`, or for docker installs the compose file).
pub fn mongo_exposure_result(id: &str, config: &Config, mongod_conf: &Path) -> ItemResult {
    let uri = &config.mongo.uri;
    let credentials = uri_has_credentials(uri);
    let uri_line = format!(
        "connection string {} ({})",
        crate::config::redact_uri(uri),
        if credentials {
            "with credentials"
        } else {
            "no credentials"
        }
    );
    let docker = matches!(
        config.scandy.kind.as_str(),
        "docker-compose" | "multi-instance"
    );
    let conf = if docker {
        None
    } else {
        match std::fs::read_to_string(mongod_conf) {
            Ok(text) => Some(parse_mongod_conf(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return unknown(
                    id,
                    format!(
                        "could not check: cannot read {}: {e}",
                        mongod_conf.display()
                    ),
                )
                .with(uri_line);
            }
        }
    };
    if let Some(conf) = conf {
        return conf_result(id, &conf, mongod_conf).with(uri_line);
    }
    let compose = COMPOSE_FILES
        .iter()
        .map(|name| config.scandy.root.join(name))
        .find_map(|path| std::fs::read_to_string(&path).ok().map(|text| (path, text)));
    if let Some((path, text)) = compose {
        return compose_result(id, &path, &text).with(uri_line);
    }
    let host = crate::config::first_host_port(uri);
    let remote = host.as_ref().is_some_and(|(h, _)| !is_loopback(h));
    let shown_host = host
        .map(|(h, p)| p.map_or(h.clone(), |p| format!("{h}:{p}")))
        .unwrap_or_default();
    let (severity, summary) = if remote && !credentials {
        (
            Severity::Warning,
            format!(
                "Scandy reaches MongoDB at {shown_host} over the network without credentials; \
                 its configuration is not on this machine"
            ),
        )
    } else {
        (
            Severity::Info,
            format!(
                "no {} and no compose file here: how MongoDB is bound cannot be seen",
                mongod_conf.display()
            ),
        )
    };
    ItemResult::new(id, severity, summary).with(uri_line)
}

/// The verdict from `mongod.conf`.
fn conf_result(id: &str, conf: &MongodConf, path: &Path) -> ItemResult {
    let bind = if conf.bind_ip_all {
        "net.bindIpAll: true (every address)".to_string()
    } else if conf.bind_ips.is_empty() {
        "net.bindIp not set (localhost only)".to_string()
    } else {
        format!("net.bindIp: {}", conf.bind_ips.join(","))
    };
    let auth = match (conf.authorization, conf.key_file) {
        (Some(true), _) => "security.authorization: enabled".to_string(),
        (_, true) => "security.keyFile set (authorization on)".to_string(),
        (Some(false), _) => "security.authorization: disabled".to_string(),
        (None, false) => "security.authorization not set (no authentication)".to_string(),
    };
    let (severity, summary) = match (conf.beyond_loopback(), conf.auth_on()) {
        (true, false) => (
            Severity::Failed,
            "mongod listens beyond loopback without authentication: anyone on the network can read and change Scandy's data".to_string(),
        ),
        (true, true) => (
            Severity::Info,
            "mongod listens beyond loopback, with authentication on".to_string(),
        ),
        (false, _) => (Severity::Ok, "mongod listens on loopback only".to_string()),
    };
    ItemResult::new(id, severity, summary)
        .with(format!("{}: {bind}", path.display()))
        .with(format!("{}: {auth}", path.display()))
}

/// The verdict from a compose file: 27017 published on every address without a root user
/// is failed, with one a warning.
fn compose_result(id: &str, path: &Path, text: &str) -> ItemResult {
    let published = published_mongo_ports(text);
    let auth = text.contains("MONGO_INITDB_ROOT_USERNAME") || text.contains("--auth");
    let open: Vec<&PublishedMongo> = published
        .iter()
        .filter(|p| p.host_ip.as_deref().is_none_or(|ip| !is_loopback(ip)))
        .collect();
    let mut lines: Vec<String> = published
        .iter()
        .map(|p| {
            format!(
                "{}: ports {} ({})",
                path.display(),
                p.entry,
                p.host_ip
                    .as_deref()
                    .map_or("published on every address".to_string(), |ip| format!(
                        "published on {ip}"
                    ))
            )
        })
        .collect();
    if published.is_empty() {
        lines.push(format!("{}: port 27017 not published", path.display()));
    }
    lines.push(format!(
        "{}: {}",
        path.display(),
        if auth {
            "MongoDB root user set (authentication on)"
        } else {
            "no MONGO_INITDB_ROOT_USERNAME (no authentication)"
        }
    ));
    let (severity, summary) = match (open.is_empty(), auth) {
        (true, _) => (Severity::Ok, "MongoDB's port 27017 is not published beyond loopback".to_string()),
        (false, false) => (
            Severity::Failed,
            "MongoDB's port 27017 is published beyond loopback without authentication".to_string(),
        ),
        (false, true) => (
            Severity::Warning,
            "MongoDB's port 27017 is published beyond loopback (authentication on): publish it on 127.0.0.1 only".to_string(),
        ),
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_old_style_mongod_conf() {
        let yaml = "# mongod.conf\nstorage:\n  dbPath: /var/lib/mongodb\nnet:\n  port: 27017\n  bindIp: \"127.0.0.1,10.0.0.5\"  # LAN\nsecurity:\n  authorization: enabled\n";
        let conf = parse_mongod_conf(yaml);
        assert_eq!(conf.bind_ips, vec!["127.0.0.1", "10.0.0.5"]);
        assert!(conf.beyond_loopback() && conf.auth_on());
        let old = "bind_ip = 127.0.0.1\nauth = false\n";
        let conf = parse_mongod_conf(old);
        assert!(!conf.beyond_loopback() && !conf.auth_on());
        assert!(!parse_mongod_conf("storage:\n  dbPath: /x\n").beyond_loopback());
        assert!(parse_mongod_conf("net:\n  bindIpAll: true\n").beyond_loopback());
    }

    #[test]
    fn compose_ports_short_and_long() {
        let text = "services:\n  mongo:\n    image: mongo:7\n    ports:\n      - \"127.0.0.1:27017:27017\"\n      - 27018:27017\n      - \"5000:5000\"\n  other:\n    ports:\n      - target: 27017\n        published: 27020\n        host_ip: 192.168.1.5\n    environment:\n      A: b\n";
        let ports = published_mongo_ports(text);
        assert_eq!(
            ports,
            vec![
                PublishedMongo {
                    entry: "127.0.0.1:27017:27017".into(),
                    host_ip: Some("127.0.0.1".into())
                },
                PublishedMongo {
                    entry: "27018:27017".into(),
                    host_ip: None
                },
                PublishedMongo {
                    entry: "target: 27017".into(),
                    host_ip: Some("192.168.1.5".into())
                },
            ]
        );
    }

    #[test]
    fn credentials_are_seen_in_the_authority_only() {
        assert!(uri_has_credentials("mongodb://admin:pw@db:27017/scandy"));
        assert!(!uri_has_credentials(
            "mongodb://localhost:27017/scandy?appName=a@b"
        ));
    }
}
