use super::*;
use crate::json::strategy::any_json;
use proptest::prelude::*;
use serde_json::json;

/// Open every object and array in the tree, as rendering does where it writes into them.
fn open_all(doc: &mut Doc<'_>) {
    doc.open();
    match doc {
        Doc::Object(members) => members.iter_mut().for_each(|(_, v)| open_all(v)),
        Doc::Array(items) => items.iter_mut().for_each(open_all),
        _ => {}
    }
}

fn text(doc: &Doc<'_>) -> String {
    let mut out = Vec::new();
    doc.write_json(&mut out).expect("serialize");
    String::from_utf8(out).expect("UTF-8")
}

proptest! {
    /// A document writes the bytes serde_json writes for the same value, whole or opened, borrowed or owned.
    #[test]
    fn writes_what_serde_json_writes(value in any_json()) {
        let expected = serde_json::to_string(&value).expect("serialize");
        let whole = Doc::borrowed(&value);
        prop_assert_eq!(&text(&whole), &expected);
        let mut opened = Doc::borrowed(&value);
        open_all(&mut opened);
        prop_assert_eq!(&text(&opened), &expected);
        let mut owned = Doc::owned(value.clone());
        open_all(&mut owned);
        prop_assert_eq!(&text(&owned), &expected);
        prop_assert_eq!(serde_json::to_string(&opened.into_value()).ok(), Some(expected.clone()));
        prop_assert_eq!(serde_json::to_string(&owned.into_value()).ok(), Some(expected));
    }
}

#[test]
fn insert_replaces_in_place_and_appends_new_keys() {
    let mut members: Members<'_> = Vec::new();
    insert(&mut members, "a", Doc::owned(json!(1)));
    insert(&mut members, "b", Doc::owned(json!(2)));
    insert(&mut members, "a", Doc::owned(json!(3)));
    assert_eq!(text(&Doc::Object(members.clone())), r#"{"a":3,"b":2}"#);
    assert_eq!(remove(&mut members, "a"), Some(Doc::owned(json!(3))));
    assert_eq!(remove(&mut members, "a"), None);
    assert!(slot(&mut members, "c", Doc::object).is_object());
    assert_eq!(text(&Doc::Object(members)), r#"{"b":2,"c":{}}"#);
}

#[test]
fn views_read_members_ignoring_case_and_prefer_exact() {
    let inner = json!({"Value": "x", "type": "work"});
    let list = json!([{"type": "home", "value": "h"}, {"type": "Work", "value": "w"}]);
    let doc = Doc::Object(vec![
        (Cow::Borrowed("userName"), Doc::borrowed(&inner)),
        (Cow::Borrowed("USERNAME"), Doc::owned(json!(2))),
        (Cow::Borrowed("emails"), Doc::borrowed(&list)),
    ]);
    let view = View::Doc(&doc);
    let two = serde_json::Number::from(2);
    assert_eq!(view.member("USERNAME").and_then(View::scalar), Some(Scalar::Num(&two)));
    assert_eq!(view.member("username").and_then(|v| v.as_value()), Some(&inner));
    assert_eq!(
        view.member("userName")
            .and_then(|v| v.member("value"))
            .and_then(View::as_str),
        Some("x")
    );
    let work = view
        .member("emails")
        .and_then(|e| e.find_element(|el| el.member("type").and_then(View::as_str) == Some("Work")));
    assert_eq!(work.and_then(|w| w.member("value")).and_then(View::as_str), Some("w"));
    assert!(view.member("missing").is_none());
    assert!(View::Value(&json!(null)).is_null());
}

#[test]
fn strings_are_escaped_as_serde_json_escapes_them() {
    let value = json!({"a\"b": ["plain", "quote \" and \\", "\u{8}\u{c}\n\r\t\u{1f}\u{7f}", "é ✓ 😀", ""]});
    let mut opened = Doc::borrowed(&value);
    open_all(&mut opened);
    assert_eq!(text(&opened), serde_json::to_string(&value).expect("serialize"));
}
