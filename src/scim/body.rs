//! Reading a request body as JSON, strictly: nesting is bounded before parsing, and an object that names a
//! member twice — in any letter case, since SCIM attribute names are case-insensitive (RFC 7643 §2.1) — is
//! refused rather than letting one of the values silently win (RFC 8259 §4: names "SHOULD be unique"; see
//! [`crate::json`]).

use crate::scim::{Error, ScimType};
use serde_json::Value;

/// Parse `bytes` as one JSON value nested at most `max_depth` arrays and objects deep.
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Value, Error> {
    let depth = depth(bytes);
    if depth > max_depth {
        return Err(Error::bad_request(
            ScimType::InvalidSyntax,
            format!("the body nests {depth} levels deep; at most {max_depth} are accepted"),
        ));
    }
    crate::json::from_slice_strict(bytes)
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
