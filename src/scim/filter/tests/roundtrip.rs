//! Canonical text: `Display` → `parse` gives back the tree, and no input panics the parser.

use super::*;
use crate::scim::patch_path::PatchPath;
use proptest::prelude::*;
use serde_json::Number;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        // Keywords are plain names in attribute position.
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "eq", "true", "null", "$ref", "urn"]).prop_map(str::to_owned),
    ]
}

fn schema() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "URN:example:x",
        "urn:a:b.c:d",
    ])
    .prop_map(str::to_owned)
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (
        prop::option::weighted(0.2, schema()),
        name(),
        prop::option::weighted(0.3, name()),
    )
        .prop_map(|(schema, name, sub)| AttrPath { schema, name, sub })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        (-1000i32..1000).prop_map(|n| Number::from_f64(f64::from(n) / 8.0).unwrap_or(Number::from(n))),
    ]
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        any::<String>().prop_map(CompValue::Str),
        "[ -~]{0,12}".prop_map(CompValue::Str),
        number().prop_map(CompValue::Num),
        any::<bool>().prop_map(CompValue::Bool),
        Just(CompValue::Null),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn attr_exp() -> impl Strategy<Value = Filter> {
    prop_oneof![
        attr_path().prop_map(Filter::Present),
        (attr_path(), op(), comp_value()).prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
    ]
}

/// Filters without value paths: what may stand inside `[...]`.
fn val_filter() -> impl Strategy<Value = Filter> {
    attr_exp().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| and(a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| or(a, b)),
            inner.prop_map(not),
        ]
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        3 => attr_exp(),
        1 => (attr_path(), val_filter()).prop_map(|(p, f)| Filter::ValuePath(p, Box::new(f))),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| and(a, b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| or(a, b)),
            inner.prop_map(not),
        ]
    })
}

proptest! {
    #[test]
    fn display_then_parse_gives_the_same_filter(f in filter()) {
        let text = f.to_string();
        let back = Filter::parse_with(&text, &crate::scim::filter::Limits { max_len: usize::MAX, max_depth: 64 });
        prop_assert_eq!(back.ok(), Some(f), "{}", text);
    }

    #[test]
    fn display_then_parse_gives_the_same_patch_path(
        attr in attr_path(),
        value_filter in prop::option::of(val_filter()),
        sub in prop::option::of(name()),
    ) {
        let sub = value_filter.as_ref().and(sub);
        let p = PatchPath { attr, filter: value_filter, sub };
        let text = p.to_string();
        prop_assert_eq!(PatchPath::parse(&text).ok(), Some(p), "{}", text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = Filter::parse(&s);
        let _ = PatchPath::parse(&s);
    }

    #[test]
    fn filter_like_strings_never_panic(s in r#"[a-z.:\[\]() "\\0-9eE+-]{0,60}"#) {
        let _ = Filter::parse(&s);
        let _ = PatchPath::parse(&s);
    }
}

#[test]
fn display_is_canonical() {
    let f = parse("NOT(a PR)  AND (b Eq \"x\" OR c gt 1.5) or emails[Type eq \"w\"].value sw \"\\u00e9\\n\"");
    assert_eq!(
        f.to_string(),
        "not (a pr) and (b eq \"x\" or c gt 1.5) or emails[Type eq \"w\" and value sw \"é\\n\"]"
    );
    assert_eq!(
        and(pr("a"), and(pr("b"), pr("c"))).to_string(),
        "a pr and (b pr and c pr)"
    );
    assert_eq!(or(pr("a"), or(pr("b"), pr("c"))).to_string(), "a pr or (b pr or c pr)");
    assert_eq!(
        and(or(pr("a"), pr("b")), pr("c")).to_string(),
        "(a pr or b pr) and c pr"
    );
    assert_eq!(eq("t", "\u{1}\"\\").to_string(), "t eq \"\\u0001\\\"\\\\\"");
}
