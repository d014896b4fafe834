//! What a product's successful create answer holds: the created object (itself, inside the response envelope, or
//! as the one element of an array, as bulk creates answer), or nothing, in which case the object is read back by
//! its id (the last path segment of the `Location` header, else the id field of the object sent). Any other
//! answer is a mapping error (502), never a guess.

use super::{MappingError, ResourceMapping};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// The created object, or the id to read it back by.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// The answer held the object.
    Object(Value),
    /// The answer was empty: the object is read back with this id.
    ReadBack(String),
}

/// Read a successful create answer (`body`, with its `Location` header if any) to the object `sent`.
pub fn read(res: &ResourceMapping, location: Option<&str>, body: &[u8], sent: &Value) -> Result<Created, MappingError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        let from_location = location.and_then(last_segment).filter(|id| res.id_type.accepts(id));
        return from_location
            .or_else(|| match res.id.get(sent) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
            .filter(|id| res.id_type.accepts(id))
            .map(Created::ReadBack)
            .ok_or_else(|| {
                MappingError::ProductShape(format!(
                    "the create was answered without a body, and neither a Location header nor the object sent (at {:?}) gives its id",
                    res.id.as_str()
                ))
            });
    }
    let answer: Value = serde_json::from_slice(body)
        .map_err(|e| MappingError::ProductShape(format!("the create was answered with invalid JSON: {e}")))?;
    let object = match &res.envelope.response {
        None => answer,
        Some(p) => p.get(&answer).cloned().ok_or_else(|| {
            MappingError::ProductShape(format!("the create answer has no object at {:?}", p.as_str()))
        })?,
    };
    match object {
        Value::Object(_) => Ok(Created::Object(object)),
        Value::Array(mut items) if items.len() == 1 && items[0].is_object() => Ok(Created::Object(items.remove(0))),
        Value::Array(items) => Err(MappingError::ProductShape(format!(
            "the create was answered with an array of {} elements; exactly one object was expected",
            items.len()
        ))),
        other => Err(MappingError::ProductShape(format!(
            "the create was answered with {other}, not an object"
        ))),
    }
}

/// The last non-empty path segment of a URL or path, percent-decoded.
fn last_segment(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, p)| p),
        None => path,
    };
    let segment = path.rsplit('/').find(|s| !s.is_empty())?;
    let text = percent_decode_str(segment).decode_utf8().ok()?;
    Some(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(id: &str, id_type: &str, envelope: &str) -> ResourceMapping {
        let text = include_str!("../../config/examples/classic.toml").replacen(
            "id = \"/id\"\nid_type = \"integer\"",
            &format!("id = {id:?}\nid_type = {id_type:?}{envelope}"),
            1,
        );
        let file = crate::config::from_toml(&text).expect("mapping");
        crate::mapping::compile(&file.mappings["classic"], "mappings.classic")
            .expect("compiles")
            .users
    }

    #[test]
    fn an_object_or_an_array_of_one_is_the_created_object() {
        let res = mapping("/id", "integer", "");
        let sent = json!({"username": "ada"});
        let one = read(&res, None, br#"{"id": 7}"#, &sent).unwrap();
        assert_eq!(one, Created::Object(json!({"id": 7})));
        let bulk = read(&res, None, br#"[{"id": 7, "name": "ada"}]"#, &sent).unwrap();
        assert_eq!(bulk, Created::Object(json!({"id": 7, "name": "ada"})));
        let enveloped = mapping("/id", "integer", "\nenvelope = { response = \"/data\" }");
        let inside = read(&enveloped, None, br#"{"data": [{"id": 7}]}"#, &sent).unwrap();
        assert_eq!(inside, Created::Object(json!({"id": 7})));
    }

    #[test]
    fn other_answers_are_mapping_errors() {
        let res = mapping("/id", "integer", "");
        let sent = json!({"username": "ada"});
        for (body, says) in [
            (&br#"[{"id": 7}, {"id": 8}]"#[..], "array of 2 elements"),
            (b"[]", "array of 0 elements"),
            (b"[7]", "array of 1 elements"),
            (b"\"ok\"", "not an object"),
            (b"<html>", "invalid JSON"),
            (b"", "without a body"),
        ] {
            let err = read(&res, None, body, &sent).unwrap_err();
            assert!(err.to_string().contains(says), "{err}");
            assert_eq!(crate::scim::Error::from(err).status, http::StatusCode::BAD_GATEWAY);
        }
    }

    #[test]
    fn an_empty_answer_is_read_back_by_the_location_or_the_id_sent() {
        let res = mapping("/username", "string", "");
        let sent = json!({"username": "ada"});
        let located = read(&res, Some("https://p.example/api/users/ada%20b?x=1"), b"", &sent).unwrap();
        assert_eq!(located, Created::ReadBack("ada b".into()));
        assert_eq!(
            read(&res, Some("/api/users/grace/"), b" \n", &sent).unwrap(),
            Created::ReadBack("grace".into())
        );
        assert_eq!(read(&res, None, b"", &sent).unwrap(), Created::ReadBack("ada".into()));
        // A Location whose last segment cannot be an id of this type falls back to the id sent.
        let numbered = mapping("/id", "integer", "");
        let sent = json!({"id": 12, "username": "ada"});
        assert_eq!(
            read(&numbered, Some("/users/new"), b"", &sent).unwrap(),
            Created::ReadBack("12".into())
        );
        assert_eq!(
            read(&numbered, Some("/users/13"), b"", &sent).unwrap(),
            Created::ReadBack("13".into())
        );
    }
}
