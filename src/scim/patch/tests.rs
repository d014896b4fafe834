use super::*;
use crate::scim::filter::CoreTypes;
use serde_json::json;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "17",
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "active": true,
        "emails": [{"type": "work", "value": "ada@example.com", "primary": true}],
        "meta": {"resourceType": "User"}
    })
}

fn run(body: Value) -> Result<Value, PatchError> {
    let ops = parse(&body, 100)?;
    apply(&user(), &ops, &CoreTypes)
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

#[test]
fn replace_simple_attribute_with_capitalised_op() {
    let out = run(patch(
        json!([{"op": "Replace", "path": "name.givenName", "value": "Augusta"}]),
    ))
    .unwrap();
    assert_eq!(out["name"]["givenName"], "Augusta");
    assert_eq!(out["name"]["familyName"], "Lovelace");
}

#[test]
fn entra_string_boolean_is_coerced() {
    let out = run(patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))).unwrap();
    assert_eq!(out["active"], json!(false));
}

#[test]
fn okta_pathless_active_false() {
    let out = run(patch(json!([{"op": "replace", "value": {"active": false}}]))).unwrap();
    assert_eq!(out["active"], json!(false));
}

#[test]
fn pathless_value_with_dotted_and_urn_keys() {
    let out = run(patch(json!([{"op": "Add", "value": {
        "name.familyName": "Byron",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Math",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}
    }}])))
    .unwrap();
    assert_eq!(out["name"]["familyName"], "Byron");
    let ext = &out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(ext["department"], "Math");
    assert_eq!(ext["employeeNumber"], "7");
}

#[test]
fn replace_value_path_sub_attribute() {
    let out = run(patch(
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@b.c"}]),
    ))
    .unwrap();
    assert_eq!(out["emails"][0]["value"], "a@b.c");
    assert_eq!(out["emails"].as_array().unwrap().len(), 1);
}

#[test]
fn entra_add_to_missing_typed_element_creates_it() {
    let out = run(patch(
        json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}]),
    ))
    .unwrap();
    assert_eq!(out["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555"}]));
}

#[test]
fn add_to_multi_valued_merges_without_duplicates_and_keeps_one_primary() {
    let ops = json!([{"op": "add", "path": "emails", "value": [
        {"type": "work", "value": "ada@example.com", "primary": true},
        {"type": "home", "value": "ada@home.org", "primary": true}
    ]}]);
    let out = run(patch(ops)).unwrap();
    let emails = out["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails.iter().filter(|e| e["primary"] == json!(true)).count(), 1);
    assert_eq!(emails[1]["primary"], json!(true));
}

#[test]
fn add_is_idempotent() {
    let body = patch(json!([{"op": "add", "path": "emails", "value": [{"type": "home", "value": "x@y.z"}]}]));
    let ops = parse(&body, 10).unwrap();
    let once = apply(&user(), &ops, &CoreTypes).unwrap();
    let twice = apply(&once, &ops, &CoreTypes).unwrap();
    assert_eq!(once, twice);
}

#[test]
fn remove_attribute_and_filtered_values() {
    let out = run(patch(json!([{"op": "remove", "path": "name.givenName"}]))).unwrap();
    assert!(out["name"].get("givenName").is_none());
    let out = run(patch(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]))).unwrap();
    assert!(
        out.get("emails").is_none(),
        "an emptied multi-valued attribute is unassigned"
    );
}

#[test]
fn remove_with_filter_matching_nothing_is_no_target() {
    let err = run(patch(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]))).unwrap_err();
    assert!(matches!(err, PatchError::NoTarget(_)));
}

#[test]
fn remove_without_path_is_no_target() {
    let err = run(patch(json!([{"op": "remove"}]))).unwrap_err();
    assert!(matches!(err, PatchError::NoTarget(_)));
}

#[test]
fn read_only_attributes_are_refused() {
    let err = run(patch(json!([{"op": "replace", "path": "id", "value": "9"}]))).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
    let err = run(patch(json!([{"op": "replace", "value": {"meta": {}}}]))).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
}

#[test]
fn malformed_requests_are_syntax_errors() {
    assert!(matches!(
        run(json!({"Operations": "x"})).unwrap_err(),
        PatchError::Syntax(_)
    ));
    assert!(matches!(
        run(patch(json!([{"op": "move", "path": "a"}]))).unwrap_err(),
        PatchError::Syntax(_)
    ));
    assert!(matches!(run(patch(json!([]))).unwrap_err(), PatchError::Syntax(_)));
    assert!(matches!(
        run(json!({"schemas": ["urn:x"], "Operations": []})).unwrap_err(),
        PatchError::Syntax(_)
    ));
    assert!(matches!(
        run(patch(json!([{"op": "add", "path": "emails[", "value": 1}]))).unwrap_err(),
        PatchError::Path(_)
    ));
}

#[test]
fn operation_count_is_bounded() {
    let ops: Vec<Value> = (0..11)
        .map(|_| json!({"op": "add", "path": "title", "value": "x"}))
        .collect();
    assert!(parse(&patch(json!(ops)), 10).is_err());
}

#[test]
fn failed_patch_leaves_the_resource_untouched() {
    let original = user();
    let ops = parse(
        &patch(json!([
            {"op": "replace", "path": "title", "value": "x"},
            {"op": "remove", "path": "emails[type eq \"fax\"]"}
        ])),
        10,
    )
    .unwrap();
    assert!(apply(&original, &ops, &CoreTypes).is_err());
    assert_eq!(original, user());
}

#[test]
fn removing_an_absent_member_succeeds() {
    let group = json!({"displayName": "g", "members": [{"value": "1"}]});
    let ops = parse(&patch(json!([{"op": "Remove", "path": "members[value eq \"2\"]"}])), 10).unwrap();
    assert_eq!(apply(&group, &ops, &CoreTypes).unwrap(), group);
}

#[test]
fn single_value_sent_as_array_is_unwrapped() {
    let out = run(patch(
        json!([{"op": "Replace", "path": "displayName", "value": ["Ada L"]}]),
    ))
    .unwrap();
    assert_eq!(out["displayName"], "Ada L");
}

#[test]
fn a_whole_extension_as_the_path_sets_its_attributes() {
    let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let out = run(patch(
        json!([{"op": "add", "path": urn, "value": {"department": "Math", "manager": {"value": "42"}}}]),
    ))
    .unwrap();
    assert_eq!(out[urn]["department"], "Math");
    assert_eq!(out[urn]["manager"]["value"], "42");
    let ops = parse(&patch(json!([{"op": "remove", "path": urn}])), 10).unwrap();
    assert!(apply(&out, &ops, &CoreTypes).unwrap().get(urn).is_none());
}

#[test]
fn entra_remove_members_with_a_value_list_removes_only_those() {
    let group = json!({"displayName": "g", "members": [{"value": "1"}, {"value": "2", "display": "Two"}]});
    let body = patch(json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "2"}]}]));
    let out = apply(&group, &parse(&body, 10).unwrap(), &CoreTypes).unwrap();
    assert_eq!(out["members"], json!([{"value": "1"}]));
    let body = patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "1"}]}]));
    let out = apply(&out, &parse(&body, 10).unwrap(), &CoreTypes).unwrap();
    assert!(
        out.get("members").is_none(),
        "an emptied multi-valued attribute is unassigned"
    );
    let body = patch(json!([{"op": "remove", "path": "members", "value": null}]));
    assert!(
        apply(&group, &parse(&body, 10).unwrap(), &CoreTypes)
            .unwrap()
            .get("members")
            .is_none()
    );
}

#[test]
fn okta_restating_the_own_id_beside_a_rename_is_accepted() {
    let group = json!({"id": "g1", "displayName": "old"});
    let body = patch(json!([{"op": "replace", "value": {"id": "g1", "displayName": "new"}}]));
    let out = apply(&group, &parse(&body, 10).unwrap(), &CoreTypes).unwrap();
    assert_eq!(out, json!({"id": "g1", "displayName": "new"}));
    let body = patch(json!([{"op": "replace", "value": {"id": "g2", "displayName": "new"}}]));
    let err = apply(&group, &parse(&body, 10).unwrap(), &CoreTypes).unwrap_err();
    assert!(matches!(err, PatchError::Mutability(_)));
}
