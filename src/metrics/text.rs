//! The Prometheus text exposition format (version 0.0.4): metric families with HELP and
//! TYPE lines, escaped label values, and merging a new set of families into an old file.

use std::fmt::Write as _;

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
        }
    }
}

/// One sample: labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Label names and values (names must match `[a-zA-Z_][a-zA-Z0-9_]*`).
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
}

/// One metric family: name, help text, type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Metric name (`scandyctl_backup_sets`).
    pub name: &'static str,
    /// One-line help text.
    pub help: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Its samples (may be empty: the family is then written with HELP and TYPE only).
    pub samples: Vec<Sample>,
}

impl Family {
    /// An empty gauge family.
    pub fn gauge(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            kind: Kind::Gauge,
            samples: Vec::new(),
        }
    }

    /// Adds a sample with `labels` (the instance labels are added by [`render`]).
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        self.samples.push(Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        });
    }

    /// A gauge with one sample.
    pub fn single(name: &'static str, help: &'static str, value: f64) -> Family {
        let mut family = Family::gauge(name, help);
        family.push(&[], value);
        family
    }
}

/// A label value escaped for the text format (backslash, double quote, newline).
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Renders `families` with `instance` labels (e.g. `host`, `database`) on every sample.
pub fn render(families: &[Family], instance: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for family in families {
        let _ = writeln!(
            out,
            "# HELP {} {}",
            family.name,
            family.help.replace('\n', " ")
        );
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
        for sample in &family.samples {
            let labels: Vec<String> = instance
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain(sample.labels.iter().cloned())
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(&v)))
                .collect();
            let labels = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", labels.join(","))
            };
            let _ = writeln!(
                out,
                "{}{labels} {}",
                family.name,
                format_value(sample.value)
            );
        }
    }
    out
}

/// The metric name a line of a text-format file belongs to.
fn family_of(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("# HELP ")
        .or_else(|| line.strip_prefix("# TYPE "))
        .unwrap_or(line);
    if rest.starts_with('#') || rest.trim().is_empty() {
        return None;
    }
    rest.split(['{', ' ']).next().filter(|n| !n.is_empty())
}

/// `new` (rendered) followed by the families of `old` that `new` does not have: a writer
/// that knows only some metrics (`status` knows no alerts) keeps the others' last values.
pub fn merge(old: &str, new: &str) -> String {
    let fresh: std::collections::BTreeSet<&str> = new.lines().filter_map(family_of).collect();
    let mut out = new.to_string();
    for line in old.lines() {
        if let Some(name) = family_of(line)
            && !fresh.contains(name)
            && name.starts_with("scandyctl_")
        {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_type_and_escaped_labels() {
        let mut family = Family::gauge("scandyctl_backup_sets", "Backup sets by type.");
        family.push(&[("type", "full")], 3.0);
        let text = render(&[family], &[("host", "werk\"statt\\1")]);
        assert_eq!(
            text,
            "# HELP scandyctl_backup_sets Backup sets by type.\n\
             # TYPE scandyctl_backup_sets gauge\n\
             scandyctl_backup_sets{host=\"werk\\\"statt\\\\1\",type=\"full\"} 3\n"
        );
        assert_eq!(format_value(1.5), "1.5");
    }

    #[test]
    fn merge_keeps_families_the_new_text_lacks() {
        let old = render(
            &[
                Family::single("scandyctl_mongodb_up", "MongoDB answers.", 1.0),
                Family::single("scandyctl_backup_sets", "Sets.", 1.0),
            ],
            &[],
        );
        let new = render(
            &[Family::single("scandyctl_backup_sets", "Sets.", 2.0)],
            &[],
        );
        let merged = merge(&old, &new);
        assert!(merged.contains("scandyctl_backup_sets 2\n"), "{merged}");
        assert!(!merged.contains("scandyctl_backup_sets 1\n"), "{merged}");
        assert!(merged.contains("scandyctl_mongodb_up 1\n"), "{merged}");
        assert_eq!(merged.matches("# HELP").count(), 2);
    }
}
