//! Evaluation on a rendered document or a parsed answer agrees with evaluation on the same `Value`.

use super::*;
use crate::scim::doc::{Doc, View};
use crate::scim::schema::ResourceSchema;
use proptest::prelude::*;
use serde_json::{Number, Value, json};

const NAMES: &[&str] = &["userName", "emails", "name", "active", "meta", "x"];
const SUBS: &[&str] = &["value", "type", "givenName", "created"];
const TEXTS: &[&str] = &[
    "a",
    "A",
    "ab",
    "work",
    "",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00",
];

fn path() -> impl Strategy<Value = AttrPath> {
    (
        prop::option::weighted(0.1, Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")),
        prop::sample::select(NAMES.to_vec()),
        prop::option::weighted(0.4, prop::sample::select(SUBS.to_vec())),
    )
        .prop_map(|(schema, name, sub)| AttrPath {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        prop::sample::select(TEXTS.to_vec()).prop_map(|t| CompValue::Str(t.to_owned())),
        (-2i64..3).prop_map(|n| CompValue::Num(Number::from(n))),
        any::<bool>().prop_map(CompValue::Bool),
        Just(CompValue::Null),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        path().prop_map(Filter::Present),
        (path(), prop::sample::select(CompareOp::ALL.to_vec()), comp_value())
            .prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
    ];
    let with_paths = leaf.clone().prop_recursive(2, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    });
    prop_oneof![
        3 => with_paths,
        1 => (path(), leaf).prop_map(|(p, f)| Filter::ValuePath(p, Box::new(f))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    crate::json::strategy::pooled_json(SUBS, TEXTS, (-2i64..3).prop_map(Value::from))
}

fn resource() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(NAMES.to_vec()), value()), 0..6).prop_map(|members| {
        let mut object: serde_json::Map<String, Value> = members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into(),
            json!({"x": "a", "name": {"value": "ab"}}),
        );
        Value::Object(object)
    })
}

proptest! {
    #[test]
    fn a_document_matches_as_its_value_does(f in filter(), resource in resource()) {
        let types = ResourceSchema::user();
        let expected = f.matches(&resource, types);
        let text = serde_json::to_vec(&resource).expect("serialize");
        let parsed = crate::json::doc_from_slice(&text).expect("parse");
        prop_assert_eq!(f.matches_view(View::Doc(&parsed), types), expected, "{}", f);
        let mut opened = Doc::borrowed(&resource);
        opened.open();
        prop_assert_eq!(f.matches_view(View::Doc(&opened), types), expected, "{}", f);
    }
}
