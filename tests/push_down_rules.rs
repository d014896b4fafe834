//! Push-down rules that say how exact the product's match is, and lookups by path, driven through the real
//! listener against the sample product in its `named` shape (users read by name at `GET /users/{username}`).

mod common;

use common::{TenantSpec, send, user};
use reqwest::Method;
use scimgate::sample::Shape;
use serde_json::Value;

/// The named mapping with its `userName eq` rule replaced by `rule`.
async fn named_with(rule: &str) -> common::Gateway {
    let mapping = common::example_mapping("named")
        .replace("\"userName eq\" = \"username\"", &format!("\"userName eq\" = {rule}"));
    assert!(mapping.contains(rule));
    common::start_with_mapping(&[TenantSpec::shaped("named", Shape::Named)], "", &mapping).await
}

/// `GET /Users?filter=<filter>`: the ids found, and the product calls it cost.
async fn find(gw: &common::Gateway, filter: &str) -> (Vec<String>, Vec<(String, String)>) {
    let before = gw.product(0).request_log().len();
    let path = format!(
        "/Users?filter={}",
        common::cycle::filter(filter).trim_start_matches("filter=")
    );
    let (status, _, body) = send(gw.req(0, Method::GET, &path)).await;
    assert_eq!(status, 200, "{body}");
    let ids = body["Resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|u| u["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(body["totalResults"], Value::from(ids_len(&body)), "{body}");
    (ids, gw.product(0).request_log()[before..].to_vec())
}

fn ids_len(body: &Value) -> usize {
    body["Resources"].as_array().map_or(0, Vec::len)
}

async fn create(gw: &common::Gateway, name: &str) -> String {
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user(name, "Ada", "Lovelace"))).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_exact_lookup_by_path_is_one_read_with_the_value_as_one_segment() {
    let gw = named_with(r#"{ get = "GET /users/{value}", match = "exact" }"#).await;
    let id = create(&gw, "ada@example.com").await;
    // A conjunction is not answered from the id cache: it runs the plan.
    let (ids, calls) = find(&gw, r#"userName eq "ADA@example.com" and active eq true"#).await;
    assert_eq!(ids, vec![id]);
    assert_eq!(
        calls,
        vec![("GET".to_owned(), "/api/v1/users/ADA%40example.com".to_owned())]
    );
    // 404 is none, with no scan; a value cannot change which path is called.
    let (ids, calls) = find(&gw, r#"userName eq "../teams/x" and active eq true"#).await;
    assert!(ids.is_empty());
    assert_eq!(
        calls,
        vec![("GET".to_owned(), "/api/v1/users/..%2Fteams%2Fx".to_owned())]
    );
}

#[tokio::test]
async fn a_case_sensitive_lookup_by_path_confirms_an_empty_answer_by_a_scan() {
    let gw = named_with(r#"{ get = "GET /users/{value}", match = "case_sensitive" }"#).await;
    let id = create(&gw, "grace@example.com").await;
    let (ids, calls) = find(&gw, r#"userName eq "GRACE@example.com" and active eq true"#).await;
    assert_eq!(ids, vec![id], "found at once, re-checked");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (ids, calls) = find(&gw, r#"userName eq "nobody@example.com" and active eq true"#).await;
    assert!(ids.is_empty());
    assert_eq!(calls[0].1, "/api/v1/users/nobody%40example.com");
    assert!(
        calls[1..]
            .iter()
            .any(|(m, p)| m == "GET" && p.starts_with("/api/v1/users?")),
        "the empty answer is confirmed by a scan of the listing: {calls:?}"
    );
}

#[tokio::test]
async fn a_superset_rule_has_every_result_rechecked() {
    // The sample's ?email= is not the userName: as a "superset" rule it finds users that SCIM does not match.
    let gw = named_with(r#"{ param = "email", match = "superset" }"#).await;
    let mut body = user("ada@example.com", "Ada", "Lovelace");
    body["emails"][0]["value"] = "other@example.com".into();
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&body)).await;
    assert_eq!(status, 201, "{created}");
    let (ids, calls) = find(&gw, r#"userName eq "other@example.com" and active eq true"#).await;
    assert!(
        ids.is_empty(),
        "the product's answer holds ada@example.com, which the gateway drops"
    );
    assert!(
        calls.iter().all(|(_, p)| p.contains("email=other%40example.com")),
        "{calls:?}"
    );
}
