//! Case-insensitive access to SCIM JSON. RFC 7643 §2.1: "Attribute names are case insensitive", so every lookup
//! of a member by attribute name goes through here; an exact match is preferred.

use serde_json::{Map, Value};

/// The member `name` of an object value.
pub fn get<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    member(value.as_object()?, name)
}

/// The member `name` of a map: an exact match, else the first ignoring case.
pub fn member<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
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
}
