//! Where in a TOML text a key lives: byte offsets to lines and key paths
//! (`notify.channels[1].format`), for error messages.

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    crate::config::line_col(text, offset).0
}

/// The deepest key path (`notify.channels[1].format`) whose key or value covers `offset`.
pub(super) fn key_at(text: &str, offset: usize) -> Option<String> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut path = String::new();
    let mut found = false;
    walk_table(root.get_ref(), offset, &mut path, &mut found);
    found.then_some(path)
}

fn walk_table(table: &toml::de::DeTable<'_>, offset: usize, path: &mut String, found: &mut bool) {
    for (key, value) in table.iter() {
        let covers = key.span().contains(&offset) || value.span().contains(&offset);
        let nested = match value.get_ref() {
            toml::de::DeValue::Table(_) | toml::de::DeValue::Array(_) => {
                span_covers_children(value.get_ref(), offset)
            }
            _ => false,
        };
        if covers || nested {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key.get_ref());
            *found = true;
            walk_value(value.get_ref(), offset, path, found);
            return;
        }
    }
}

fn walk_value(value: &toml::de::DeValue<'_>, offset: usize, path: &mut String, found: &mut bool) {
    match value {
        toml::de::DeValue::Table(table) => walk_table(table, offset, path, found),
        toml::de::DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span().contains(&offset) || span_covers_children(item.get_ref(), offset) {
                    path.push_str(&format!("[{i}]"));
                    walk_value(item.get_ref(), offset, path, found);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// Whether any key or value below `value` covers `offset` (tables spread over the file).
fn span_covers_children(value: &toml::de::DeValue<'_>, offset: usize) -> bool {
    match value {
        toml::de::DeValue::Table(table) => table.iter().any(|(k, v)| {
            k.span().contains(&offset)
                || v.span().contains(&offset)
                || span_covers_children(v.get_ref(), offset)
        }),
        toml::de::DeValue::Array(items) => items
            .iter()
            .any(|v| v.span().contains(&offset) || span_covers_children(v.get_ref(), offset)),
        _ => false,
    }
}

/// The line of a key path found after deserializing (e.g. a duplicate channel name).
pub(super) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut span = None;
    let mut value: Option<&toml::de::DeValue<'_>> = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if let Some(toml::de::DeValue::Table(inner)) = value {
            table = inner;
        } else if value.is_some() {
            break;
        }
        // A key that is not in the file (a missing one) points at its table.
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref() == name) else {
            break;
        };
        span = Some(k.span());
        value = Some(v.get_ref());
        if let Some(index) = index {
            let toml::de::DeValue::Array(items) = v.get_ref() else {
                break;
            };
            let Some(item) = items.get(index) else {
                break;
            };
            span = Some(item.span());
            value = Some(item.get_ref());
        }
    }
    span.map(|s| line_of(text, s.start))
}
