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

    /// The value at the pointer, if present.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        doc.pointer(&self.text)
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
