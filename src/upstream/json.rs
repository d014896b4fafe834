//! Parsing product answers into `serde_json::Value` with each object's map sized up front.
//!
//! serde_json's own `Value` visitor starts every object empty, so a product user of twenty members grows its
//! map (an `IndexMap`, for the `preserve_order` feature) four times, re-indexing and moving what it held each
//! time. Objects here start with room for [`OBJECT_ROOM`] members; the value parsed is the same.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Members an object has room for before it grows: a product user or team fits.
const OBJECT_ROOM: usize = 24;

/// Parse `bytes` as one JSON value. The text is checked to be UTF-8 once, as a whole, which costs less than
/// serde_json's check of each string from a byte slice.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| serde::de::Error::custom(format_args!("the body is not UTF-8 (at byte {})", e.valid_up_to())))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Sized.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A `Value` whose objects are allocated with room for their members.
#[derive(Clone, Copy)]
struct Sized;

impl<'de> DeserializeSeed<'de> for Sized {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Sized {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands a non-finite float to a visitor; the fallback keeps this total.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
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

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(OBJECT_ROOM));
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same value, member order included, as serde_json's own parser gives.
        #[test]
        fn parses_as_serde_json_does(value in crate::scim::json::strategy::any_json()) {
            let text = serde_json::to_vec(&value).expect("serialize");
            let ours = from_slice(&text).expect("parse");
            let theirs: Value = serde_json::from_slice(&text).expect("parse");
            prop_assert_eq!(serde_json::to_string(&ours).ok(), serde_json::to_string(&theirs).ok());
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn rejects_a_body_that_is_not_utf8() {
        let e = from_slice(b"{\"a\":\"\xff\"}").expect_err("invalid UTF-8");
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in ["", "{", "[1,]", "{\"a\":1} x", "nul", "{\"a\" 1}", "\"\\x\""] {
            assert!(from_slice(bad.as_bytes()).is_err(), "{bad:?} must not parse");
            assert!(serde_json::from_slice::<Value>(bad.as_bytes()).is_err());
        }
    }

    #[test]
    fn duplicate_members_keep_the_last_value_as_serde_json_does() {
        let text = br#"{"a":1,"b":2,"a":3}"#;
        let theirs: Value = serde_json::from_slice(text).expect("parse");
        assert_eq!(from_slice(text).expect("parse"), theirs);
    }
}
