//! Reading a request body as JSON, strictly: nesting is bounded before parsing, and an object that names a
//! member twice — in any letter case, since SCIM attribute names are case-insensitive (RFC 7643 §2.1) — is
//! refused rather than letting one of the values silently win (RFC 8259 §4: names "SHOULD be unique").

use crate::scim::{Error, ScimType};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::collections::HashSet;
use std::fmt;

/// Parse `bytes` as one JSON value nested at most `max_depth` arrays and objects deep.
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Value, Error> {
    let depth = depth(bytes);
    if depth > max_depth {
        return Err(Error::bad_request(
            ScimType::InvalidSyntax,
            format!("the body nests {depth} levels deep; at most {max_depth} are accepted"),
        ));
    }
    serde_json::from_slice::<Strict>(bytes)
        .map(|s| s.0)
        .map_err(|e| Error::bad_request(ScimType::InvalidSyntax, format!("the body is not valid JSON: {e}")))
}

/// The deepest nesting of arrays and objects, counting brackets outside strings (the text need not be valid).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// A JSON value whose objects name each member once.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.to_lowercase()) {
                return Err(de::Error::custom(format!("the member {key:?} is given twice")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ordinary_bodies() {
        let v = parse(
            br#"{"userName": "a", "emails": [{"value": "x", "primary": true}], "n": 1.5}"#,
            8,
        )
        .unwrap();
        assert_eq!(v["emails"][0]["primary"], true);
    }

    #[test]
    fn duplicate_members_in_any_case_are_refused() {
        for body in [
            &br#"{"userName": "a", "userName": "b"}"#[..],
            br#"{"userName": "a", "USERNAME": "b"}"#,
            br#"{"name": {"givenName": "a", "givenname": "b"}}"#,
        ] {
            let e = parse(body, 8).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
            assert!(e.detail.contains("twice"), "{}", e.detail);
        }
    }

    #[test]
    fn nesting_is_bounded_before_parsing_and_brackets_in_strings_do_not_count() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let e = parse(deep.as_bytes(), 64).unwrap_err();
        assert!(e.detail.contains("100 levels"), "{}", e.detail);
        assert!(parse(br#"{"a": "[[[[[[[[[[[[[[[[\"[[["}"#, 2).is_ok());
        assert_eq!(depth(br#"{"a": {"b": [1, {"c": "}}}"}]}}"#), 4);
    }

    #[test]
    fn malformed_text_invalid_utf8_and_huge_numbers_are_invalid_syntax() {
        for body in [&b"{"[..], b"\xff\xfe", b"{\"a\": 1e999}", b"{\"a\": \"\xff\"}"] {
            let e = parse(body, 8).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{body:?}");
        }
    }
}
