//! Writes that apply whole or not at all, and what they send the product: a group write whose members fail
//! leaves no group or rename behind, body-less product calls carry `Content-Length: 0`, a delete forgets every
//! cached name of the object, a PATCH of a read-only attribute is 400 `mutability`, and `""` clears an attribute
//! unless its mapping keeps empty strings. Each runs through the real listener against the sample product, with a
//! pass-through in front of it where a real product's behaviour is needed.

mod common;

use common::interpose::{After, in_front_of, unchanged};
use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::{SampleOptions, SampleProduct, Shape};
use serde_json::{Value, json};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What the pass-through does with a request before the product sees it: `Some(status)` answers it at once.
type Before = fn(&http::request::Parts) -> Option<u16>;

/// A gateway over a sample product of `shape` (its example mapping) behind a pass-through.
async fn behind(shape: Shape, before: Before, after: After) -> (common::Gateway, SampleProduct) {
    let key = "product-key";
    let options = SampleOptions {
        api_key: key.into(),
        shape,
        ..SampleOptions::default()
    };
    let product = SampleProduct::start(options).await.expect("sample product");
    let base = in_front_of(&product, before, after).await;
    let spec = TenantSpec {
        external: Some((base, key.into())),
        ..TenantSpec::shaped(shape.as_str(), shape)
    };
    let gw = common::start_with_mapping(&[spec], "", &common::example_mapping(shape.as_str())).await;
    (gw, product)
}

async fn create_user(gw: &common::Gateway, name: &str) -> String {
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user(name, "A", "B"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": operations})
}

fn team_names(product: &SampleProduct) -> Vec<String> {
    product
        .teams()
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

// --- A group write applies whole or not at all ---

#[tokio::test]
async fn a_group_created_with_an_unknown_member_is_not_left_behind() {
    let gw = common::start(&[TenantSpec::new("g")]).await;
    let ada = create_user(&gw, "ada@example.com").await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff",
        "members": [{"value": ada}, {"value": "999999"}]});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_scim_error(&body, 400, Some("invalidValue"));
    assert!(body["detail"].as_str().unwrap_or_default().contains("999999"), "{body}");
    assert!(team_names(gw.product(0)).is_empty(), "{:?}", gw.product(0).teams());
    // The IdP's retry with the right members creates the group: no conflict with a half-made one.
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff", "members": [{"value": ada}]});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(common::member_values(&body), vec![ada]);
}

#[tokio::test]
async fn a_rename_with_an_unknown_member_changes_nothing() {
    let gw = common::start(&[TenantSpec::new("g")]).await;
    let ada = create_user(&gw, "ada@example.com").await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff"});
    let (_, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let gid = created["id"].as_str().expect("id").to_owned();
    // Entra's shape (members added without reading them) and the general one (replace members).
    for ops in [
        json!([{"op": "Replace", "path": "displayName", "value": "Renamed"},
               {"op": "Add", "path": "members", "value": [{"value": ada}, {"value": "999999"}]}]),
        json!([{"op": "replace", "value": {"displayName": "Renamed"}},
               {"op": "replace", "path": "members", "value": [{"value": ada}, {"value": "999999"}]}]),
    ] {
        let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{gid}")).json(&patch(ops))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_scim_error(&body, 400, Some("invalidValue"));
        assert_eq!(team_names(gw.product(0)), vec!["Staff"]);
        assert_eq!(gw.product(0).team_members(&gid), Some(vec![]), "no member was added");
    }
    let put = json!({"schemas": [GROUP_SCHEMA], "displayName": "Renamed",
        "members": [{"value": ada}, {"value": "999999"}]});
    let (status, _, body) = send(gw.req(0, Method::PUT, &format!("/Groups/{gid}")).json(&put)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(team_names(gw.product(0)), vec!["Staff"]);
}

fn member_add_fails(parts: &http::request::Parts) -> Option<u16> {
    (parts.method == http::Method::PUT && parts.uri.path().contains("/members/")).then_some(500)
}

#[tokio::test]
async fn a_group_whose_members_fail_at_the_product_is_deleted_again() {
    let (gw, product) = behind(Shape::Classic, member_add_fails, unchanged).await;
    let ada = create_user(&gw, "ada@example.com").await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff", "members": [{"value": ada}]});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert!(status.is_server_error(), "{status} {body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("was not created") && detail.contains("deleted again"),
        "{body}"
    );
    assert!(product.teams().is_empty(), "{:?}", product.teams());
}

#[tokio::test]
async fn a_rename_whose_members_fail_at_the_product_is_undone() {
    let (gw, product) = behind(Shape::Classic, member_add_fails, unchanged).await;
    let ada = create_user(&gw, "ada@example.com").await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff"});
    let (_, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let gid = created["id"].as_str().expect("id").to_owned();
    let ops = json!([{"op": "Replace", "path": "displayName", "value": "Renamed"},
                     {"op": "Add", "path": "members", "value": [{"value": ada}]}]);
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{gid}")).json(&patch(ops))).await;
    assert!(status.is_server_error(), "{status} {body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("left as they were"),
        "{body}"
    );
    assert_eq!(team_names(&product), vec!["Staff"]);
}

// --- Body-less product calls carry Content-Length: 0 ---

/// A product server that wants a length on every request that may carry a body.
fn length_required(parts: &http::request::Parts) -> Option<u16> {
    let may_carry = matches!(
        parts.method,
        http::Method::POST | http::Method::PUT | http::Method::PATCH
    );
    let framed = parts.headers.contains_key(http::header::CONTENT_LENGTH)
        || parts.headers.contains_key(http::header::TRANSFER_ENCODING);
    (may_carry && !framed).then_some(411)
}

#[tokio::test]
async fn a_member_added_by_path_is_sent_with_a_length() {
    let (gw, product) = behind(Shape::Classic, length_required, unchanged).await;
    let ada = create_user(&gw, "ada@example.com").await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff"});
    let (_, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let gid = created["id"].as_str().expect("id").to_owned();
    let ops = json!([{"op": "Add", "path": "members", "value": [{"value": ada}]}]);
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Groups/{gid}")).json(&patch(ops))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(product.team_members(&gid), Some(vec![ada]));
}

#[tokio::test]
async fn deactivation_by_endpoint_is_sent_with_a_length() {
    let (gw, product) = behind(Shape::Named, length_required, unchanged).await;
    let id = create_user(&gw, "ada@example.com").await;
    for (value, disabled) in [(false, true), (true, false)] {
        let ops = json!([{"op": "replace", "path": "active", "value": value}]);
        let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&patch(ops))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(product.users()[0]["disabled"], json!(disabled));
    }
}

// --- A delete forgets the object's cached names ---

/// A product that answers 403 where the sample product answers 404 to a read of one object.
fn forbidden_when_missing(method: &str, path: &str, status: u16) -> u16 {
    let one = path
        .strip_prefix("/api/v1/users/")
        .or_else(|| path.strip_prefix("/api/v1/teams/"));
    if method == "GET" && status == 404 && one.is_some_and(|id| !id.contains(['/', '?'])) {
        403
    } else {
        status
    }
}

#[tokio::test]
async fn a_deleted_user_is_looked_up_at_the_product_not_by_its_cached_id() {
    let (gw, product) = behind(Shape::Classic, |_| None, forbidden_when_missing).await;
    let id = create_user(&gw, "ada@example.com").await;
    let mut body = user("ada@example.com", "A", "B");
    body["externalId"] = json!("ext-ada");
    let (status, _, _) = send(gw.req(0, Method::PUT, &format!("/Users/{id}")).json(&body)).await;
    assert_eq!(status, StatusCode::OK);
    for filter in [
        "userName%20eq%20%22ada@example.com%22",
        "externalId%20eq%20%22ext-ada%22",
    ] {
        let (_, _, found) = send(gw.req(0, Method::GET, &format!("/Users?filter={filter}"))).await;
        assert_eq!(found["totalResults"], 1, "{found}");
    }
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for filter in [
        "userName%20eq%20%22ada@example.com%22",
        "externalId%20eq%20%22ext-ada%22",
    ] {
        let mark = product.request_log().len();
        let (status, _, found) = send(gw.req(0, Method::GET, &format!("/Users?filter={filter}"))).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found["totalResults"], 0, "{found}");
        let calls = product.request_log().split_off(mark);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_ne!(calls[0], ("GET".to_owned(), format!("/api/v1/users/{id}")), "{calls:?}");
    }
}

/// Group lookups by displayName do not answer from the cache today; this keeps a delete's eviction honest for
/// when they do.
#[tokio::test]
async fn a_deleted_group_is_looked_up_at_the_product_not_by_its_cached_id() {
    let (gw, product) = behind(Shape::Classic, |_| None, forbidden_when_missing).await;
    let group = json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff"});
    let (_, _, created) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let gid = created["id"].as_str().expect("id").to_owned();
    let lookup = "/Groups?filter=displayName%20eq%20%22Staff%22&excludedAttributes=members";
    let (_, _, found) = send(gw.req(0, Method::GET, lookup)).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Groups/{gid}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mark = product.request_log().len();
    let (status, _, found) = send(gw.req(0, Method::GET, lookup)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["totalResults"], 0, "{found}");
    let calls = product.request_log().split_off(mark);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_ne!(
        calls[0],
        ("GET".to_owned(), format!("/api/v1/teams/{gid}")),
        "{calls:?}"
    );
}

// --- Read-only attributes ---

/// The classic mapping with `title` read-only and `displayName` a template.
fn read_only_mapping() -> String {
    let mapping = common::example_mapping("classic");
    let mapping = mapping.replacen(
        "title = \"/title\"",
        "title = { pointer = \"/title\", read_only = true }",
        1,
    );
    mapping.replacen(
        "displayName = \"/display_name\"",
        "displayName = { template = \"{/first_name} {/last_name}\" }",
        1,
    )
}

#[tokio::test]
async fn a_patch_of_a_read_only_attribute_is_a_mutability_error() {
    let gw = common::start_with_mapping(&[TenantSpec::new("classic")], "", &read_only_mapping()).await;
    let id = create_user(&gw, "ada@example.com").await;
    for ops in [
        json!([{"op": "Replace", "path": "title", "value": "Boss"}]),
        json!([{"op": "replace", "value": {"title": "Boss"}}]),
        json!([{"op": "replace", "path": "displayName", "value": "Someone Else"}]),
        json!([{"op": "remove", "path": "displayName"}]),
    ] {
        let (status, _, body) = send(
            gw.req(0, Method::PATCH, &format!("/Users/{id}"))
                .json(&patch(ops.clone())),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{ops}: {body}");
        assert_scim_error(&body, 400, Some("mutability"));
    }
    // Writable attributes still change, and the same value of a read-only one is no change.
    let ops = json!([{"op": "replace", "value": {"displayName": "A B", "name.givenName": "Ada"}}]);
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&patch(ops))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(gw.product(0).users()[0]["first_name"], "Ada");
}

#[tokio::test]
async fn post_and_put_ignore_read_only_values() {
    let gw = common::start_with_mapping(&[TenantSpec::new("classic")], "", &read_only_mapping()).await;
    let mut body = user("ada@example.com", "Ada", "L");
    body["title"] = json!("Boss");
    body["displayName"] = json!("Someone Else");
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["displayName"], "Ada L");
    let id = created["id"].as_str().expect("id");
    body["title"] = json!("Chief");
    let (status, _, replaced) = send(gw.req(0, Method::PUT, &format!("/Users/{id}")).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let stored = &gw.product(0).users()[0];
    assert!(stored["title"].is_null(), "{stored}");
}

// --- Empty strings ---

async fn title_after_entra_clears_it(mapping: &str) -> Value {
    let gw = common::start_with_mapping(&[TenantSpec::new("classic")], "", mapping).await;
    let mut body = user("ada@example.com", "Ada", "L");
    body["title"] = json!("Engineer");
    let (_, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    let id = created["id"].as_str().expect("id");
    assert_eq!(gw.product(0).users()[0]["title"], "Engineer");
    let fixture = common::fixture("entra-patch-replace-empty-string.json");
    let (status, _, patched) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&fixture)).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    gw.product(0).users()[0]["title"].clone()
}

#[tokio::test]
async fn an_empty_string_clears_the_attribute() {
    let title = title_after_entra_clears_it(&common::example_mapping("classic")).await;
    assert!(title.is_null(), "{title}");
    // In a POST too: the field is not sent.
    let gw = common::start(&[TenantSpec::new("classic")]).await;
    let mut body = user("ada@example.com", "Ada", "L");
    body["title"] = json!("");
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(gw.product(0).users()[0]["title"].is_null());
}

#[tokio::test]
async fn an_attribute_that_keeps_empty_strings_gets_one() {
    let mapping = common::example_mapping("classic").replacen(
        "title = \"/title\"",
        "title = { pointer = \"/title\", empty = \"keep\" }",
        1,
    );
    assert_eq!(title_after_entra_clears_it(&mapping).await, json!(""));
}

#[tokio::test]
async fn an_empty_string_is_no_value_for_a_required_attribute() {
    let mapping = common::example_mapping("classic").replacen(
        "title = \"/title\"",
        "title = { pointer = \"/title\", required = true }",
        1,
    );
    let gw = common::start_with_mapping(&[TenantSpec::new("classic")], "", &mapping).await;
    let mut body = user("ada@example.com", "Ada", "L");
    body["title"] = json!("");
    let (status, _, refused) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_scim_error(&refused, 400, Some("invalidValue"));
    body["title"] = json!("Engineer");
    let (_, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    let id = created["id"].as_str().expect("id");
    let fixture = common::fixture("entra-patch-replace-empty-string.json");
    let (status, _, refused) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&fixture)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_scim_error(&refused, 400, Some("mutability"));
    assert_eq!(gw.product(0).users()[0]["title"], "Engineer");
}
