//! SCIM Users end to end: the real TLS listener, real HTTP, the gateway's config-driven mapping and a real
//! sample product server, asserting both the SCIM answers and what the product holds afterwards.

mod common;

use common::{TenantSpec, assert_scim_error, fixture, send, start, user};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn user_lifecycle_create_filter_get_patch_put_delete_over_tls() {
    let gw = start(&[TenantSpec::new("acme")]).await;

    // Create: 201, Location, meta.location absolute, mapped into the product's own shape.
    let (status, headers, created) = send(gw.req(0, Method::POST, "/Users").json(&user(
        "ada@example.com",
        "Ada",
        "Lovelace",
    )))
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let location = format!("{}/Users/{id}", gw.base);
    assert_eq!(headers["location"], location.as_str());
    assert_eq!(created["meta"]["location"], location);
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(
        created["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    assert_eq!(created["active"], true);
    let product = gw.product(0).users();
    assert_eq!(product.len(), 1);
    assert_eq!(product[0]["email"], "ada@example.com");
    assert_eq!(product[0]["first_name"], "Ada");
    assert_eq!(product[0]["status"], "active");

    // Filter by userName, as Entra and Okta match before creating.
    let filter = format!(
        "/Users?filter={}&startIndex=1&count=100",
        urlencode(r#"userName eq "ada@example.com""#)
    );
    let (status, _, list) = send(gw.req(0, Method::GET, &filter)).await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id.as_str());
    assert_eq!(list["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");

    // Get.
    let (status, headers, got) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(got["userName"], "ada@example.com");
    assert_eq!(got["name"]["familyName"], "Lovelace");
    assert!(headers.contains_key("etag"));

    // PATCH in Entra's dialect: capitalised ops, "False" as a string, a value-path filter.
    let (status, _, patched) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{id}"))
            .json(&fixture("entra-patch-update-attributes.json")),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"]["givenName"], "Augusta");
    assert_eq!(patched["userName"], "augusta@example.com");
    assert_eq!(patched["title"], "Countess of Lovelace");
    let (status, _, patched) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{id}"))
            .json(&fixture("entra-patch-replace-active-string.json")),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    let stored = &gw.product(0).users()[0];
    assert_eq!(stored["status"], "suspended");
    assert_eq!(stored["email"], "augusta@example.com");
    assert_eq!(stored["title"], "Countess of Lovelace");

    // PUT replaces: attributes left out (title) are cleared, the rest set.
    let mut put = fixture("okta-put-user.json");
    put["userName"] = json!("augusta@example.com");
    put["emails"][0]["value"] = json!("augusta@example.com");
    let (status, _, replaced) = send(gw.req(0, Method::PUT, &format!("/Users/{id}")).json(&put)).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["name"]["familyName"], "King");
    assert_eq!(replaced["active"], true);
    assert!(replaced.get("title").is_none(), "{replaced}");
    let stored = &gw.product(0).users()[0];
    assert_eq!(stored["title"], Value::Null);
    assert_eq!(stored["status"], "active");

    // Delete, then 404.
    let (status, _, body) = send(gw.req(0, Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!((status.as_u16(), body), (204, Value::Null));
    assert!(gw.product(0).users().is_empty());
    let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404);
    assert_scim_error(&body, 404, None);
    let (status, _, _) = send(gw.req(0, Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn okta_pathless_patch_deactivates_and_reactivates() {
    let gw = start(&[TenantSpec::new("okta")]).await;
    let (_, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("okta@example.com", "O", "K")),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    let (status, _, body) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{id}"))
            .json(&fixture("okta-patch-deactivate.json")),
    )
    .await;
    assert_eq!((status.as_u16(), &body["active"]), (200, &json!(false)));
    assert_eq!(gw.product(0).users()[0]["status"], "suspended");
    let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&reactivate)).await;
    assert_eq!((status.as_u16(), &body["active"]), (200, &json!(true)));
    assert_eq!(gw.product(0).users()[0]["status"], "active");
}

#[tokio::test]
async fn test_connection_filter_on_unknown_user_is_an_empty_list() {
    let gw = start(&[TenantSpec::new("entra")]).await;
    let path = format!(
        "/Users?filter={}",
        urlencode(r#"userName eq "7f3c1c53-2d0b-4c1e-9b0a-ae5f0fd0d111""#)
    );
    let (status, _, list) = send(gw.req(0, Method::GET, &path)).await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));
}

#[tokio::test]
async fn paging_with_start_index_and_count_maps_onto_product_pages() {
    let gw = start(&[TenantSpec::new("pager")]).await;
    for i in 0..7 {
        let (status, _, _) = send(gw.req(0, Method::POST, "/Users").json(&user(
            &format!("u{i}@example.com"),
            "U",
            "Ser",
        )))
        .await;
        assert_eq!(status, 201);
    }
    let (_, _, page) = send(gw.req(0, Method::GET, "/Users?startIndex=3&count=2")).await;
    assert_eq!(page["totalResults"], 7);
    assert_eq!(page["startIndex"], 3);
    assert_eq!(page["itemsPerPage"], 2);
    let names: Vec<_> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].clone())
        .collect();
    assert_eq!(names, vec![json!("u2@example.com"), json!("u3@example.com")]);
    let (_, _, tail) = send(gw.req(0, Method::GET, "/Users?startIndex=6&count=10")).await;
    assert_eq!(tail["itemsPerPage"], 2);
    let (_, _, none) = send(gw.req(0, Method::GET, "/Users?count=0")).await;
    assert_eq!(
        (none["totalResults"].as_u64(), none["itemsPerPage"].as_u64()),
        (Some(7), Some(0))
    );
}

#[tokio::test]
async fn filters_the_product_cannot_evaluate_are_evaluated_by_the_gateway() {
    let gw = start(&[TenantSpec::new("filters")]).await;
    for (mail, given) in [
        ("a@example.com", "Ann"),
        ("b@example.com", "Bob"),
        ("c@example.org", "Ann"),
    ] {
        send(gw.req(0, Method::POST, "/Users").json(&user(mail, given, "X"))).await;
    }
    let path = format!(
        "/Users?filter={}",
        urlencode(r#"name.givenName eq "ann" and not (userName ew ".org")"#)
    );
    let (status, _, list) = send(gw.req(0, Method::GET, &path)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["userName"], "a@example.com");
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users?filter=userName%20eq")).await;
    assert_eq!(status, 400);
    assert_scim_error(&body, 400, Some("invalidFilter"));
}

#[tokio::test]
async fn bad_input_gets_scim_errors_and_changes_nothing() {
    let gw = start(&[TenantSpec::new("strict")]).await;
    // Malformed JSON.
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .header("content-type", "application/scim+json")
            .body("{\"userName\":"),
    )
    .await;
    assert_eq!(status, 400);
    assert_scim_error(&body, 400, Some("invalidSyntax"));
    // Missing schemas, missing userName.
    let (_, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&json!({"userName": "x@example.com"})),
    )
    .await;
    assert_scim_error(&body, 400, Some("invalidSyntax"));
    let (_, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})),
    )
    .await;
    assert_scim_error(&body, 400, Some("invalidValue"));
    // An attribute the product cannot store is refused, not dropped.
    let mut with_unmapped = user("y@example.com", "Y", "Z");
    with_unmapped["nickName"] = json!("Why");
    let (_, _, body) = send(gw.req(0, Method::POST, "/Users").json(&with_unmapped)).await;
    assert_scim_error(&body, 400, Some("invalidValue"));
    assert!(body["detail"].as_str().unwrap().contains("nickName"), "{body}");
    // Wrong media type.
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(status, 415);
    assert_scim_error(&body, 415, None);
    assert!(gw.product(0).users().is_empty(), "nothing reached the product");
    // Duplicate userName: 409 uniqueness from the product's own 409.
    send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("dup@example.com", "D", "U")),
    )
    .await;
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("DUP@example.com", "D", "U")),
    )
    .await;
    assert_eq!(status, 409);
    assert_scim_error(&body, 409, Some("uniqueness"));
    // A PATCH that fails half-way changes nothing.
    let id = gw.product(0).users()[0]["id"].to_string();
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "title", "value": "changed"},
        {"op": "remove", "path": "emails[type eq \"home\"]"}]});
    let (_, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&bad)).await;
    assert_scim_error(&body, 400, Some("noTarget"));
    assert_eq!(gw.product(0).users()[0]["title"], Value::Null);
    // Unknown endpoint and wrong method.
    let (status, _, body) = send(gw.req(0, Method::GET, "/Nope")).await;
    assert_eq!(status, 404);
    assert_scim_error(&body, 404, None);
    let (status, headers, body) = send(gw.req(0, Method::DELETE, "/Users")).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, POST");
    assert_scim_error(&body, 405, None);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let gw = common::start_with(&[TenantSpec::new("small")], "[limits]\nmax_body_bytes = 1024\n").await;
    let mut big = user("big@example.com", "B", "G");
    big["title"] = json!("x".repeat(4096));
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&big)).await;
    assert_eq!(status, 413);
    assert_scim_error(&body, 413, None);
    assert!(gw.product(0).users().is_empty());
}

#[tokio::test]
async fn ids_from_requests_never_change_the_product_path() {
    let gw = start(&[TenantSpec::new("paths")]).await;
    for id in [
        "..%2F..%2Fteams",
        "1%3Fx%3D1",
        "1%23frag",
        "%2e%2e",
        "1%0D%0AX-Injected:%201",
        "abc",
    ] {
        let (status, _, body) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_scim_error(&body, 404, None);
    }
    // Integer ids are checked before any product call: none of the above reached the product.
    assert_eq!(gw.product(0).request_count(), 0, "{:?}", gw.product(0).request_log());
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_and_http1_still_works() {
    let gw = start(&[TenantSpec::new("h2")]).await;
    let resp = gw.req(0, Method::GET, "/Users").send().await.unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let ca = std::fs::read(gw.dir.path().join("ca.pem")).unwrap();
    let h1 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let resp = h1
        .get(format!("{}/Users", gw.base))
        .bearer_auth(&gw.tenants[0].token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (resp.version(), resp.status().as_u16()),
        (reqwest::Version::HTTP_11, 200)
    );
}

#[tokio::test]
async fn a_put_update_endpoint_gets_the_whole_object_and_keeps_what_scim_does_not_map() {
    let mapping =
        scimgate::demo::SAMPLE_MAPPING.replace("update = \"PATCH /users/{id}\"", "update = \"PUT /users/{id}\"");
    assert_ne!(mapping, scimgate::demo::SAMPLE_MAPPING);
    let gw = common::start_with_mapping(&[TenantSpec::new("put")], "", &mapping).await;
    let (_, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("put@example.com", "P", "Ut")),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, _, patched) = send(
        gw.req(0, Method::PATCH, &format!("/Users/{id}"))
            .json(&fixture("okta-patch-deactivate.json")),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(
        patched["name"]["givenName"], "P",
        "attributes the PATCH did not touch survive a full PUT"
    );
    let log = gw.product(0).request_log();
    assert!(
        log.iter()
            .any(|(m, p)| m == "PUT" && p == &format!("/api/v1/users/{id}")),
        "{log:?}"
    );
    assert_eq!(gw.product(0).users()[0]["status"], "suspended");
}

#[tokio::test]
async fn product_calls_per_operation_are_minimal() {
    let gw = start(&[TenantSpec::new("calls")]).await;
    let calls = |since: usize| gw.product(0).request_log().split_off(since);
    let (_, _, created) = send(
        gw.req(0, Method::POST, "/Users")
            .json(&user("calls@example.com", "C", "A")),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(calls(0), vec![("POST".to_owned(), "/api/v1/users".to_owned())]);

    let mark = gw.product(0).request_log().len();
    let filter = format!(
        "/Users?filter={}&startIndex=1&count=100",
        urlencode(r#"userName eq "calls@example.com""#)
    );
    send(gw.req(0, Method::GET, &filter)).await;
    assert_eq!(
        calls(mark),
        vec![("GET".to_owned(), format!("/api/v1/users/{id}"))],
        "the create cached userName → id: the filter is one read of that user"
    );
    // A userName the cache does not know is one pushed-down search.
    let mark = gw.product(0).request_log().len();
    let filter = format!(
        "/Users?filter={}&count=100",
        urlencode(r#"userName eq "nobody@example.com""#)
    );
    send(gw.req(0, Method::GET, &filter)).await;
    assert_eq!(
        calls(mark),
        vec![(
            "GET".to_owned(),
            "/api/v1/users?username=nobody%40example.com&page=1&per_page=100".to_owned()
        )],
        "a pushed-down userName filter is one product call"
    );

    for (method, body, expected) in [
        (Method::GET, None, vec!["GET"]),
        (
            Method::PATCH,
            Some(fixture("entra-patch-replace-active-string.json")),
            vec!["PATCH"],
        ),
        (
            Method::PUT,
            Some(user("calls@example.com", "C", "B")),
            vec!["GET", "PATCH"],
        ),
        (Method::DELETE, None, vec!["DELETE"]),
    ] {
        let mark = gw.product(0).request_log().len();
        let req = gw.req(0, method.clone(), &format!("/Users/{id}"));
        let (status, _, _) = send(match body {
            Some(b) => req.json(&b),
            None => req,
        })
        .await;
        assert!(status.is_success(), "{method}: {status}");
        let methods: Vec<String> = calls(mark).into_iter().map(|(m, _)| m).collect();
        assert_eq!(methods, expected, "{method}");
    }
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
