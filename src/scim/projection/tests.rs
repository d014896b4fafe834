use super::*;
use crate::scim::schema::ENTERPRISE_USER_SCHEMA as ENT;
use crate::scim::schema::USER_SCHEMA;
use serde_json::json;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
        "id": "17",
        "userName": "ada",
        "password": "secret",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"type": "work", "value": "ada@example.com", "primary": true}],
        "meta": {"resourceType": "User"},
        ENT: {"employeeNumber": "7", "department": "Math"}
    })
}

fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    Projection::parse(attributes, excluded)
        .expect("valid names")
        .apply(user(), ResourceSchema::user())
}

#[test]
fn default_returns_everything_but_never_attributes() {
    let mut want = user();
    want.as_object_mut().unwrap().remove("password");
    assert_eq!(project(None, None), want);
}

#[test]
fn attributes_keep_id_and_schemas_and_the_named_ones() {
    let out = project(Some("userName,name.givenName"), None);
    assert_eq!(
        out,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
            "id": "17",
            "userName": "ada",
            "name": {"givenName": "Ada"}
        })
    );
}

#[test]
fn sub_attribute_of_multi_valued_and_core_urn_prefix() {
    let out = project(
        Some("emails.value,urn:ietf:params:scim:schemas:core:2.0:User:userName"),
        None,
    );
    assert_eq!(out["emails"], json!([{"value": "ada@example.com"}]));
    assert_eq!(out["userName"], "ada");
    assert!(out.get("meta").is_none());
}

#[test]
fn extension_attribute_and_whole_extension() {
    let out = project(Some(&format!("{ENT}:department")), None);
    assert_eq!(out[ENT], json!({"department": "Math"}));
    let out = project(Some(ENT), None);
    assert_eq!(out[ENT], json!({"employeeNumber": "7", "department": "Math"}));
    assert!(out.get("userName").is_none());
    let out = project(None, Some(ENT));
    assert!(out.get(ENT).is_none());
    let out = project(None, Some(&format!("{ENT}:department")));
    assert_eq!(out[ENT], json!({"employeeNumber": "7"}));
}

#[test]
fn excluded_never_removes_always_attributes() {
    let out = project(None, Some("id,emails,name.familyName"));
    assert_eq!(out["id"], "17");
    assert!(out.get("emails").is_none());
    assert_eq!(out["name"], json!({"givenName": "Ada"}));
}

#[test]
fn never_is_stripped_even_when_requested() {
    assert!(project(Some("password"), None).get("password").is_none());
}

#[test]
fn names_ignore_case() {
    let out = project(Some("USERNAME,Name.GivenName"), None);
    assert_eq!(
        (out["userName"].as_str(), out["name"]["givenName"].as_str()),
        (Some("ada"), Some("Ada"))
    );
}

#[test]
fn malformed_names_are_400_invalid_value() {
    let err: Error = Projection::parse(Some("userName,a.b.c"), None).unwrap_err().into();
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
    let err: Error = Projection::parse(None, Some("emails[type eq \"work\"]"))
        .unwrap_err()
        .into();
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn wants_tells_whether_an_attribute_is_returned() {
    let group = ResourceSchema::group();
    let default = Projection::default();
    assert!(default.wants(group, "members"));
    let excluded = Projection::parse(None, Some("members")).unwrap();
    assert!(!excluded.wants(group, "members"));
    assert!(excluded.wants(group, "displayName"));
    let only_name = Projection::parse(Some("displayName"), None).unwrap();
    assert!(!only_name.wants(group, "members"));
    assert!(only_name.wants(group, "id"), "id is returned always");
    let member_values = Projection::parse(Some("members.value"), None).unwrap();
    assert!(member_values.wants(group, "members"));
    assert!(!Projection::default().wants(ResourceSchema::user(), "password"));
    let user = ResourceSchema::user();
    assert!(
        Projection::parse(Some(ENT), None)
            .unwrap()
            .wants(user, &format!("{ENT}:manager"))
    );
}

#[test]
fn an_element_left_empty_is_dropped() {
    let mut value = json!([{"value": "a"}, {}, "x"]);
    keep_subs(&mut value, |_| true);
    assert_eq!(value, json!([{"value": "a"}, "x"]));
    let mut complex = json!({"givenName": "A", "familyName": "B"});
    keep_subs(&mut complex, |s| s == "givenName");
    assert_eq!(complex, json!({"givenName": "A"}));
}

#[test]
fn the_default_set_drops_elements_left_empty_whatever_the_sub_attributes() {
    let user = json!({"schemas": [USER_SCHEMA], "id": "1", "emails": [{}, {"value": "a@b.c"}], "name": {}});
    let projected = Projection::default().apply(user, ResourceSchema::user());
    assert_eq!(projected["emails"], json!([{"value": "a@b.c"}]));
    assert_eq!(projected["name"], json!({}), "an empty complex value stays as it was");
}
