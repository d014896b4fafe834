//! Load errors in the config's own terms: the key as written in the file (`tenants[0].upstream.timeout_ms`),
//! without figment's internal profile name, and a "did you mean" for a misspelt key.

use figment::error::Kind;

/// Every error of a failed load, one per line.
pub fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| one(&e))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one(e: &figment::Error) -> String {
    let source = e
        .metadata
        .as_ref()
        .and_then(|m| m.source.as_ref())
        .map(|s| format!(" (in {s})"))
        .unwrap_or_default();
    match &e.kind {
        Kind::UnknownField(found, known) => {
            // The path ends with the unknown key itself; its table is what comes before.
            let table = match e.path.split_last() {
                Some((last, table)) if last == found => table,
                _ => e.path.as_slice(),
            };
            let at = if table.is_empty() {
                "the top level".to_owned()
            } else {
                key(table)
            };
            let hint = suggestion(found, known).map_or_else(|| ".".to_owned(), |k| format!("; did you mean `{k}`?"));
            format!(
                "{}{source}: unknown key{hint} The keys of {at} are: {}",
                key(&e.path),
                known.join(", ")
            )
        }
        kind if e.path.is_empty() => format!("{kind}{source}"),
        kind => format!("{}{source}: {kind}", key(&e.path)),
    }
}

/// `tenants[0].upstream.auth`: array positions in brackets, as the validation errors write them.
fn key(path: &[String]) -> String {
    let mut out = String::new();
    for part in path {
        if part.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// The known key closest to `found`, within two edits (case aside).
fn suggestion<'k>(found: &str, known: &[&'k str]) -> Option<&'k str> {
    let found = found.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&found, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested_and_far_ones_are_not() {
        let known = ["max_body_bytes", "max_page_size", "scan_limit"];
        assert_eq!(suggestion("max_body_byte", &known), Some("max_body_bytes"));
        assert_eq!(suggestion("Scan_Limt", &known), Some("scan_limit"));
        assert_eq!(suggestion("listen_port", &known), None);
    }

    #[test]
    fn keys_are_written_as_in_the_file() {
        let path: Vec<String> = ["tenants", "0", "upstream", "auth"].map(String::from).into();
        assert_eq!(key(&path), "tenants[0].upstream.auth");
    }
}
