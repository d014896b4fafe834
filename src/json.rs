//! JSON text of IdP request bodies into `serde_json::Value`, strictly: an object that names a member twice — in any
//! letter case, since SCIM attribute names are case-insensitive (RFC 7643 §2.1) — is refused rather than letting
//! one of the values silently win (RFC 8259 §4: names "SHOULD be unique"). Product answers are read with plain
//! `serde_json::from_slice`.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;

/// Parse `bytes` as one JSON value, refusing an object that names a member twice in any letter case.
pub fn from_slice_strict(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The strict reader: serde_json's own `Value`, with each object's names checked as they come.
#[derive(Clone, Copy)]
struct Strict;

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
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

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json refuses non-finite numbers before they get here.
        Ok(Value::from(v))
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

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let mut seen = HashSet::new();
        while let Some(key) = access.next_key::<String>()? {
            if !seen.insert(key.to_lowercase()) {
                return Err(de::Error::custom(format_args!("the member {key:?} is given twice")));
            }
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Arbitrary JSON for property tests.
#[cfg(test)]
pub(crate) mod strategy {
    use proptest::prelude::*;
    use serde_json::Value;

    /// Arbitrary JSON values, nested a few levels.
    pub(crate) fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((".{0,8}", inner), 0..30)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whether any object in `v` names a member twice ignoring case.
    fn has_folded_duplicates(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                let mut seen = HashSet::new();
                m.keys().any(|k| !seen.insert(k.to_lowercase())) || m.values().any(has_folded_duplicates)
            }
            Value::Array(items) => items.iter().any(has_folded_duplicates),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
        }
    }

    proptest! {
        /// The same value, member order included, as serde_json's own parser gives, unless an object names a
        /// member twice in different cases.
        #[test]
        fn parses_as_serde_json_does(value in strategy::any_json()) {
            let text = serde_json::to_vec(&value).expect("serialize");
            let theirs: Value = serde_json::from_slice(&text).expect("parse");
            match from_slice_strict(&text) {
                Ok(strict) => {
                    prop_assert_eq!(serde_json::to_string(&strict).ok(), serde_json::to_string(&theirs).ok());
                }
                Err(e) => {
                    prop_assert!(has_folded_duplicates(&value), "{}", e);
                    prop_assert!(e.to_string().contains("given twice"), "{}", e);
                }
            }
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1} x",
            "nul",
            "{\"a\" 1}",
            "\"\\x\"",
            "1e999",
            "{\"a\":\"\u{0}\"}",
        ] {
            assert!(serde_json::from_slice::<Value>(bad.as_bytes()).is_err());
            assert!(from_slice_strict(bad.as_bytes()).is_err(), "{bad:?} must not parse");
        }
        assert!(from_slice_strict(b"{\"a\":\"\xff\"}").is_err(), "not UTF-8");
    }

    #[test]
    fn a_member_named_twice_in_any_case_is_refused() {
        for text in [
            &br#"{"a":1,"b":2,"a":3}"#[..],
            br#"{"n":{"A":1,"a":2}}"#,
            br#"[{"x":1,"X":1}]"#,
        ] {
            let e = from_slice_strict(text).expect_err("a member twice");
            assert!(e.to_string().contains("given twice"), "{e}");
        }
        let fine = from_slice_strict(br#"{"a":{"a":1},"b":[{"a":2},{"a":3}]}"#).expect("no repeat in one object");
        assert_eq!(fine, serde_json::json!({"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}));
    }
}
