//! Read pointers: where an attribute's value is read from a product object. A JSON pointer (RFC 6901) whose
//! segments may also select one element of an array of objects by a member's value, `[key=value]`:
//! `/custom_fields/[id=5]/value` reads `"x"` from `{"custom_fields": [{"id": 5, "value": "x"}]}`.
//!
//! A selector matches an element whose member `key` is the string `value`, or a number or boolean written as
//! `value`. Only reads select; writes go to plain JSON pointers ([`Pointer`]).

use super::Pointer;
use serde_json::Value;

/// A validated read pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPointer {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// An object member or an array index, as in a JSON pointer.
    Token(String),
    /// `[key=value]`: the first element of an array whose member `key` equals `value`.
    Select { key: String, value: String },
}

impl ReadPointer {
    /// Parse `/a/b`, or `/a/[key=value]/b` with selectors.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        if !text.is_empty() {
            let Some(rest) = text.strip_prefix('/') else {
                return Err(format!("JSON pointer {text:?} must start with '/'"));
            };
            for raw in rest.split('/') {
                match raw.strip_prefix('[') {
                    Some(inner) => {
                        let inner = inner
                            .strip_suffix(']')
                            .ok_or_else(|| format!("{text:?}: a selector is written [key=value]"))?;
                        let (key, value) = inner
                            .split_once('=')
                            .filter(|(k, _)| !k.is_empty())
                            .ok_or_else(|| format!("{text:?}: a selector is written [key=value]"))?;
                        segments.push(Segment::Select {
                            key: key.to_owned(),
                            value: value.to_owned(),
                        });
                    }
                    None => segments.push(Segment::Token(unescape(text, raw)?)),
                }
            }
        }
        Ok(ReadPointer {
            text: text.to_owned(),
            segments,
        })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The same pointer as a plain JSON pointer, when it has no selector.
    pub fn plain(&self) -> Option<Pointer> {
        if self.segments.iter().any(|s| matches!(s, Segment::Select { .. })) {
            return None;
        }
        Pointer::parse(&self.text).ok()
    }

    /// The part before the first selector, as a plain pointer.
    pub fn plain_prefix(&self) -> Pointer {
        let end = self.text.find("/[").unwrap_or(self.text.len());
        Pointer::parse(&self.text[..end]).unwrap_or_else(|_| Pointer::parse("").expect("the empty pointer"))
    }

    /// The value at the pointer, if present.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        self.segments.iter().try_fold(doc, |cur, segment| match segment {
            Segment::Token(token) => match cur {
                Value::Object(map) => map.get(token),
                Value::Array(items) => index(token).and_then(|i| items.get(i)),
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
            },
            Segment::Select { key, value } => cur.as_array()?.iter().find(|e| selects(e.get(key), value)),
        })
    }
}

/// One reference token with `~1` and `~0` unescaped (RFC 6901 §4).
fn unescape(text: &str, raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err(format!("JSON pointer {text:?} has an empty segment"));
    }
    let mut token = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => token.push('~'),
                Some('1') => token.push('/'),
                _ => return Err(format!("JSON pointer {text:?}: '~' must be followed by 0 or 1")),
            },
            c => token.push(c),
        }
    }
    Ok(token)
}

/// An array index token: `0`, or digits without a leading zero.
fn index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// Whether a member's value is the selector's text.
fn selects(member: Option<&Value>, text: &str) -> bool {
    match member {
        Some(Value::String(s)) => s == text,
        Some(Value::Number(n)) => n.to_string() == text,
        Some(Value::Bool(b)) => (if *b { "true" } else { "false" }) == text,
        Some(Value::Null | Value::Array(_) | Value::Object(_)) | None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_selector_reads_one_element_of_an_array_of_objects() {
        let doc =
            json!({"custom_fields": [{"id": 4, "value": "a"}, {"id": 5, "value": "b"}, {"id": "x", "value": "c"}]});
        let read = |t: &str| ReadPointer::parse(t).unwrap().get(&doc).cloned();
        assert_eq!(read("/custom_fields/[id=5]/value"), Some(json!("b")));
        assert_eq!(read("/custom_fields/[id=x]/value"), Some(json!("c")));
        assert_eq!(read("/custom_fields/[id=6]/value"), None);
        assert_eq!(read("/custom_fields/1/value"), Some(json!("b")));
        assert!(ReadPointer::parse("/custom_fields/[id=5]").unwrap().plain().is_none());
        assert_eq!(
            ReadPointer::parse("/custom_fields/[id=5]/value")
                .unwrap()
                .plain_prefix()
                .as_str(),
            "/custom_fields"
        );
    }

    #[test]
    fn without_selectors_it_reads_as_a_json_pointer() {
        let doc = json!({"a": {"b~c": [1, 2]}});
        let p = ReadPointer::parse("/a/b~0c/1").unwrap();
        assert_eq!(p.get(&doc), doc.pointer("/a/b~0c/1"));
        assert_eq!(p.plain().map(|p| p.as_str().to_owned()), Some("/a/b~0c/1".to_owned()));
    }

    #[test]
    fn malformed_selectors_are_refused() {
        for text in ["/a/[id5]", "/a/[=5]", "/a/[id=5", "a/[id=5]", "/a//b"] {
            assert!(ReadPointer::parse(text).is_err(), "{text}");
        }
    }
}
