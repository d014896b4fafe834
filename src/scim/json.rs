//! Case-insensitive access to SCIM JSON. RFC 7643 §2.1: "Attribute names are case insensitive", so every lookup
//! of a member by attribute name goes through here; an exact match is preferred.

use serde_json::{Map, Value};

/// The member `name` of an object value.
pub fn get<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    member(value.as_object()?, name)
}

/// Maps of up to this many members are searched by comparing keys in order rather than through the map's index:
/// a resource or product object has a few dozen members at most, and a scan that compares lengths first costs a
/// fraction of hashing the key with SipHash (`serde_json`'s ordered map).
const SCAN_UP_TO: usize = 32;

/// The member `name` of a map.
pub fn member<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    if map.len() > SCAN_UP_TO {
        return map
            .get(name)
            .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v));
    }
    // One pass: an exact match wins wherever it stands, else the first match ignoring case.
    let mut folded = None;
    for (key, value) in map {
        if key == name {
            return Some(value);
        }
        if folded.is_none() && key.eq_ignore_ascii_case(name) {
            folded = Some(value);
        }
    }
    folded
}

/// The member whose key is exactly `key` (case-sensitive, as in a product's own JSON).
pub fn exact<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() > SCAN_UP_TO {
        return map.get(key);
    }
    map.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

/// The member whose key is exactly `key`, inserted from `make` when there is none; the key is copied only then.
/// Always `Some`.
pub fn slot<'m>(map: &'m mut Map<String, Value>, key: &str, make: impl FnOnce() -> Value) -> Option<&'m mut Value> {
    if map.len() > SCAN_UP_TO {
        return Some(map.entry(key.to_owned()).or_insert_with(make));
    }
    let index = match map.keys().position(|k| k == key) {
        Some(index) => index,
        None => {
            // A new key goes last in the ordered map.
            map.insert(key.to_owned(), make());
            map.len() - 1
        }
    };
    map.values_mut().nth(index)
}

/// The key under which `name` is stored in `map`, or `name` itself when absent (so writes keep the existing case).
pub fn key_of(map: &Map<String, Value>, name: &str) -> String {
    if map.contains_key(name) {
        return name.to_owned();
    }
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_ignore_case_and_prefer_exact() {
        let v = json!({"userName": 1, "USERNAME": 2, "Title": 3});
        assert_eq!(get(&v, "userName"), Some(&json!(1)));
        assert_eq!(get(&v, "title"), Some(&json!(3)));
        assert_eq!(get(&v, "nope"), None);
        assert_eq!(get(&json!([1]), "x"), None);
        let m = v.as_object().unwrap();
        assert_eq!(key_of(m, "TITLE"), "Title");
        assert_eq!(key_of(m, "new"), "new");
    }

    #[test]
    fn small_and_large_maps_answer_alike() {
        for size in [0, 3, SCAN_UP_TO, SCAN_UP_TO + 1, 3 * SCAN_UP_TO] {
            let mut m: Map<String, Value> = (0..size).map(|i| (format!("k{i}"), json!(i))).collect();
            m.insert("Name".into(), json!("folded"));
            m.insert("other".into(), json!(0));
            assert_eq!(member(&m, "name"), Some(&json!("folded")), "{size}");
            assert_eq!(exact(&m, "name"), None, "{size}");
            m.insert("name".into(), json!("exact"));
            assert_eq!(member(&m, "name"), Some(&json!("exact")), "{size}");
            assert_eq!(exact(&m, "Name"), Some(&json!("folded")), "{size}");
            assert_eq!(member(&m, "missing"), None, "{size}");
            if size > 0 {
                assert_eq!(exact(&m, "k0"), Some(&json!(0)), "{size}");
            }
            // `slot` finds what is there and appends what is not, without disturbing the order.
            *slot(&mut m, "other", || json!("new")).expect("found") = json!(1);
            assert_eq!(m["other"], json!(1));
            *slot(&mut m, "added", || json!([])).expect("inserted") = json!(2);
            assert_eq!(m.keys().next_back().map(String::as_str), Some("added"), "{size}");
            assert_eq!(m["added"], json!(2));
            assert_eq!(m.len(), size + 4);
        }
    }
}
