//! Rendering a product object as a SCIM resource: member order, `schemas`, `meta` and the entity tag.

use super::*;
use crate::mapping::attribute::{AttributeMap, Rule, Target};
use crate::mapping::pointer::Pointer;
use serde_json::json;

const BASE: &str = "https://scim.example.com/scim/v2";

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn rule(key: &str, pointer: &str) -> Rule {
    Rule::plain(
        key,
        Target::parse(key).expect("key"),
        Pointer::parse(pointer).expect("pointer"),
    )
}

/// The classic sample mapping's users, with these attribute rules.
fn users(rules: Vec<Rule>) -> ResourceMapping {
    let file = crate::config::from_toml(include_str!("../../../config/examples/classic.toml")).expect("config");
    let mut res = crate::mapping::compile(&file.mappings["classic"], "m")
        .expect("mapping")
        .users;
    res.attributes = AttributeMap::new(rules, false);
    res
}

fn text(rendered: &Rendered) -> String {
    serde_json::to_string(&rendered.json).expect("serialize")
}

#[test]
fn members_come_as_schemas_id_attributes_meta_with_extensions_listed() {
    let res = users(vec![
        rule("userName", "/login"),
        rule(&format!("{ENTERPRISE}:department"), "/dept"),
        rule("name.givenName", "/first"),
        rule("emails[type eq \"work\"].value", "/email"),
        rule("meta.created", "/created"),
    ]);
    let object = json!({"id": 7, "login": "ada", "dept": "Math", "first": "Ada", "email": "a@x.org",
        "created": "2024-01-01T00:00:00Z", "ignored": true});
    let rendered = render(USER, &res, &object, BASE).expect("render");
    assert_eq!(
        text(&rendered),
        concat!(
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","#,
            r#""urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"7","userName":"ada","#,
            r#""urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Math"},"#,
            r#""name":{"givenName":"Ada"},"emails":[{"type":"work","value":"a@x.org"}],"#,
            r#""meta":{"created":"2024-01-01T00:00:00Z","resourceType":"User","#,
            r#""location":"https://scim.example.com/scim/v2/Users/7"}}"#
        )
    );
    assert_eq!(rendered.location, "https://scim.example.com/scim/v2/Users/7");
    assert_eq!(rendered.version, None);
}

#[test]
fn a_mapped_id_keeps_its_place_and_meta_goes_last() {
    let res = users(vec![
        rule("meta", "/meta"),
        rule("id", "/other"),
        rule("title", "/title"),
    ]);
    let object = json!({"id": "u-1", "other": "x", "title": "Dr", "meta": {"lastModified": "t"}});
    let rendered = render(USER, &res, &object, BASE).expect("render");
    assert_eq!(
        text(&rendered),
        concat!(
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"x","title":"Dr","#,
            r#""meta":{"lastModified":"t","resourceType":"User","location":"https://scim.example.com/scim/v2/Users/u-1"}}"#
        )
    );
}

#[test]
fn a_product_version_becomes_a_weak_entity_tag() {
    for (version, tag) in [
        (json!(3), "W/\"3\""),
        (json!("abc"), "W/\"abc\""),
        (json!("a\"b"), "W/\"ab\""),
        (json!("W/\"x\""), "W/\"x\""),
        (json!("\"y\""), "\"y\""),
    ] {
        let res = users(vec![rule("meta.version", "/v")]);
        let rendered = render(USER, &res, &json!({"id": 1, "v": version}), BASE).expect("render");
        assert_eq!(rendered.version.as_deref(), Some(tag), "{version}");
        assert_eq!(rendered.json["meta"]["version"], json!(tag));
    }
    let res = users(vec![rule("meta.version", "/v")]);
    let rendered = render(USER, &res, &json!({"id": 1, "v": true}), BASE).expect("render");
    assert_eq!(rendered.version, None);
}

#[test]
fn the_location_carries_the_id_as_one_encoded_segment() {
    let res = users(Vec::new());
    let rendered = render(USER, &res, &json!({"id": "a/b c%é?#"}), BASE).expect("render");
    assert_eq!(rendered.json["id"], json!("a/b c%é?#"));
    assert_eq!(
        rendered.location,
        "https://scim.example.com/scim/v2/Users/a%2Fb%20c%25%C3%A9%3F%23"
    );
    assert!(render(USER, &res, &json!({"name": "no id"}), BASE).is_err());
}

#[test]
fn strings_are_escaped_in_the_answer_text() {
    let res = users(vec![rule("displayName", "/n")]);
    let rendered = render(USER, &res, &json!({"id": 1, "n": "q\" b\\ \n\u{1f} é"}), BASE).expect("render");
    assert!(
        text(&rendered).contains(r#""displayName":"q\" b\\ \n\u001f é""#),
        "{}",
        text(&rendered)
    );
}
