//! JSON text into `serde_json::Value`, by one visitor with two policies: product answers parse leniently into
//! maps sized up front; IdP request bodies parse strictly, refusing a member named twice.
//!
//! serde_json's own `Value` visitor starts every object empty, so a product user of twenty members grows its map
//! (an `IndexMap`, for the `preserve_order` feature) four times, re-indexing and moving what it held each time.
//! Product objects here start with room for [`OBJECT_ROOM`] members; the value parsed is the same. Request bodies
//! refuse an object that names a member twice, in any letter case since SCIM attribute names are case-insensitive
//! (RFC 7643 §2.1), rather than letting one of the values silently win (RFC 8259 §4: names "SHOULD be unique").

use crate::scim::doc::{Doc, Members};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Members an object has room for before it grows: a product user or team fits.
const OBJECT_ROOM: usize = 24;

/// How a text is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// A product's answer: objects sized for [`OBJECT_ROOM`] members; a repeated member keeps the last value.
    Lenient,
    /// An IdP's request: objects start empty; a member named twice (in any case) is an error.
    Strict,
}

/// Parse `bytes` as one JSON value. The text is checked to be UTF-8 once, as a whole, which costs less than
/// serde_json's check of each string from a byte slice.
pub fn from_slice(bytes: &[u8], policy: Policy) -> serde_json::Result<Value> {
    parse(bytes, policy)
}

/// The whole of `bytes`, checked to be UTF-8 once, read by `seed`.
fn parse<'t, S: DeserializeSeed<'t>>(bytes: &'t [u8], seed: S) -> serde_json::Result<S::Value> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| de::Error::custom(format_args!("the body is not UTF-8 (at byte {})", e.valid_up_to())))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The bytes JSON takes as they are inside a string: all but quote, backslash and control characters (RFC 8259
/// §7). A table, as a byte's test is then one load; the tests' oracle for [`is_plain`].
#[cfg(test)]
pub(crate) static PLAIN: [bool; 256] = {
    let mut plain = [true; 256];
    let mut control = 0;
    while control < 0x20 {
        plain[control] = false;
        control += 1;
    }
    plain[b'"' as usize] = false;
    plain[b'\\' as usize] = false;
    plain
};

/// Whether `bytes` has nothing to escape. Whole sixteen-byte chunks are checked without a branch per byte, which
/// the compiler turns into vector compares; the rest (and a short string, such as a field name or a log value)
/// eight bytes at a time in a machine word, the last word overlapping the one before or padded with spaces.
pub(crate) fn is_plain(bytes: &[u8]) -> bool {
    const LANES: usize = 16;
    let mut chunks = bytes.chunks_exact(LANES);
    for chunk in &mut chunks {
        let escaped = chunk
            .iter()
            .fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\'));
        if escaped {
            return false;
        }
    }
    let rest = chunks.remainder().len();
    let len = bytes.len();
    match (rest, len) {
        (0, _) => true,
        // Fewer than eight bytes in all.
        (_, ..8) => {
            let mut word = [b' '; 8];
            word[..len].copy_from_slice(bytes);
            word_is_plain(word)
        }
        // The last `rest` bytes are covered by the last eight and, past eight, the eight before them (the first
        // eight of a string shorter than sixteen).
        _ => {
            let last = word_at(bytes, len - 8);
            let before = if rest > 8 {
                word_at(bytes, len.saturating_sub(16))
            } else {
                [b' '; 8]
            };
            word_is_plain(last) && word_is_plain(before)
        }
    }
}

/// The eight bytes of `bytes` from `at` (`at + 8 <= bytes.len()`).
fn word_at(bytes: &[u8], at: usize) -> [u8; 8] {
    let mut word = [b' '; 8];
    if let Some(from) = bytes.get(at..at + 8) {
        word.copy_from_slice(from);
    }
    word
}

/// Whether no byte of `word` is a control character, quote or backslash: the zero-byte test of "Bit Twiddling
/// Hacks" (`(x - 0x01…) & !x & 0x80…` is non-zero exactly when a byte of `x` is below 1, and with `0x20…` below
/// 0x20), applied to the word and to the word with quote and backslash turned into zero bytes.
fn word_is_plain(word: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let word = u64::from_ne_bytes(word);
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) & HIGH == 0
}

impl<'de> DeserializeSeed<'de> for Policy {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Policy {
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

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json refuses out-of-range numbers itself; this keeps the visitor total.
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
        let room = match self {
            Policy::Lenient => OBJECT_ROOM,
            Policy::Strict => 0,
        };
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(room));
        let mut seen = HashSet::new();
        while let Some(key) = access.next_key::<String>()? {
            if self == Policy::Strict && !seen.insert(key.to_lowercase()) {
                return Err(de::Error::custom(format_args!("the member {key:?} is given twice")));
            }
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Parse `bytes` as one JSON value into a [`Doc`] whose member names are borrowed from the text (unless they
/// hold escapes), with objects as plain lists: no name is copied or hashed. The value is the one
/// [`from_slice`] gives leniently: a repeated member keeps its first place and its last value.
pub fn doc_from_slice(bytes: &[u8]) -> serde_json::Result<Doc<'_>> {
    parse(bytes, DocSeed)
}

/// Objects of more members than this find a repeated name through an index rather than by comparing names.
const SCAN_UP_TO: usize = 32;

#[derive(Clone, Copy)]
struct DocSeed;

impl<'de> DeserializeSeed<'de> for DocSeed {
    type Value = Doc<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Doc<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Doc<'de>, E> {
        Ok(Doc::Num(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Doc<'de>, E> {
        Policy::Lenient.visit_f64(v).map(Doc::owned)
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Doc<'de>, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Doc<'de>, A::Error> {
        let mut members: Members<'de> = Vec::with_capacity(access.size_hint().unwrap_or(OBJECT_ROOM));
        let mut index: Option<HashMap<Cow<'de, str>, usize>> = None;
        while let Some(key) = access.next_key_seed(NameSeed)? {
            let value = access.next_value_seed(self)?;
            if members.len() == SCAN_UP_TO && index.is_none() {
                index = Some(members.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect());
            }
            let at = match &index {
                Some(index) => index.get(&key).copied(),
                None => members.iter().position(|(k, _)| *k == key),
            };
            match at {
                Some(i) => members[i].1 = value,
                None => {
                    if let Some(index) = &mut index {
                        index.insert(key.clone(), members.len());
                    }
                    members.push((key, value));
                }
            }
        }
        Ok(Doc::Object(members))
    }
}

/// A member name, borrowed from the text when it holds no escape.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Arbitrary JSON for property tests.
#[cfg(test)]
pub(crate) mod strategy {
    use proptest::prelude::*;
    use serde_json::Value;

    /// JSON values nested a few levels, member names and strings drawn from pools (so that the paths a test reads
    /// meet them), numbers from `numbers`.
    pub(crate) fn pooled_json(
        names: &'static [&'static str],
        texts: &'static [&'static str],
        numbers: impl Strategy<Value = Value> + 'static,
    ) -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            numbers,
            prop::sample::select(texts).prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(names), inner), 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
            ]
        })
    }

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
        /// The same value, member order included, as serde_json's own parser gives; strictly, unless an object
        /// names a member twice in different cases.
        #[test]
        fn parses_as_serde_json_does(value in strategy::any_json()) {
            let text = serde_json::to_vec(&value).expect("serialize");
            let theirs: Value = serde_json::from_slice(&text).expect("parse");
            let ours = from_slice(&text, Policy::Lenient).expect("parse");
            prop_assert_eq!(serde_json::to_string(&ours).ok(), serde_json::to_string(&theirs).ok());
            prop_assert_eq!(&ours, &theirs);
            let doc = doc_from_slice(&text).expect("parse");
            prop_assert_eq!(serde_json::to_string(&doc.into_value()).ok(), serde_json::to_string(&theirs).ok());
            match from_slice(&text, Policy::Strict) {
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
    fn rejects_a_body_that_is_not_utf8() {
        for policy in [Policy::Lenient, Policy::Strict] {
            let e = from_slice(b"{\"a\":\"\xff\"}", policy).expect_err("invalid UTF-8");
            assert!(e.to_string().contains("not UTF-8"), "{e}");
        }
        let e = doc_from_slice(b"{\"a\":\"\xff\"}").expect_err("invalid UTF-8");
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in ["", "{", "[1,]", "{\"a\":1} x", "nul", "{\"a\" 1}", "\"\\x\"", "1e999"] {
            assert!(serde_json::from_slice::<Value>(bad.as_bytes()).is_err());
            for policy in [Policy::Lenient, Policy::Strict] {
                assert!(from_slice(bad.as_bytes(), policy).is_err(), "{bad:?} must not parse");
            }
            assert!(doc_from_slice(bad.as_bytes()).is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn duplicate_members_keep_the_last_value_leniently_and_are_refused_strictly() {
        let text = br#"{"a":1,"b":2,"a":3}"#;
        let theirs: Value = serde_json::from_slice(text).expect("parse");
        assert_eq!(from_slice(text, Policy::Lenient).expect("parse"), theirs);
        let doc = doc_from_slice(text).expect("parse").into_value();
        assert_eq!(serde_json::to_string(&doc).ok(), serde_json::to_string(&theirs).ok());
        // Past the names compared one by one, an index finds the repeats.
        let many: Vec<String> = (0..80).map(|i| format!("\"k{}\":{i}", i % 50)).collect();
        let wide = format!("{{{}}}", many.join(","));
        let theirs: Value = serde_json::from_str(&wide).expect("parse");
        let doc = doc_from_slice(wide.as_bytes()).expect("parse").into_value();
        assert_eq!(serde_json::to_string(&doc).ok(), serde_json::to_string(&theirs).ok());
        for text in [&text[..], br#"{"n":{"A":1,"a":2}}"#] {
            let e = from_slice(text, Policy::Strict).expect_err("a member twice");
            assert!(e.to_string().contains("given twice"), "{e}");
        }
    }

    #[test]
    fn every_byte_at_every_place_of_short_strings_is_checked() {
        for len in 1..40 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    assert_eq!(is_plain(&text), PLAIN[usize::from(byte)], "{byte:#x} at {at} of {len}");
                }
            }
        }
        assert!(is_plain(b""));
    }

    proptest! {
        #[test]
        fn the_chunked_check_agrees_with_the_table(
            bytes in prop::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x1fu8..0x24, 0x5bu8..0x5e, 0x7eu8..0x82, any::<u8>()],
                0..70,
            ),
            plain_run in 0usize..40,
        ) {
            // Mostly plain text with the odd byte to escape, at any offset within or after the 16-byte chunks.
            let mut text = vec![b'a'; plain_run];
            text.extend_from_slice(&bytes);
            let expected = text.iter().all(|&b| PLAIN[usize::from(b)]);
            prop_assert_eq!(is_plain(&text), expected);
            let clean: Vec<u8> = text.iter().map(|&b| if PLAIN[usize::from(b)] { b } else { b'x' }).collect();
            prop_assert!(is_plain(&clean));
        }
    }
}
