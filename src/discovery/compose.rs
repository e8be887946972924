//! A loose, line-based reader for docker compose files: services, container names,
//! published ports and environment entries. No YAML crate: compose files Scandy ships
//! are plain block YAML, and anything this reader does not understand is skipped.

use std::collections::BTreeMap;

/// One published port: `host:container` (host `None` when Docker picks it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// Port on the host, when fixed.
    pub host: Option<u16>,
    /// Port inside the container.
    pub container: Option<u16>,
}

/// One service of a compose file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// The service key under `services:`.
    pub name: String,
    /// `container_name:`, if set.
    pub container_name: Option<String>,
    /// `ports:` entries.
    pub ports: Vec<PortMapping>,
    /// `environment:` entries (map or list form), interpolated.
    pub environment: BTreeMap<String, String>,
}

impl Service {
    /// The name the container runs under: `container_name`, else the service name.
    pub fn container(&self) -> &str {
        self.container_name.as_deref().unwrap_or(&self.name)
    }

    /// The host port published for `container_port`.
    pub fn published(&self, container_port: u16) -> Option<u16> {
        self.ports
            .iter()
            .find(|p| p.container == Some(container_port))
            .and_then(|p| p.host)
    }
}

/// Parses compose text; `vars` (the `.env` next to it) fills `${VAR}` / `${VAR:-default}`.
pub fn parse(text: &str, vars: &BTreeMap<String, String>) -> Vec<Service> {
    let mut services: Vec<Service> = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for raw in text.lines() {
        let indent = raw.len() - raw.trim_start_matches([' ', '\t']).len();
        let content = strip_comment(raw.trim());
        if content.is_empty() || content == "---" {
            continue;
        }
        if let Some(item) = content
            .strip_prefix("- ")
            .or((content == "-").then_some(""))
        {
            while stack.last().is_some_and(|(i, _)| *i > indent) {
                stack.pop();
            }
            let path: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
            on_item(&mut services, &path, item.trim(), vars);
            continue;
        }
        let Some((key, value)) = split_key(content) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let path: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
        on_key(&mut services, &path, &key, value, vars);
        if value.is_empty() {
            stack.push((indent, key));
        }
    }
    services
}

fn current<'a>(services: &'a mut [Service], path: &[&str]) -> Option<&'a mut Service> {
    let name = path.get(1)?;
    services.iter_mut().rev().find(|s| s.name == *name)
}

fn on_key(
    services: &mut Vec<Service>,
    path: &[&str],
    key: &str,
    value: &str,
    vars: &BTreeMap<String, String>,
) {
    match path {
        ["services"] => services.push(Service {
            name: key.to_string(),
            ..Service::default()
        }),
        ["services", _] => {
            let Some(service) = current(services, path) else {
                return;
            };
            match key {
                "container_name" => {
                    service.container_name = Some(interpolate(&unquote(value), vars))
                }
                "ports" if value.starts_with('[') => {
                    for item in value
                        .trim_matches(['[', ']'])
                        .split(',')
                        .filter(|s| !s.trim().is_empty())
                    {
                        service
                            .ports
                            .push(short_port(&interpolate(&unquote(item.trim()), vars)));
                    }
                }
                _ => {}
            }
        }
        ["services", _, "environment"] => {
            if let Some(service) = current(services, path) {
                service
                    .environment
                    .insert(key.to_string(), interpolate(&unquote(value), vars));
            }
        }
        ["services", _, "ports"] => {
            if let Some(service) = current(services, path)
                && let Some(last) = service.ports.last_mut()
            {
                long_port_field(last, key, &interpolate(&unquote(value), vars));
            }
        }
        _ => {}
    }
}

fn on_item(services: &mut [Service], path: &[&str], item: &str, vars: &BTreeMap<String, String>) {
    let Some(service) = current(services, path) else {
        return;
    };
    match path {
        ["services", _, "ports"] => match split_key(item) {
            Some((key, value)) => {
                let mut port = PortMapping {
                    host: None,
                    container: None,
                };
                long_port_field(&mut port, &key, &interpolate(&unquote(value), vars));
                service.ports.push(port);
            }
            None => service
                .ports
                .push(short_port(&interpolate(&unquote(item), vars))),
        },
        ["services", _, "environment"] => {
            let item = unquote(item);
            if let Some((key, value)) = item.split_once('=') {
                service
                    .environment
                    .insert(key.trim().to_string(), interpolate(value, vars));
            }
        }
        _ => {}
    }
}

fn long_port_field(port: &mut PortMapping, key: &str, value: &str) {
    match key {
        "target" => port.container = value.parse().ok(),
        "published" => port.host = value.parse().ok(),
        _ => {}
    }
}

/// `"27018:27017"`, `"127.0.0.1:27018:27017"`, `"27017"`, `"5000:5000/tcp"`.
fn short_port(spec: &str) -> PortMapping {
    let spec = spec.split('/').next().unwrap_or(spec);
    let mut parts = spec.rsplitn(3, ':');
    let container = parts.next().and_then(|p| p.trim().parse().ok());
    let host = parts.next().and_then(|p| p.trim().parse().ok());
    PortMapping { host, container }
}

/// Splits `key: value` (key possibly quoted); `None` for lines that are no mapping entry.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, value) =
        if let Some(quote) = content.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let end = content[1..].find(quote)? + 1;
            let rest = content[end + 1..].trim_start().strip_prefix(':')?;
            (content[1..end].to_string(), rest)
        } else {
            let colon = content
                .find(": ")
                .or_else(|| content.ends_with(':').then(|| content.len() - 1))?;
            let key = content[..colon].trim();
            if key.contains(char::is_whitespace) {
                return None;
            }
            (key.to_string(), &content[colon + 1..])
        };
    (!key.is_empty()).then(|| (key, value.trim()))
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    for quote in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(quote) && v.ends_with(quote) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

/// Drops a ` # comment` that is not inside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (pos, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev_space => return line[..pos].trim_end(),
            None => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// Compose-style `${VAR}`, `${VAR:-default}` and `$VAR` from the `.env` values.
fn interpolate(value: &str, vars: &BTreeMap<String, String>) -> String {
    let expanded = crate::config::dotenv::interpolate(value, vars);
    if !expanded.contains('$') {
        return expanded;
    }
    let mut out = String::with_capacity(expanded.len());
    let mut chars = expanded.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let rest = &expanded[pos + 1..];
        let len = rest
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            out.push('$');
            continue;
        }
        out.push_str(vars.get(&rest[..len]).map(String::as_str).unwrap_or(""));
        for _ in 0..len {
            chars.next();
        }
    }
    out
}
