//! Tests of PATCH paths (RFC 7644 §3.5.2 PATH).

use super::*;
use crate::scim::filter::{CompValue, CompareOp};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn attr(s: &str) -> AttrPath {
    match AttrPath::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn patch(s: &str) -> PatchPath {
    match PatchPath::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn owned(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn eq(name: &str, value: &str) -> Filter {
    Filter::Compare(AttrPath::simple(name), CompareOp::Eq, CompValue::Str(value.to_owned()))
}

#[test]
fn patch_path_value_filter_with_sub_attribute() {
    let p = patch("emails[type eq \"work\"].value");
    assert_eq!(
        p,
        PatchPath {
            attr: AttrPath::simple("emails"),
            filter: Some(eq("type", "work")),
            sub: owned("value")
        }
    );
    assert_eq!(p.to_string(), "emails[type eq \"work\"].value");
}

#[test]
fn patch_path_rfc_examples() {
    let id = "2819c223-7f76-453a-919d-413861904646";
    let p = patch(&format!("members[value eq \"{id}\"]"));
    assert_eq!(
        p,
        PatchPath {
            attr: AttrPath::simple("members"),
            filter: Some(eq("value", id)),
            sub: None
        }
    );
    let p = patch(&format!("members[value eq \"{id}\"].displayName"));
    assert_eq!(p.sub.as_deref(), Some("displayName"));
    let p = patch("addresses[type eq \"work\"].streetAddress");
    assert_eq!(
        (p.attr.name.as_str(), p.sub.as_deref()),
        ("addresses", Some("streetAddress"))
    );
    let p = patch("emails[type eq \"work\" and value ew \"example.com\"]");
    assert!(matches!(p.filter, Some(Filter::And(..))));
    let p = patch("name.familyName");
    assert_eq!(
        p,
        PatchPath {
            attr: attr("name.familyName"),
            filter: None,
            sub: None
        }
    );
    let p = patch(&format!("{ENTERPRISE}:manager"));
    assert_eq!(
        p.attr,
        AttrPath {
            schema: owned(ENTERPRISE),
            name: "manager".into(),
            sub: None
        }
    );
    assert_eq!(p.to_string(), format!("{ENTERPRISE}:manager"));
}

#[test]
fn patch_path_value_filter_may_contain_brackets_in_strings() {
    let p = patch("emails[value eq \"a]b\"].type");
    assert_eq!(p.filter, Some(eq("value", "a]b")));
    assert_eq!(p.sub.as_deref(), Some("type"));
}

#[test]
fn patch_path_rejects_garbage() {
    let bad = [
        ("", "empty attribute path"),
        ("emails[", "unexpected end of filter at offset 7"),
        ("[x]", "empty attribute path"),
        ("a..b", "more than one sub-attribute"),
        (
            "emails[type eq \"work\"]value",
            "unexpected \"value\" at offset 22; expected \".\"",
        ),
        ("emails[type eq \"work\"].", "invalid attribute name \"\""),
        ("emails[type eq \"work\"].a.b", "invalid attribute name \"a.b\""),
        ("emails[type eq \"work\"][x]", "unexpected \"[x]\""),
        ("emails[members[value eq \"1\"]]", "value paths cannot nest"),
        ("emails[]", "unexpected \"]\" at offset 7"),
        ("emails[type]", "unexpected \"]\" at offset 11"),
        ("emails [type eq \"x\"]", "invalid attribute name \"emails \""),
    ];
    for (s, want) in bad {
        match PatchPath::parse(s) {
            Ok(p) => panic!("{s:?} parsed as {p:?}"),
            Err(e) => assert!(e.to_string().contains(want), "{s:?}: {e}"),
        }
    }
}

#[test]
fn patch_path_error_becomes_400_invalid_path() {
    let e: Error = PatchPathError::from(PathError::Empty).into();
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    assert_eq!(e.detail, "empty attribute path");
}
