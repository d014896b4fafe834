//! [`apply_with_schema`]: the rules taken from the RFC 7643 definitions.

use super::*;
use crate::scim::schema::{Access, ENTERPRISE_USER_SCHEMA as ENT, Mapped};
use serde_json::json;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "17",
        "userName": "ada@example.com",
        "active": true,
        "emails": [{"type": "work", "value": "ada@example.com", "primary": true}],
        "meta": {"resourceType": "User"}
    })
}

fn run_on(resource: &Value, schema: &ResourceSchema, ops: Value) -> Result<Value, PatchError> {
    let ops = parse(&json!({"schemas": [PATCH_SCHEMA], "Operations": ops}), 100)?;
    apply_with_schema(resource, &ops, schema)
}

fn run(ops: Value) -> Result<Value, PatchError> {
    run_on(&user(), ResourceSchema::user(), ops)
}

#[test]
fn unknown_attributes_and_sub_attributes_are_invalid_path() {
    for path in [
        "shoeSize",
        "name.nope",
        "urn:example:ext:1.0:User:x",
        "userName[value eq \"x\"]",
    ] {
        let err = run(json!([{"op": "add", "path": path, "value": "x"}])).unwrap_err();
        assert!(matches!(err, PatchError::Path(_)), "{path}: {err:?}");
    }
    let err = run(json!([{"op": "replace", "value": {"shoeSize": 44}}])).unwrap_err();
    assert!(matches!(err, PatchError::Path(_)));
    let err = run(json!([{"op": "add", "path": "name", "value": {"givenName": "A", "nope": 1}}])).unwrap_err();
    assert!(matches!(err, PatchError::Path(_)));
    let err = run(json!([{"op": "add", "path": "urn:example:ext:1.0:User", "value": {"a": 1}}])).unwrap_err();
    assert!(matches!(err, PatchError::Path(_)));
}

#[test]
fn read_only_attributes_are_mutability_errors() {
    for (op, path) in [
        ("replace", "id"),
        ("replace", "meta.lastModified"),
        ("add", "groups"),
        ("replace", "urn:ietf:params:scim:schemas:core:2.0:User:id"),
    ] {
        let err = run(json!([{"op": op, "path": path, "value": "x"}])).unwrap_err();
        assert!(matches!(err, PatchError::Mutability(_)), "{path}: {err:?}");
    }
    let err = run(json!([{"op": "replace", "path": format!("{ENT}:manager.displayName"), "value": "x"}])).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
    let err = run(json!([{"op": "replace", "value": {"id": "9"}}])).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
}

#[test]
fn immutable_sub_attributes_may_be_added_but_not_replaced() {
    let group = json!({"displayName": "g", "members": [{"value": "1"}]});
    let schema = ResourceSchema::group();
    let out = run_on(
        &group,
        schema,
        json!([{"op": "add", "path": "members", "value": [{"value": "2"}]}]),
    )
    .unwrap();
    assert_eq!(out["members"].as_array().unwrap().len(), 2);
    let err = run_on(
        &group,
        schema,
        json!([{"op": "replace", "path": "members[value eq \"1\"].value", "value": "3"}]),
    )
    .unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
    let out = run_on(
        &group,
        schema,
        json!([{"op": "remove", "path": "members[value eq \"9\"]"}]),
    )
    .unwrap();
    assert_eq!(out, group, "removing an absent member succeeds");
}

#[test]
fn booleans_are_coerced_only_where_the_schema_says_boolean() {
    let out = run(json!([{"op": "Replace", "value": {"active": "False", "title": "True"}}])).unwrap();
    assert_eq!(out["active"], json!(false));
    assert_eq!(out["title"], json!("True"));
    let out = run(json!([{"op": "add", "path": "emails", "value": [{"value": "b@x", "primary": "True"}]}])).unwrap();
    let emails = out["emails"].as_array().unwrap();
    assert_eq!(emails[1]["primary"], json!(true));
    assert_eq!(emails[0]["primary"], json!(false), "primary stays unique");
}

#[test]
fn entra_single_value_arrays_use_the_schema_multiplicity() {
    let out = run(json!([{"op": "replace", "path": "displayName", "value": [{"value": "Ada L"}]}])).unwrap();
    assert_eq!(out["displayName"], "Ada L");
    let out = run(json!([{"op": "replace", "path": format!("{ENT}:manager"), "value": [{"value": "42"}]}])).unwrap();
    assert_eq!(
        out[ENT]["manager"],
        json!({"value": "42"}),
        "a complex single value keeps its object"
    );
    let out = run(json!([{"op": "replace", "path": "nickName", "value": ["Ada"]}])).unwrap();
    assert_eq!(out["nickName"], "Ada");
    let out = run(json!([{"op": "replace", "path": "roles", "value": [{"value": "admin"}]}])).unwrap();
    assert_eq!(out["roles"], json!([{"value": "admin"}]));
}

#[test]
fn extension_paths_and_objects_are_checked_against_the_extension() {
    let out = run(json!([{"op": "add", "value": {
        ENT: {"employeeNumber": "7"},
        format!("{ENT}:department"): "Math",
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]
    }}]))
    .unwrap();
    assert_eq!(out[ENT], json!({"employeeNumber": "7", "department": "Math"}));
    let err = run(json!([{"op": "add", "path": ENT, "value": {"shoeSize": 1}}])).unwrap_err();
    assert!(matches!(err, PatchError::Path(_)));
}

#[test]
fn restricted_schema_refuses_unmapped_and_read_only_mapped_attributes() {
    let schema = ResourceSchema::user()
        .restricted(&[
            Mapped::new("userName", Access::ReadWrite),
            Mapped::new("title", Access::ReadOnly),
        ])
        .unwrap();
    let err = run_on(
        &user(),
        &schema,
        json!([{"op": "add", "path": "nickName", "value": "x"}]),
    )
    .unwrap_err();
    assert!(matches!(err, PatchError::Path(_)));
    let err = run_on(&user(), &schema, json!([{"op": "add", "path": "title", "value": "x"}])).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
    let out = run_on(
        &user(),
        &schema,
        json!([{"op": "replace", "path": "userName", "value": "b"}]),
    )
    .unwrap();
    assert_eq!(out["userName"], "b");
}

#[test]
fn value_path_rules_from_the_schema() {
    let out = run(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "n@x"}])).unwrap();
    assert_eq!(out["emails"][0]["value"], "n@x");
    let err = run(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])).unwrap_err();
    assert!(matches!(err, PatchError::NoTarget(_)));
    let out = run(json!([{"op": "remove", "path": "emails"}])).unwrap();
    assert!(out.get("emails").is_none());
}

fn types(ops: Value) -> Result<(), PatchError> {
    let ops = parse(&json!({"schemas": [PATCH_SCHEMA], "Operations": ops}), 100)?;
    check_types(&ops, ResourceSchema::user())
}

#[test]
fn values_of_another_type_are_invalid_value_naming_the_attribute() {
    for (ops, named) in [
        (
            json!([{"op": "replace", "path": "userName", "value": {"$ne": 1}}]),
            "userName",
        ),
        (json!([{"op": "replace", "path": "title", "value": 5}]), "title"),
        (
            json!([{"op": "replace", "value": {"displayName": ["a", "b"]}}]),
            "displayName",
        ),
        (
            json!([{"op": "replace", "path": "name", "value": {"givenName": true}}]),
            "name.givenName",
        ),
        (
            json!([{"op": "add", "path": "emails", "value": [{"value": {"a": 1}}]}]),
            "emails.value",
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": 7}]),
            "emails[type eq \"work\"].value",
        ),
        (json!([{"op": "replace", "path": "active", "value": "maybe"}]), "active"),
        (
            json!([{"op": "replace", "path": format!("{ENT}:manager"), "value": [{"value": "1"}, {"value": "2"}]}]),
            "manager",
        ),
        (
            json!([{"op": "replace", "value": {ENT: {"department": {"x": 1}}}}]),
            "department",
        ),
    ] {
        match types(ops.clone()) {
            Err(PatchError::Value(m)) => assert!(m.contains(named), "{ops}: {m}"),
            other => panic!("{ops}: {other:?}"),
        }
    }
}

#[test]
fn idp_dialect_values_fit_their_types() {
    for ops in [
        // Entra: booleans as strings, single values wrapped, the manager as a bare id.
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
        json!([{"op": "Add", "path": "title", "value": [{"value": "CTO"}]}]),
        json!([{"op": "Add", "path": format!("{ENT}:manager"), "value": "42"}]),
        json!([{"op": "Add", "path": format!("{ENT}:manager"), "value": [{"value": "42"}]}]),
        json!([{"op": "Add", "path": "emails", "value": {"type": "home", "value": "a@x", "primary": "True"}}]),
        // Okta: a path-less value.
        json!([{"op": "replace", "value": {"active": false, "name": {"givenName": "A"}}}]),
        // Unknown paths are the application's to name.
        json!([{"op": "replace", "path": "shoeSize", "value": {"x": 1}}]),
        json!([{"op": "remove", "path": "title"}]),
    ] {
        assert_eq!(types(ops.clone()), Ok(()), "{ops}");
    }
}
