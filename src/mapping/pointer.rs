//! JSON pointers (RFC 6901) into product objects: validated at config time, read and written at run time.

use serde_json::{Map, Value};

/// A validated JSON pointer; `""` is the whole document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl Pointer {
    /// Parse `/a/b~1c`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(Pointer {
                text: String::new(),
                tokens: Vec::new(),
            });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("JSON pointer {text:?} must start with '/'"));
        };
        let mut tokens = Vec::new();
        for raw in rest.split('/') {
            if raw.is_empty() {
                return Err(format!("JSON pointer {text:?} has an empty segment"));
            }
            let mut token = String::new();
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                match (c, c == '~') {
                    (_, true) => match chars.next() {
                        Some('0') => token.push('~'),
                        Some('1') => token.push('/'),
                        _ => return Err(format!("JSON pointer {text:?}: '~' must be followed by 0 or 1")),
                    },
                    (c, false) => token.push(c),
                }
            }
            tokens.push(token);
        }
        Ok(Pointer {
            text: text.to_owned(),
            tokens,
        })
    }

    /// The pointer as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at the pointer, if present: the tokens parsed once at config time are walked, objects by key and
    /// arrays by index (RFC 6901 §4), as `serde_json::Value::pointer` would, without parsing the text per read.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        self.tokens.iter().try_fold(doc, |cur, token| match cur {
            Value::Object(map) => map.get(token),
            Value::Array(items) => array_index(token).and_then(|i| items.get(i)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => None,
        })
    }

    /// Set the value, creating intermediate objects. Fails where a non-object sits on the way.
    pub fn set(&self, doc: &mut Value, value: Value) -> Result<(), String> {
        let Some((last, parents)) = self.tokens.split_last() else {
            *doc = value;
            return Ok(());
        };
        let mut cur = doc;
        for token in parents {
            let map = as_object(cur, &self.text)?;
            cur = map.entry(token.clone()).or_insert_with(|| Value::Object(Map::new()));
        }
        as_object(cur, &self.text)?.insert(last.clone(), value);
        Ok(())
    }

    /// Remove the value, if present.
    pub fn remove(&self, doc: &mut Value) {
        let Some((last, parents)) = self.tokens.split_last() else {
            return;
        };
        let mut cur = doc;
        for token in parents {
            match cur.get_mut(token) {
                Some(next) => cur = next,
                None => return,
            }
        }
        if let Some(map) = cur.as_object_mut() {
            map.remove(last);
        }
    }
}

/// An array index token (RFC 6901 §4): `0`, or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

fn as_object<'v>(v: &'v mut Value, ptr: &str) -> Result<&'v mut Map<String, Value>, String> {
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut()
        .ok_or_else(|| format!("cannot write {ptr}: a non-object value is in the way"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_writes_and_removes_nested() {
        let p = Pointer::parse("/profile/a~1b").unwrap();
        let mut doc = json!({});
        p.set(&mut doc, json!(1)).unwrap();
        assert_eq!(doc, json!({"profile": {"a/b": 1}}));
        assert_eq!(p.get(&doc), Some(&json!(1)));
        p.remove(&mut doc);
        assert_eq!(doc, json!({"profile": {}}));
    }

    #[test]
    fn reads_as_serde_json_does() {
        let doc = json!({"a": [{"b": 1}, {"b": 2}], "c~d": {"e/f": 3}, "n": null, "01": 4});
        for text in [
            "",
            "/a",
            "/a/0/b",
            "/a/1/b",
            "/a/2/b",
            "/a/01/b",
            "/a/-",
            "/c~0d/e~1f",
            "/n",
            "/n/x",
            "/01",
            "/x",
        ] {
            let p = Pointer::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(p.get(&doc), doc.pointer(text), "{text}");
        }
    }

    #[test]
    fn rejects_malformed() {
        assert!(Pointer::parse("email").is_err());
        assert!(Pointer::parse("/a//b").is_err());
        assert!(Pointer::parse("/a~2").is_err());
    }

    #[test]
    fn refuses_to_overwrite_scalars_on_the_way() {
        let p = Pointer::parse("/a/b").unwrap();
        let mut doc = json!({"a": 3});
        assert!(p.set(&mut doc, json!(1)).is_err());
    }
}
