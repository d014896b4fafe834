//! Authentication, tenant isolation and per-tenant rate limits, end to end.

mod common;

use common::{TenantSpec, assert_scim_error, send, start, user};
use reqwest::Method;

#[tokio::test]
async fn missing_malformed_or_wrong_tokens_get_401_with_www_authenticate() {
    let gw = start(&[TenantSpec::new("acme")]).await;
    let url = format!("{}/Users", gw.base);
    let cases = [
        gw.client.get(&url),
        gw.client.get(&url).header("authorization", "Basic dXNlcjpwYXNz"),
        gw.client.get(&url).bearer_auth("scimgate_not_a_real_token"),
        gw.client.get(&url).bearer_auth(format!("{}x", gw.tenants[0].token)),
    ];
    for req in cases {
        let (status, headers, body) = send(req).await;
        assert_eq!(status, 401);
        assert_eq!(headers["www-authenticate"], "Bearer realm=\"scimgate\"");
        assert_scim_error(&body, 401, None);
    }
    assert_eq!(gw.product(0).request_count(), 0);
}

#[tokio::test]
async fn a_tenant_token_reaches_only_its_own_product() {
    let gw = start(&[TenantSpec::new("a"), TenantSpec::new("b")]).await;
    let (status, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("only-a@example.com", "A", "A")),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(gw.product(0).users().len(), 1);
    assert_eq!(
        gw.product(1).request_count(),
        0,
        "tenant A's requests never reach B's product"
    );

    // B sees nothing of A: not in lists, not by id, cannot change or delete it.
    let (_, _, list) = send(gw.req(1, Method::GET, "/Users")).await;
    assert_eq!(list["totalResults"], 0);
    let (status, _, _) = send(gw.req(1, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404);
    let (status, _, _) = send(gw.req(1, Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404);
    assert_eq!(gw.product(0).users().len(), 1, "A's user survives B's delete");
    assert!(gw.product(1).users().is_empty());
}

#[tokio::test]
async fn a_flooding_tenant_gets_429_with_retry_after_while_another_gets_200() {
    let mut flooder = TenantSpec::new("flooder");
    flooder.per_second = 1;
    flooder.burst = 3;
    let gw = start(&[flooder, TenantSpec::new("calm")]).await;
    let started = std::time::Instant::now();
    let mut limited = 0;
    for _ in 0..10 {
        let (status, headers, body) = send(gw.req(0, Method::GET, "/Users")).await;
        if status == 429 {
            limited += 1;
            let after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=2).contains(&after), "Retry-After {after}");
            assert_scim_error(&body, 429, None);
        } else {
            assert_eq!(status, 200);
        }
        // The other tenant is untouched by the flood.
        let (status, _, _) = send(gw.req(1, Method::GET, "/Users")).await;
        assert_eq!(status, 200);
    }
    // A burst of 3, then 1 per second: however slow this machine, no more were admitted than that allows.
    let admitted = 10 - limited;
    let allowed = 3 + started.elapsed().as_secs() + 1;
    assert!(
        limited > 0 && admitted <= allowed,
        "{admitted} admitted, {allowed} allowed"
    );
}

#[tokio::test]
async fn every_endpoint_of_one_tenant_stays_in_its_own_product_and_cache() {
    let gw = start(&[TenantSpec::new("a"), TenantSpec::new("b")]).await;
    let (_, _, ua) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("shared@example.com", "A", "A")),
    )
    .await;
    let group = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "A team", "members": [{"value": ua["id"]}]});
    let (status, _, ga) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, 201, "{ga}");
    let (uid, gid) = (ua["id"].as_str().unwrap(), ga["id"].as_str().unwrap());
    let a_calls = gw.product(0).request_count();

    let patch = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "taken"}]});
    let search = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"shared@example.com\""});
    let requests: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (
            Method::GET,
            "/Users?filter=userName%20eq%20%22shared%40example.com%22".into(),
            None,
        ),
        (Method::POST, "/Users/.search".into(), Some(search)),
        (Method::GET, format!("/Users/{uid}"), None),
        (Method::PATCH, format!("/Users/{uid}"), Some(patch.clone())),
        (
            Method::PUT,
            format!("/Users/{uid}"),
            Some(user("shared@example.com", "B", "B")),
        ),
        (Method::DELETE, format!("/Users/{uid}"), None),
        (
            Method::GET,
            "/Groups?filter=displayName%20eq%20%22A%20team%22".into(),
            None,
        ),
        (Method::GET, format!("/Groups/{gid}"), None),
        (Method::PATCH, format!("/Groups/{gid}"), Some(patch)),
        (Method::DELETE, format!("/Groups/{gid}"), None),
        (Method::GET, "/ServiceProviderConfig".into(), None),
        (Method::GET, "/Schemas".into(), None),
    ];
    for (method, path, body) in requests {
        let req = gw.req(1, method.clone(), &path);
        let (status, _, answer) = send(match body {
            Some(b) => req.json(&b),
            None => req,
        })
        .await;
        assert!(
            status == 200 || status == 404,
            "{method} {path} as B: {status} {answer}"
        );
        if status == 200 && path.contains("filter") {
            assert_eq!(
                answer["totalResults"], 0,
                "{method} {path}: B sees none of A's resources"
            );
        }
        if method == Method::POST {
            assert_eq!(answer["totalResults"], 0, "{path}: {answer}");
        }
    }
    assert_eq!(
        gw.product(0).request_count(),
        a_calls,
        "none of B's requests reached A's product"
    );
    assert_eq!(gw.product(0).users().len(), 1);
    assert_eq!(gw.product(0).team_members(gid), Some(vec![uid.to_owned()]));
}
