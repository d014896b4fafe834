//! The attribute constructs of the mapping language, end to end: the real listener, real HTTP and the sample
//! product's classic shape, mapped by `tests/fixtures/mapping-constructs-classic.toml`. Each test looks at the
//! product's own objects too, through its API, to show what the gateway sent.

mod common;

use common::{Gateway, TenantSpec, assert_scim_error, send};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn mapping() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mapping-constructs-classic.toml");
    std::fs::read_to_string(path).expect("fixture")
}

/// A gateway in front of one classic sample product, with the constructs mapping changed by `edit`.
async fn gateway(edit: impl Fn(String) -> String) -> Gateway {
    common::start_with_mapping(&[TenantSpec::new("t")], "", &edit(mapping())).await
}

/// A call to the product's own API, as another of its clients would make it.
async fn product(g: &Gateway, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let url = format!("{}{path}", g.product(0).base_url());
    let mut req = reqwest::Client::new()
        .request(method, url)
        .header("X-Api-Key", "product-key-t");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("product call");
    let status = resp.status();
    let bytes = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn create(g: &Gateway, body: Value) -> Value {
    let (status, _, created) = send(g.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

#[tokio::test]
async fn a_status_outside_the_value_map_reads_as_read_fallback() {
    let g = gateway(|m| m).await;
    let ada = create(
        &g,
        json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com", "active": true}),
    )
    .await;
    let id = ada["id"].as_str().unwrap();
    // The product's other clients set a status the value map does not know (as "invited" or "pending" would be).
    let (s, _) = product(
        &g,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (status, _, user) = send(g.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["active"], false, "{user}");
    let (status, _, list) = send(g.req(0, Method::GET, "/Users?filter=active%20eq%20false")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["totalResults"], 1, "{list}");
    // A PUT that leaves `active` as it was read keeps the product's own status.
    let mut put = user.clone();
    put["title"] = json!("CTO");
    let (status, _, user) = send(g.req(0, Method::PUT, &format!("/Users/{id}")).json(&put)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let (_, held) = product(&g, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(
        (&held["status"], &user["title"]),
        (&json!("suspended"), &json!("CTO")),
        "{held}"
    );
}

#[tokio::test]
async fn without_read_fallback_an_unknown_product_value_is_a_502_naming_value_and_rule() {
    let g = gateway(|m| m.replace(", read_fallback = false", "")).await;
    let ada = create(&g, json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com"})).await;
    let id = ada["id"].as_str().unwrap();
    product(
        &g,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"status": "suspended"})),
    )
    .await;
    for path in [format!("/Users/{id}"), "/Users".to_owned()] {
        let (status, _, body) = send(g.req(0, Method::GET, &path)).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert_scim_error(&body, 502, None);
        let detail = body["detail"].as_str().unwrap();
        for needle in ["\"suspended\"", "active", "read_fallback"] {
            assert!(detail.contains(needle), "{detail}");
        }
    }
}

#[tokio::test]
async fn a_custom_field_is_read_from_its_array_element_and_written_to_its_map_entry() {
    let g = gateway(|m| m).await;
    let ada = create(
        &g,
        json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com", "title": "CTO"}),
    )
    .await;
    assert_eq!(ada["title"], "CTO", "{ada}");
    let id = ada["id"].as_str().unwrap();
    let (_, held) = product(&g, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(held["custom_fields"], json!([{"id": 5, "value": "CTO"}]), "{held}");
    // Another client's field stays as it is.
    product(
        &g,
        Method::PATCH,
        &format!("/users/{id}"),
        Some(json!({"custom_field_values": {"7": "x"}})),
    )
    .await;
    let ops = patch(json!([{"op": "replace", "path": "title", "value": "CFO"}]));
    let (status, _, user) = send(g.req(0, Method::PATCH, &format!("/Users/{id}")).json(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["title"], "CFO");
    let (_, held) = product(&g, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(
        held["custom_fields"],
        json!([{"id": 5, "value": "CFO"}, {"id": 7, "value": "x"}])
    );
}

#[tokio::test]
async fn a_user_created_outside_scim_reads_its_display_name_from_the_fallback_pointer() {
    let g = gateway(|m| m).await;
    let (s, held) = product(
        &g,
        Method::POST,
        "/users",
        Some(json!({"username": "grace", "email": "grace@example.com", "full_name": "Grace Hopper"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    let id = held["id"].to_string();
    let (_, _, user) = send(g.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(user["displayName"], "Grace Hopper", "{user}");
    let ops = patch(json!([{"op": "replace", "path": "displayName", "value": "Amazing Grace"}]));
    let (status, _, user) = send(g.req(0, Method::PATCH, &format!("/Users/{id}")).json(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["displayName"], "Amazing Grace");
    let (_, held) = product(&g, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(
        (&held["display_name"], &held["full_name"]),
        (&json!("Amazing Grace"), &json!("Grace Hopper")),
        "written to the first pointer"
    );
}

#[tokio::test]
async fn an_ignored_attribute_is_accepted_but_never_sent_returned_or_advertised() {
    let g = gateway(|m| m).await;
    let ada = create(
        &g,
        json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com", "nickName": "Al"}),
    )
    .await;
    assert!(ada.get("nickName").is_none(), "{ada}");
    let id = ada["id"].as_str().unwrap();
    let (_, held) = product(&g, Method::GET, &format!("/users/{id}"), None).await;
    assert!(!held.to_string().contains("Al\""), "{held}");
    let ops = patch(json!([{"op": "replace", "path": "nickName", "value": "Ace"}]));
    let (status, _, user) = send(g.req(0, Method::PATCH, &format!("/Users/{id}")).json(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert!(user.get("nickName").is_none());
    let (_, _, schema) = send(g.req(0, Method::GET, &format!("/Schemas/{USER_SCHEMA}"))).await;
    assert!(!schema.to_string().contains("\"nickName\""), "not advertised");
    // `unmapped = "reject"` still holds for everything else.
    let body = json!({"schemas": [USER_SCHEMA], "userName": "bob", "profileUrl": "https://x"});
    let (status, _, err) = send(g.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["detail"].as_str().unwrap().contains("profileUrl"), "{err}");
}

#[tokio::test]
async fn defaults_copy_the_email_from_user_name_and_pick_the_department_by_condition() {
    let g = gateway(|m| m).await;
    let contractor = json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com", "title": "Contractor"});
    let ada = create(&g, contractor).await;
    assert_eq!(ada["emails"][0]["value"], "ada@example.com", "{ada}");
    assert_eq!(ada[ENTERPRISE]["department"], "Contractors", "{ada}");
    let staff = json!({"schemas": [USER_SCHEMA], "userName": "bob@example.com",
        "emails": [{"type": "work", "value": "robert@example.com"}]});
    let bob = create(&g, staff).await;
    assert_eq!(
        bob["emails"][0]["value"], "robert@example.com",
        "a value the IdP sends is kept"
    );
    assert_eq!(bob[ENTERPRISE]["department"], "Staff");
    let (_, held) = product(
        &g,
        Method::GET,
        &format!("/users/{}", ada["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        (&held["email"], &held["department"]),
        (&json!("ada@example.com"), &json!("Contractors"))
    );
}

/// PATCH `name.givenName` of a user whose profile holds both names; the family name the product keeps after it.
async fn family_name_after_a_given_name_patch(g: &Gateway) -> Value {
    let body = json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"}});
    let ada = create(g, body).await;
    let id = ada["id"].as_str().unwrap();
    let ops = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Augusta"}]));
    let (status, _, user) = send(g.req(0, Method::PATCH, &format!("/Users/{id}")).json(&ops)).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    let (_, held) = product(g, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(held["profile"]["given"], "Augusta", "{held}");
    held["profile"]["family"].clone()
}

#[tokio::test]
async fn a_sub_object_the_product_replaces_whole_loses_siblings_unless_sent_whole() {
    // Without `whole`, the one changed field is sent alone and the product's whole-object replacement drops the
    // family name.
    let lossy = gateway(|m| m.replace(r#"{ pointer = "/profile/given", whole = true }"#, r#""/profile/given""#)).await;
    assert_eq!(family_name_after_a_given_name_patch(&lossy).await, Value::Null);
    let whole = gateway(|m| m).await;
    assert_eq!(family_name_after_a_given_name_patch(&whole).await, "Lovelace");
}

async fn group(g: &Gateway, name: &str) -> String {
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name});
    let (status, _, created) = send(g.req(0, Method::POST, "/Groups").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn members(g: &Gateway, group: &str, op: &str, users: &[&str]) -> (StatusCode, Value) {
    let value: Vec<Value> = users.iter().map(|u| json!({"value": u})).collect();
    let ops = patch(json!([{"op": op, "path": "members", "value": value}]));
    let (status, _, body) = send(g.req(0, Method::PATCH, &format!("/Groups/{group}")).json(&ops)).await;
    (status, body)
}

async fn team_of(g: &Gateway, user: &str) -> Value {
    product(g, Method::GET, &format!("/users/{user}"), None).await.1["team_id"].clone()
}

#[tokio::test]
async fn a_user_in_another_team_is_refused_with_409_and_nothing_changes() {
    let g = gateway(|m| m).await;
    let (ops, dev) = (group(&g, "Ops").await, group(&g, "Dev").await);
    let ada = create(&g, json!({"schemas": [USER_SCHEMA], "userName": "ada@example.com"})).await;
    let bob = create(&g, json!({"schemas": [USER_SCHEMA], "userName": "bob@example.com"})).await;
    let (ada, bob) = (ada["id"].as_str().unwrap(), bob["id"].as_str().unwrap());
    let (status, body) = members(&g, &ops, "add", &[ada]).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(team_of(&g, ada).await, json!(ops.parse::<u64>().unwrap()));

    let (status, body) = members(&g, &dev, "add", &[bob, ada]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_scim_error(&body, 409, Some("uniqueness"));
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("{ada:?}"))
            && detail.contains(&format!("{ops:?}"))
            && detail.contains(&format!("{dev:?}")),
        "names the user and both groups: {detail}"
    );
    assert_eq!(team_of(&g, ada).await, json!(ops.parse::<u64>().unwrap()), "not moved");
    assert_eq!(team_of(&g, bob).await, Value::Null, "nothing changed");

    // Removing the member clears the field; then the other team may have it.
    let (status, body) = members(&g, &ops, "remove", &[ada]).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(team_of(&g, ada).await, Value::Null);
    let (status, body) = members(&g, &dev, "add", &[bob, ada]).await;
    assert!(status.is_success(), "{body}");
    let (_, _, listed) = send(g.req(0, Method::GET, &format!("/Groups/{dev}"))).await;
    assert_eq!(common::member_values(&listed).len(), 2, "{listed}");
}

/// `scimgate preview --config <the constructs mapping> <flag> <file holding json>` (a string is passed as it is),
/// with more flags: its stdout.
/// On failure, its stderr.
fn preview(args: &[(&str, Value)]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mapping-constructs-classic.toml");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_scimgate"));
    command.arg("preview").arg("--config").arg(config);
    for (i, (flag, json)) in args.iter().enumerate() {
        if let Value::String(word) = json {
            command.arg(flag).arg(word);
            continue;
        }
        let file = dir.path().join(format!("{i}.json"));
        std::fs::write(&file, json.to_string()).expect("json file");
        command.arg(flag).arg(file);
    }
    let out = command.output().expect("scimgate preview");
    let text = if out.status.success() { out.stdout } else { out.stderr };
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn preview_shows_each_construct() {
    let held = json!({"id": 17, "username": "ada@example.com", "email": "ada@example.com", "status": "suspended",
        "profile": {"given": "Ada", "family": "Lovelace"}, "full_name": "Ada King",
        "custom_fields": [{"id": 5, "value": "CTO"}]});
    let read: Value = serde_json::from_str(&preview(&[("--product-json", held.clone())])).expect("a resource");
    assert_eq!(read["active"], false, "read_fallback: {read}");
    assert_eq!(read["title"], "CTO", "a selector: {read}");
    assert_eq!(read["displayName"], "Ada King", "a fallback pointer: {read}");

    let scim = json!({"schemas": [USER_SCHEMA], "userName": "bob@example.com", "title": "Contract", "nickName": "B"});
    let body: Value = serde_json::from_str(&preview(&[("--scim-json", scim)])).expect("a create body");
    assert_eq!(body["email"], "bob@example.com", "default from userName: {body}");
    assert_eq!(body["department"], "Contractors", "conditional default: {body}");
    assert_eq!(
        body["custom_field_values"],
        json!({"5": "Contract"}),
        "the write pointer: {body}"
    );
    assert!(!body.to_string().contains("\"B\""), "ignored: {body}");

    let ops = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Augusta"}]));
    let calls = preview(&[("--product-json", held), ("--patch", ops)]);
    assert!(calls.contains("PATCH /users/17"), "{calls}");
    assert!(
        calls.contains("\"family\": \"Lovelace\""),
        "the profile sent whole: {calls}"
    );
}

#[test]
fn preview_shows_a_member_add_refused_by_a_single_valued_team_field() {
    let team = json!({"id": 3, "name": "Dev"});
    let user = json!({"id": 7, "username": "ada@example.com", "email": "ada@example.com", "status": "active",
        "team_id": 2});
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": "7"}]}]));
    let out = preview(&[
        ("--resource", json!("group")),
        ("--product-json", team),
        ("--patch", add),
        ("--user-json", user),
    ]);
    assert!(
        out.contains("409") && out.contains("user \"7\" is in group \"2\""),
        "{out}"
    );
}
