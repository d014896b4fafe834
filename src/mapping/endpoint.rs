//! Endpoint templates: `"PATCH /users/{id}"` → method + path, with the id (and the `{member}` key of membership
//! calls, and the `{/pointer}` fields of the object a create sends) always percent-encoded as one path segment, so
//! that no id can change which product path is called.
//! A value of dots only (`.`, `..`) is encoded as `%2E`s: RFC 3986 §5.2.4 removes dot segments, so a normalising
//! server or proxy would otherwise resolve `/users/..` to another resource. (Resource ids `.` and `..` are refused
//! before any call, by [`crate::mapping::IdType::accepts`]; this encoding is the second line.)

use super::pointer::Pointer;
use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// Everything but RFC 3986 unreserved characters is encoded in a path segment or a query component.
/// Also used for ids in the gateway's own `meta.location` URLs.
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// One piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Id,
    Member,
    /// `{/pointer}`: a field of the object a create sends.
    Field(Pointer),
}

/// Which placeholders a template may hold besides `{id}`.
#[derive(Clone, Copy)]
struct Allowed {
    member: bool,
    field: bool,
}

/// A create path field the object being sent does not give as one path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's pointer in the object.
    pub pointer: Pointer,
    /// What is wrong with its value.
    pub problem: &'static str,
}

/// A parsed `METHOD /path/{id}` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    pieces: Vec<Piece>,
}

impl Endpoint {
    /// Parse a template. Literal parts may hold only URL path characters; `{id}` is the only placeholder.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_with(
            text,
            Allowed {
                member: false,
                field: false,
            },
        )
    }

    /// Parse a membership template, which may also hold `{member}` (the member's key).
    pub fn parse_member(text: &str) -> Result<Self, String> {
        Self::parse_with(
            text,
            Allowed {
                member: true,
                field: false,
            },
        )
    }

    /// Parse a create template, which may also hold `{/pointer}`: the value at that pointer of the object sent.
    pub fn parse_create(text: &str) -> Result<Self, String> {
        Self::parse_with(
            text,
            Allowed {
                member: false,
                field: true,
            },
        )
    }

    fn parse_with(text: &str, allowed: Allowed) -> Result<Self, String> {
        let (method, path) = text
            .trim()
            .split_once(' ')
            .ok_or("expected \"METHOD /path\", e.g. \"GET /users/{id}\"")?;
        let method = match method {
            "GET" => Method::GET,
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            other => {
                return Err(format!(
                    "unsupported method {other:?}; expected GET, POST, PUT, PATCH or DELETE"
                ));
            }
        };
        let path = path.trim();
        if !path.starts_with('/') {
            return Err(format!("path {path:?} must start with '/'"));
        }
        let mut pieces = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or("unclosed '{' in path")? + open;
            let name = &rest[open + 1..close];
            let piece = match name {
                "id" => Piece::Id,
                "member" if allowed.member => Piece::Member,
                _ if name.starts_with('/') && allowed.field => Piece::Field(Pointer::parse(name)?),
                _ if name.starts_with('/') => {
                    return Err(format!(
                        "{{{name}}}: a field of the object sent may be a path segment only in endpoints.create"
                    ));
                }
                _ if allowed.member => {
                    return Err(format!(
                        "unknown placeholder {{{name}}}; the placeholders are {{id}} and {{member}}"
                    ));
                }
                _ if allowed.field => {
                    return Err(format!(
                        "unknown placeholder {{{name}}}; the placeholders are {{id}} and {{/pointer}} (a field of the object sent)"
                    ));
                }
                _ => {
                    return Err(format!(
                        "unknown placeholder {{{name}}}; the only placeholder is {{id}}"
                    ));
                }
            };
            push_literal(&mut pieces, &rest[..open])?;
            pieces.push(piece);
            rest = &rest[close + 1..];
        }
        push_literal(&mut pieces, rest)?;
        Ok(Endpoint { method, pieces })
    }

    /// Whether the template contains `{id}`.
    pub fn has_id(&self) -> bool {
        self.pieces.contains(&Piece::Id)
    }

    /// Whether the template contains `{member}`.
    pub fn has_member(&self) -> bool {
        self.pieces.contains(&Piece::Member)
    }

    /// The `{/pointer}` fields the template holds, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Pointer> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field(pointer) => Some(pointer),
            _ => None,
        })
    }

    /// The path and query for one call: the id percent-encoded, query pairs encoded.
    pub fn render(&self, id: Option<&str>, query: &[(String, String)]) -> String {
        self.render_member(id, None, query)
    }

    /// The path of a create: each `{/pointer}` is the text (a string or a number) at that pointer of `object`,
    /// percent-encoded as one segment. A missing or empty value, another type, or a dot segment (`.`, `..`, never
    /// a name a product can be asked for by path) is an error naming the field.
    pub fn render_create(&self, object: &Value) -> Result<String, FieldError> {
        let mut values = Vec::new();
        for pointer in self.fields() {
            let fail = |problem| FieldError {
                pointer: pointer.clone(),
                problem,
            };
            let text = match pointer.get(object) {
                None | Some(Value::Null) => return Err(fail("has no value")),
                Some(Value::String(s)) if s.is_empty() => return Err(fail("has no value")),
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(_) => return Err(fail("must be a string or a number")),
            };
            if is_dot_segment(&text) {
                return Err(fail("cannot be \".\" or \"..\""));
            }
            values.push(text);
        }
        let mut values = values.iter();
        Ok(self.render_with(None, None, &mut || values.next().map(String::as_str), &[]))
    }

    /// The path and query of a membership call: id and member key percent-encoded, query pairs encoded.
    pub fn render_member(&self, id: Option<&str>, member: Option<&str>, query: &[(String, String)]) -> String {
        // Only a create template holds fields; it is rendered by `render_create`.
        self.render_with(id, member, &mut || None, query)
    }

    fn render_with<'v>(
        &self,
        id: Option<&str>,
        member: Option<&str>,
        field: &mut dyn FnMut() -> Option<&'v str>,
        query: &[(String, String)],
    ) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Id => push_segment(&mut out, id.unwrap_or_default()),
                Piece::Member => push_segment(&mut out, member.unwrap_or_default()),
                Piece::Field(_) => push_segment(&mut out, field().unwrap_or_default()),
            }
        }
        let mut sep = if out.contains('?') { '&' } else { '?' };
        for (k, v) in query {
            out.push(sep);
            out.extend(utf8_percent_encode(k, COMPONENT));
            out.push('=');
            out.extend(utf8_percent_encode(v, COMPONENT));
            sep = '&';
        }
        out
    }
}

/// Whether `segment` is a dot segment (RFC 3986 §3.3: `.` or `..`), which path normalisation removes.
pub fn is_dot_segment(segment: &str) -> bool {
    segment == "." || segment == ".."
}

/// One placeholder's value as one path segment: percent-encoded, and dots-only values as `%2E`s.
fn push_segment(out: &mut String, value: &str) {
    if !value.is_empty() && value.bytes().all(|b| b == b'.') {
        for _ in 0..value.len() {
            out.push_str("%2E");
        }
    } else {
        out.extend(utf8_percent_encode(value, COMPONENT));
    }
}

fn push_literal(pieces: &mut Vec<Piece>, text: &str) -> Result<(), String> {
    if text.contains('}') {
        return Err("unmatched '}' in path".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=:@%?".contains(c);
    if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
        return Err(format!("character {bad:?} is not allowed in an endpoint path"));
    }
    if !text.is_empty() {
        pieces.push(Piece::Literal(text.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_id_as_one_encoded_segment() {
        let e = Endpoint::parse("GET /users/{id}").unwrap();
        assert_eq!(e.render(Some("17"), &[]), "/users/17");
        assert_eq!(e.render(Some("../admin?x=1#f"), &[]), "/users/..%2Fadmin%3Fx%3D1%23f");
        assert_eq!(e.render(Some("a b/\r\n"), &[]), "/users/a%20b%2F%0D%0A");
    }

    #[test]
    fn dots_only_values_never_become_dot_segments() {
        let e = Endpoint::parse("POST /users/{id}/deactivate").unwrap();
        assert_eq!(e.render(Some(".."), &[]), "/users/%2E%2E/deactivate");
        assert_eq!(e.render(Some("."), &[]), "/users/%2E/deactivate");
        assert_eq!(e.render(Some("..."), &[]), "/users/%2E%2E%2E/deactivate");
        assert_eq!(e.render(Some("a.."), &[]), "/users/a../deactivate");
        let m = Endpoint::parse_member("DELETE /teams/{id}/members/{member}").unwrap();
        assert_eq!(m.render_member(Some("."), Some(".."), &[]), "/teams/%2E/members/%2E%2E");
        assert!(is_dot_segment("..") && is_dot_segment(".") && !is_dot_segment("..."));
        // A resource id that is a dot segment is no product id: answered 404 before any call.
        use crate::mapping::IdType;
        assert!(!IdType::String.accepts("..") && !IdType::String.accepts("."));
        assert!(IdType::String.accepts("...") && IdType::String.accepts(".a"));
    }

    #[test]
    fn encodes_query_names_and_values() {
        let e = Endpoint::parse("GET /users").unwrap();
        let q = [
            ("filter[email][_eq]".to_owned(), "a+b@x.com".to_owned()),
            ("page".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            e.render(None, &q),
            "/users?filter%5Bemail%5D%5B_eq%5D=a%2Bb%40x.com&page=2"
        );
    }

    #[test]
    fn keeps_fixed_query_in_template() {
        let e = Endpoint::parse("GET /users?kind=person").unwrap();
        assert_eq!(
            e.render(None, &[("page".into(), "1".into())]),
            "/users?kind=person&page=1"
        );
    }

    #[test]
    fn rejects_bad_templates() {
        assert!(Endpoint::parse("/users").is_err());
        assert!(Endpoint::parse("FETCH /users").is_err());
        assert!(Endpoint::parse("GET users").is_err());
        assert!(Endpoint::parse("GET /users/{name}").is_err());
        assert!(Endpoint::parse("GET /users/{id").is_err());
        assert!(Endpoint::parse("GET /users/<id>").is_err());
        assert!(Endpoint::parse("PUT /teams/{id}/members/{member}").is_err());
        assert!(Endpoint::parse_member("PUT /teams/{id}/members/{user}").is_err());
    }

    #[test]
    fn create_fields_are_one_encoded_segment() {
        let e = Endpoint::parse_create("POST /users/{/name}").unwrap();
        assert_eq!(e.fields().map(Pointer::as_str).collect::<Vec<_>>(), ["/name"]);
        let path = e.render_create(&serde_json::json!({"name": "ada/../x?y#z", "admin": false}));
        assert_eq!(path.unwrap(), "/users/ada%2F..%2Fx%3Fy%23z");
        let e = Endpoint::parse_create("PUT /api/{/vhost}/users/{/profile/login}").unwrap();
        let object = serde_json::json!({"vhost": 7, "profile": {"login": "a b"}});
        assert_eq!(e.render_create(&object).unwrap(), "/api/7/users/a%20b");
        assert!(!e.has_id());
    }

    #[test]
    fn create_fields_refuse_what_is_no_segment() {
        let e = Endpoint::parse_create("POST /users/{/name}").unwrap();
        for (object, problem) in [
            (serde_json::json!({}), "has no value"),
            (serde_json::json!({"name": null}), "has no value"),
            (serde_json::json!({"name": ""}), "has no value"),
            (serde_json::json!({"name": ["a"]}), "must be a string or a number"),
            (serde_json::json!({"name": ".."}), "cannot be \".\" or \"..\""),
            (serde_json::json!({"name": "."}), "cannot be \".\" or \"..\""),
        ] {
            let err = e.render_create(&object).unwrap_err();
            assert_eq!((err.pointer.as_str(), err.problem), ("/name", problem), "{object}");
        }
        let dots = e.render_create(&serde_json::json!({"name": "..."}));
        assert_eq!(dots.unwrap(), "/users/%2E%2E%2E");
    }

    #[test]
    fn fields_are_refused_outside_create_templates() {
        let err = Endpoint::parse("GET /users/{/name}").unwrap_err();
        assert!(err.contains("only in endpoints.create"), "{err}");
        let err = Endpoint::parse_member("PUT /teams/{id}/members/{/name}").unwrap_err();
        assert!(err.contains("only in endpoints.create"), "{err}");
        assert!(Endpoint::parse_create("POST /users/{/}").is_err());
        assert!(Endpoint::parse_create("POST /users/{/a~2}").is_err());
        assert!(Endpoint::parse_create("POST /users/{name}").is_err());
    }

    #[test]
    fn member_keys_are_one_encoded_segment() {
        let e = Endpoint::parse_member("DELETE /teams/{id}/members/{member}").unwrap();
        assert!(e.has_id() && e.has_member());
        assert_eq!(
            e.render_member(Some("7"), Some("a@b.c/../x"), &[]),
            "/teams/7/members/a%40b.c%2F..%2Fx"
        );
    }
}
