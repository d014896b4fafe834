//! The document renderer against the `serde_json` renderer it replaced: for random attribute maps, product objects
//! and projections, the answer is the same text, byte for byte.

use super::*;
use crate::mapping::attribute::{AttributeMap, Rule, Target, Template, Transform, oracle};
use crate::mapping::pointer::Pointer;
use crate::scim::projection::Projection;
use proptest::prelude::*;
use serde_json::{Map, json};

const BASE: &str = "https://scim.example.com/scim/v2";

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Attribute keys: plain, sub-attribute, typed element, extension, and ones that meet `schemas`, `id`, `meta`.
const KEYS: &[&str] = &[
    "userName",
    "displayName",
    "externalId",
    "active",
    "title",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    "emails[type eq \"work\"].value",
    "emails[type eq \"home\"].value",
    "emails[type eq \"work\"].primary",
    "phoneNumbers[type eq \"mobile\"].value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "meta.created",
    "meta.version",
    "meta",
    "id",
    "schemas",
    "password",
    "groups",
];

/// Product fields; the pool the objects are made of.
const FIELDS: &[&str] = &[
    "id", "email", "first", "last", "profile", "status", "emails", "dept", "type", "value",
];

const POINTERS: &[&str] = &[
    "/email",
    "/first",
    "/last",
    "/profile",
    "/profile/first",
    "/profile/value",
    "/status",
    "/emails",
    "/emails/0",
    "/emails/0/value",
    "/dept",
    "/id",
    "/type",
];

const TEMPLATES: &[&str] = &["{/first} {/last}", "{/profile/first}-{/dept}", "{/email}"];

const TEMPLATE_KEYS: &[&str] = &[
    "displayName",
    "name.formatted",
    "userName",
    "emails[type eq \"work\"].display",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
];

/// Names for `attributes` and `excludedAttributes`.
const NAMES: &[&str] = &[
    "userName",
    "name",
    "name.givenName",
    "emails",
    "emails.value",
    "emails.type",
    "meta",
    "meta.version",
    "id",
    "active",
    "displayName",
    "externalId",
    "password",
    "groups",
    ENTERPRISE,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:core:2.0:User:title",
];

fn transform(choice: u8) -> Transform {
    match choice {
        0 | 1 => Transform::Identity,
        2 => Transform::Map(vec![(json!(true), json!("active")), (json!(false), json!("suspended"))]),
        _ => Transform::Map(vec![(json!({"a": [1, "x"]}), json!("x")), (json!("y"), json!(3))]),
    }
}

/// A rule: any key from any pointer, or (often, so that later rules write into what it put there) a whole
/// multi-valued or complex attribute from the product's own list or object.
fn rule() -> impl Strategy<Value = Rule> {
    let whole = prop::sample::select(vec![
        ("emails", "/emails"),
        ("name", "/profile"),
        (ENTERPRISE, "/profile"),
    ]);
    prop_oneof![
        3 => any_rule(),
        1 => whole.prop_map(|(key, pointer)| Rule {
            key: key.to_owned(),
            target: Target::parse(key).expect("key"),
            pointer: Pointer::parse(pointer).expect("pointer"),
            transform: Transform::Identity,
            read_only: false,
            write_only: false,
            default: None,
            required: false,
        }),
    ]
}

fn any_rule() -> impl Strategy<Value = Rule> {
    (0..KEYS.len(), 0..POINTERS.len(), 0u8..4, any::<bool>(), 0u8..8).prop_map(
        |(key, pointer, choice, read_only, write_only)| Rule {
            key: KEYS[key].to_owned(),
            target: Target::parse(KEYS[key]).expect("key"),
            pointer: Pointer::parse(POINTERS[pointer]).expect("pointer"),
            transform: transform(choice),
            read_only,
            write_only: write_only == 0,
            default: None,
            required: false,
        },
    )
}

fn templates() -> impl Strategy<Value = Vec<(String, Target, Template)>> {
    prop::collection::vec((0..TEMPLATE_KEYS.len(), 0..TEMPLATES.len()), 0..3).prop_map(|picks| {
        picks
            .into_iter()
            .map(|(k, t)| {
                let key = TEMPLATE_KEYS[k];
                (
                    key.to_owned(),
                    Target::parse(key).expect("key"),
                    Template::parse(TEMPLATES[t]).expect("template"),
                )
            })
            .collect()
    })
}

/// Strings of product fields.
const TEXTS: &[&str] = &[
    "a",
    "x",
    "y",
    "active",
    "suspended",
    "work",
    "Work",
    "home",
    "é\"\\\n",
    "",
];

/// Values of product fields, nested, with keys from the pool so that pointers and typed elements meet them.
fn value() -> impl Strategy<Value = Value> {
    let numbers = prop_oneof![any::<i32>().prop_map(Value::from), (-1e6f64..1e6).prop_map(Value::from)];
    crate::json::strategy::pooled_json(FIELDS, TEXTS, numbers)
}

/// A multi-valued attribute's elements, their `type` in any case.
fn typed_list() -> impl Strategy<Value = Value> {
    let element = (
        prop::sample::select(vec!["work", "Work", "home", "WORK", "mobile"]),
        value(),
        any::<bool>(),
    )
        .prop_map(|(t, v, primary)| json!({"type": t, "value": v, "primary": primary}));
    prop::collection::vec(element, 0..4).prop_map(Value::Array)
}

fn product() -> impl Strategy<Value = Value> {
    (
        prop::option::of(typed_list()),
        prop_oneof![
            3 => (0u32..1000).prop_map(Value::from),
            1 => Just(json!("u-1")),
            1 => Just(json!("a/b c%é?#")),
            1 => Just(Value::Null),
        ],
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), value()), 0..9),
    )
        .prop_map(|(emails, id, fields)| {
            let mut object: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if let Some(emails) = emails {
                object.insert("emails".into(), emails);
            }
            object.insert("id".into(), id);
            Value::Object(object)
        })
}

fn projection() -> impl Strategy<Value = Projection> {
    let names = || prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3);
    (names(), names()).prop_map(|(attributes, excluded)| {
        Projection::from_lists(&attributes, &excluded).expect("names from the pool parse")
    })
}

fn resource(rules: Vec<Rule>, templates: Vec<(String, Target, Template)>) -> ResourceMapping {
    let file = crate::config::from_toml(include_str!("../../../config/examples/classic.toml")).expect("config");
    let mut res = crate::mapping::compile(&file.mappings["classic"], "m")
        .expect("mapping")
        .users;
    res.attributes = AttributeMap::new(rules, false).with_templates(templates);
    res
}

/// `render` as it was: `serde_json` maps all the way.
fn reference(kind: Kind, res: &ResourceMapping, object: &Value, base_url: &str) -> Result<Value, Error> {
    let id = res.id_of(object)?;
    let segment = percent_encoding::utf8_percent_encode(&id, crate::mapping::endpoint::COMPONENT);
    let location = format!("{base_url}/{}/{segment}", kind.endpoint);
    let mut out = Map::with_capacity(24);
    out.insert("schemas".into(), Value::Null);
    out.insert("id".into(), Value::String(id));
    oracle::to_scim_into(&res.attributes, object, &mut out);
    let mut schemas = vec![Value::String(kind.schema.to_owned())];
    schemas.extend(
        out.keys()
            .filter(|k| k.starts_with("urn:"))
            .map(|k| Value::String(k.clone())),
    );
    out.insert("schemas".into(), Value::Array(schemas));
    let mut meta = match out.shift_remove("meta") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    meta.insert("resourceType".into(), Value::String(kind.name.to_owned()));
    meta.insert("location".into(), Value::String(location));
    let version = meta.get("version").and_then(Scalar::of).and_then(etag_of);
    if let Some(v) = &version {
        meta.insert("version".into(), Value::String(v.clone()));
    }
    out.insert("meta".into(), Value::Object(meta));
    Ok(Value::Object(out))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The same resource, projected or not, as the same bytes.
    #[test]
    fn renders_what_the_value_renderer_rendered(
        rules in prop::collection::vec(rule(), 0..12),
        templates in templates(),
        object in product(),
        projection in projection(),
    ) {
        let res = resource(rules, templates);
        let from_value = render_doc(USER, &res, View::Value(&object), BASE).map(|r| r.doc.into_value());
        let expected = reference(USER, &res, &object, BASE);
        prop_assert_eq!(
            from_value.as_ref().ok().and_then(|v| serde_json::to_string(v).ok()),
            expected.as_ref().ok().and_then(|v| serde_json::to_string(v).ok())
        );
        // The object as the product's answer: parsed in place, as GET /Users/{id} reads it, against the answer
        // parsed into a Value (serde_json's float parsing may move the last digit either way).
        let text = serde_json::to_vec(&object).expect("serialize");
        let object = crate::json::from_slice(&text, crate::json::Policy::Lenient).expect("parse");
        let expected = reference(USER, &res, &object, BASE);
        let parsed = crate::json::doc_from_slice(&text).expect("parse");
        let rendered = render_doc(USER, &res, View::Doc(&parsed), BASE);
        match (expected, rendered) {
            (Err(e), Err(r)) => prop_assert_eq!(e.detail, r.detail),
            (Ok(expected), Ok(rendered)) => {
                let text = serde_json::to_string(&expected).expect("serialize");
                let converted = serde_json::to_string(&rendered.doc.clone().into_value()).expect("serialize");
                prop_assert_eq!(&converted, &text);
                let mut whole = Vec::new();
                rendered.doc.write_json(&mut whole).expect("serialize");
                prop_assert_eq!(String::from_utf8(whole).ok(), Some(text));
                let schema = &res.schema;
                let projected = serde_json::to_string(&projection.apply(expected, schema)).expect("serialize");
                let mut bytes = Vec::new();
                projection.apply(rendered.doc, schema).write_json(&mut bytes).expect("serialize");
                prop_assert_eq!(String::from_utf8(bytes).ok(), Some(projected));
            }
            (e, r) => prop_assert!(false, "one failed, the other did not: {:?} / {:?}", e, r.map(|r| r.location)),
        }
    }
}
