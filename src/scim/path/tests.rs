//! Tests of attribute paths (RFC 7644 §3.4.2.2 attrPath).

use super::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn attr(s: &str) -> AttrPath {
    match AttrPath::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn owned(s: &str) -> Option<String> {
    Some(s.to_owned())
}

// === AttrPath ===

#[test]
fn attr_path_name_and_sub() {
    assert_eq!(attr("userName"), AttrPath::simple("userName"));
    assert_eq!(
        attr("name.givenName"),
        AttrPath {
            schema: None,
            name: "name".into(),
            sub: owned("givenName")
        }
    );
    assert_eq!(attr("x509Certificates"), AttrPath::simple("x509Certificates"));
    assert_eq!(attr("a-b_c9"), AttrPath::simple("a-b_c9"));
    assert_eq!(attr("members.$ref").sub, owned("$ref"));
}

#[test]
fn attr_path_splits_urn_at_last_colon_before_dots() {
    let p = attr(&format!("{ENTERPRISE}:manager.value"));
    assert_eq!(
        p,
        AttrPath {
            schema: owned(ENTERPRISE),
            name: "manager".into(),
            sub: owned("value")
        }
    );
    let p = attr("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName");
    assert_eq!(p.schema.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
    assert_eq!((p.name.as_str(), p.sub.as_deref()), ("name", Some("givenName")));
    assert_eq!(attr("URN:IETF:x:y").schema.as_deref(), Some("URN:IETF:x"));
}

#[test]
fn attr_path_display_is_canonical() {
    for s in [
        "userName",
        "name.givenName",
        &format!("{ENTERPRISE}:manager.value"),
        "members.$ref",
    ] {
        assert_eq!(attr(s).to_string(), s);
    }
}

#[test]
fn attr_path_rejects_garbage() {
    let bad = [
        ("", "empty attribute path"),
        ("a..b", "has more than one sub-attribute"),
        ("a.b.c", "has more than one sub-attribute"),
        ("a.", "invalid attribute name \"\""),
        (".a", "invalid attribute name \"\""),
        ("1a", "invalid attribute name \"1a\""),
        ("na me", "invalid attribute name"),
        ("é", "invalid attribute name"),
        ("urn:x", "invalid schema URN \"urn\""),
        ("urn:x:", "invalid schema URN \"urn:x\""),
        ("urn:a b:c:d", "invalid schema URN"),
        ("foo:bar", "invalid attribute name \"foo:bar\""),
        ("$refs", "invalid attribute name"),
    ];
    for (s, want) in bad {
        match AttrPath::parse(s) {
            Ok(p) => panic!("{s:?} parsed as {p:?}"),
            Err(e) => assert!(e.to_string().contains(want), "{s:?}: {e}"),
        }
    }
}

#[test]
fn same_attr_ignores_case_and_a_missing_schema() {
    let core = attr("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName");
    assert!(attr("NAME.GIVENNAME").same_attr(&core));
    assert!(core.same_attr(&attr("name.givenname")));
    assert!(core.same_attr(&attr("URN:ietf:params:scim:schemas:core:2.0:user:Name.GivenName")));
    assert!(!core.same_attr(&attr(&format!("{ENTERPRISE}:name.givenName"))));
    assert!(!attr("name").same_attr(&attr("name.givenName")));
    assert!(!attr("name.givenName").same_attr(&attr("name.familyName")));
}

#[test]
fn path_error_becomes_400_invalid_path() {
    let e: Error = PathError::Empty.into();
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    assert_eq!(e.detail, "empty attribute path");
}
