//! The edges of every input: ids that would be dot segments, values of the wrong SCIM type, multi-valued input
//! the product cannot store, and a create whose deactivation fails. Each is answered before the product sees
//! anything it should not, or the answer says what state the product was left in.

mod common;

use common::{TenantSpec, assert_scim_error, raw, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct, Shape};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn named() -> common::Gateway {
    common::start_with_mapping(
        &[TenantSpec::shaped("named", Shape::Named)],
        "",
        &common::example_mapping("named"),
    )
    .await
}

/// Send one request exactly as written (no client normalises its path) and read the status and JSON body.
async fn raw_request(gw: &common::Gateway, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} /scim/v2{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        token = gw.tenants[0].token,
        len = body.len(),
    );
    let mut tls = raw::connect(gw).await;
    tls.write_all(request.as_bytes()).await.expect("write request");
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.ok();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Whether a product call's path has a `.` or `..` segment.
fn has_dot_segment(path: &str) -> bool {
    path.split(['/', '?']).any(|s| s == "." || s == "..")
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

#[tokio::test]
async fn dot_ids_are_not_found_without_a_product_call() {
    let gw = named().await;
    let replace = patch(json!([{"op": "replace", "path": "title", "value": "x"}]));
    for id in ["..", ".", "%2E%2E", "%2e", ".%2E"] {
        for (method, body) in [("GET", None), ("DELETE", None), ("PATCH", Some(&replace))] {
            for endpoint in ["Users", "Groups"] {
                let (status, body) = raw_request(&gw, method, &format!("/{endpoint}/{id}"), body).await;
                assert_eq!(status, 404, "{method} /{endpoint}/{id}: {body}");
                assert_scim_error(&body, 404, None);
            }
        }
    }
    let log = gw.product(0).request_log();
    assert!(log.is_empty(), "no call reached the product: {log:?}");
}

#[tokio::test]
async fn a_dot_member_is_an_unknown_member_and_never_a_product_path() {
    let gw = named().await;
    let (status, _, ada) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "A", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"});
    let (status, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    for (member, name) in [("..", "Dev"), (".", "Qa")] {
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": member}]}]));
        let (status, _, body) = send(gw.req(0, Method::PATCH, "/Groups/Ops").json(&add)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_scim_error(&body, 400, Some("invalidValue"));
        // The same answer as for a member id no user has.
        let unknown = patch(json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]));
        let (status, _, other) = send(gw.req(0, Method::PATCH, "/Groups/Ops").json(&unknown)).await;
        assert_eq!(
            (status, other["scimType"].clone()),
            (StatusCode::BAD_REQUEST, body["scimType"].clone())
        );
        let with_member = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name, "members": [{"value": member}]});
        let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&with_member)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_scim_error(&body, 400, Some("invalidValue"));
    }
    assert_eq!(gw.product(0).team_members("Ops"), Some(Vec::new()));
    let log = gw.product(0).request_log();
    assert!(!log.iter().any(|(_, path)| has_dot_segment(path)), "{log:?}");
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The product calls made since `since` calls.
fn calls_since(gw: &common::Gateway, since: usize) -> Vec<(String, String)> {
    gw.product(0).request_log().split_off(since)
}

/// A 400 `invalidValue` whose detail names `named`.
fn assert_invalid_value(status: StatusCode, body: &Value, named: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_scim_error(body, 400, Some("invalidValue"));
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(named), "the detail names {named}: {body}");
}

#[tokio::test]
async fn values_of_another_scim_type_are_refused_before_any_product_call() {
    let gw = common::start(&[TenantSpec::new("types")]).await;
    let (status, _, ada) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "A", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    let uid = ada["id"].as_str().expect("id").to_owned();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"});
    let (status, _, ops) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{ops}");
    let gid = ops["id"].as_str().expect("id").to_owned();
    let since = gw.product(0).request_log().len();

    let with = |name: &str, value: Value| {
        let mut body = user("eve@example.com", "E", "V");
        body[name] = value;
        body
    };
    for (method, path, body, named) in [
        (
            Method::POST,
            "/Users".to_owned(),
            with("userName", json!({"$ne": 1})),
            "userName",
        ),
        (Method::POST, "/Users".to_owned(), with("title", json!(5)), "title"),
        (
            Method::POST,
            "/Users".to_owned(),
            with("name", json!({"givenName": ["E"]})),
            "name.givenName",
        ),
        (
            Method::POST,
            "/Users".to_owned(),
            with("active", json!({"$gt": ""})),
            "active",
        ),
        (
            Method::PUT,
            format!("/Users/{uid}"),
            with("displayName", json!(["a", "b"])),
            "displayName",
        ),
        (
            Method::PATCH,
            format!("/Users/{uid}"),
            patch(json!([{"op": "replace", "path": "title", "value": {"$ne": 1}}])),
            "title",
        ),
        (
            Method::PATCH,
            format!("/Users/{uid}"),
            patch(json!([{"op": "Replace", "value": {"name.givenName": 7}}])),
            "name.givenName",
        ),
        (
            Method::POST,
            "/Groups".to_owned(),
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": {"$ne": 1}}),
            "displayName",
        ),
        (
            Method::PATCH,
            format!("/Groups/{gid}"),
            patch(json!([{"op": "replace", "path": "displayName", "value": 42}])),
            "displayName",
        ),
        (
            Method::PATCH,
            format!("/Groups/{gid}"),
            patch(json!([{"op": "add", "path": "members", "value": [{"value": {"$ne": 1}}]}])),
            "members.value",
        ),
    ] {
        let (status, _, body) = send(gw.req(0, method.clone(), &path).json(&body)).await;
        assert_invalid_value(status, &body, named);
    }
    let calls = calls_since(&gw, since);
    assert!(calls.is_empty(), "no product call: {calls:?}");
    // Entra's booleans as strings still pass.
    let entra = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{uid}")).json(&entra)).await;
    assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(false)), "{body}");
}

#[tokio::test]
async fn multi_valued_input_the_product_cannot_store_is_refused_by_name() {
    let gw = common::start(&[TenantSpec::new("multi")]).await;
    let mut boss = user("boss@example.com", "B", "S");
    boss["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = json!({"department": "R&D"});
    let (status, _, boss) = send(gw.req(0, Method::POST, "/Users").json(&boss)).await;
    assert_eq!(status, StatusCode::CREATED, "{boss}");
    let boss_id = boss["id"].as_str().expect("id").to_owned();
    let since = gw.product(0).request_log().len();

    // `manager` is a singular complex attribute: an array is refused on create, not dropped.
    let mut ada = user("ada@example.com", "A", "L");
    ada["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]);
    ada[ENTERPRISE] = json!({"manager": [{"value": boss_id}]});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&ada)).await;
    assert_invalid_value(status, &body, "manager");

    // Two work e-mails where the product stores one: refused, naming the attribute and the type.
    let mut two = user("ada@example.com", "A", "L");
    two["emails"] = json!([{"type": "work", "value": "ada@example.com", "primary": true},
        {"type": "work", "value": "ada@other.example"}]);
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&two)).await;
    assert_invalid_value(status, &body, "emails[type eq \"work\"]");
    let calls = calls_since(&gw, since);
    assert!(calls.is_empty(), "no product call: {calls:?}");
    assert_eq!(gw.product(0).users().len(), 1);

    // On a stored user: a manager array and a second work e-mail are refused, and what is stored stays.
    let (status, _, ada) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("ada@example.com", "A", "L")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ada}");
    let id = ada["id"].as_str().expect("id").to_owned();
    let set_manager = patch(json!([{"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": boss_id}]));
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&set_manager)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[ENTERPRISE]["manager"]["value"], boss_id.as_str());
    for ops in [
        json!([{"op": "replace", "value": {ENTERPRISE: {"manager": [{"value": "1"}, {"value": "2"}]}}}]),
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": [{"value": "1"}, {"value": "2"}]}]),
    ] {
        let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&patch(ops))).await;
        assert_invalid_value(status, &body, "manager");
    }
    let second =
        patch(json!([{"op": "add", "path": "emails", "value": [{"type": "work", "value": "ada@other.example"}]}]));
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&second)).await;
    assert_invalid_value(status, &body, "emails[type eq \"work\"]");
    let (status, _, after) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after[ENTERPRISE]["manager"]["value"], boss_id.as_str(), "{after}");
    assert_eq!(
        after["emails"],
        json!([{"type": "work", "value": "ada@example.com"}]),
        "{after}"
    );
}

/// The sample product behind a pass-through that answers 500 to the calls `fails` picks (method, path), as a
/// product whose deactivation (or delete) breaks. Returns the API base URL to give the gateway.
async fn failing_in_front_of(product: &SampleProduct, fails: fn(&str, &str) -> bool) -> String {
    let before = move |parts: &http::request::Parts| {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        fails(parts.method.as_str(), path).then_some(500)
    };
    common::interpose::in_front_of(product, before, common::interpose::unchanged).await
}

/// A gateway (named mapping: deactivation by endpoint) in front of `product` through a pass-through that fails
/// the calls `fails` picks.
async fn inactive_create(fails: fn(&str, &str) -> bool) -> (common::Gateway, SampleProduct) {
    let key = "named-key";
    let options = SampleOptions {
        api_key: key.into(),
        shape: Shape::Named,
        ..SampleOptions::default()
    };
    let product = SampleProduct::start(options).await.expect("sample product");
    let base = failing_in_front_of(&product, fails).await;
    let spec = TenantSpec {
        external: Some((base, key.into())),
        ..TenantSpec::shaped("named", Shape::Named)
    };
    let gw = common::start_with_mapping(&[spec], "", &common::example_mapping("named")).await;
    (gw, product)
}

fn inactive_user() -> Value {
    let mut body = user("ada@example.com", "Ada", "L");
    body["active"] = json!(false);
    body
}

#[tokio::test]
async fn a_user_created_inactive_whose_deactivation_fails_is_deleted_again() {
    let (gw, product) = inactive_create(|method, path| method == "POST" && path.ends_with("/deactivate")).await;
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&inactive_user())).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("not created") && detail.contains("deleted again"),
        "{body}"
    );
    assert!(
        product.users().is_empty(),
        "no active user is left: {:?}",
        product.users()
    );
    let calls: Vec<_> = product
        .request_log()
        .into_iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        calls.contains(&"DELETE /api/v1/users/ada%40example.com".to_owned()),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_user_left_active_after_a_failed_undo_is_named_in_the_answer() {
    let (gw, product) =
        inactive_create(|method, path| (method == "POST" && path.ends_with("/deactivate")) || method == "DELETE").await;
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&inactive_user())).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("\"ada@example.com\" was created but is still active"),
        "the answer says what state the product is in: {body}"
    );
    let users = product.users();
    assert_eq!((users.len(), &users[0]["disabled"]), (1, &json!(false)), "{users:?}");
}
