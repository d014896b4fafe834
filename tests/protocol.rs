//! The SCIM protocol surface end to end: discovery generated from the mapping, `attributes` /
//! `excludedAttributes`, `sortBy`, `POST /.search`, schema-aware PATCH errors, and errors on the discovery routes.

mod common;

use common::{TenantSpec, assert_scim_error, send, user};
use reqwest::{Method, StatusCode};
use scimgate::sample::Shape;
use serde_json::{Value, json};

fn names(attrs: &Value) -> Vec<String> {
    attrs
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_advertises_only_what_the_mapping_holds() {
    let gw = common::start(&[TenantSpec::new("disc")]).await;
    let (status, _, spc) = send(gw.req(0, Method::GET, "/ServiceProviderConfig")).await;
    assert_eq!(status, StatusCode::OK, "{spc}");
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["maxResults"], 200);
    assert_eq!(spc["sort"]["supported"], true);
    assert_eq!(spc["etag"]["supported"], true, "the classic mapping maps meta.version");
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (status, _, body) = send(gw.req(0, Method::GET, "/ServiceProviderConfig?filter=x%20pr")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (_, _, types) = send(gw.req(0, Method::GET, "/ResourceTypes")).await;
    let ids: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["User", "Group"], "{types}");
    assert_eq!(
        types["Resources"][0]["schemaExtensions"],
        json!([{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}]),
        "the enterprise attributes Entra sends are mapped: {types}"
    );
    let (status, _, user_type) = send(gw.req(0, Method::GET, "/ResourceTypes/User")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user_type["endpoint"], "/Users");

    let (_, _, schema) = send(gw.req(0, Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).await;
    let attrs = names(&schema["attributes"]);
    for present in [
        "userName",
        "name",
        "displayName",
        "title",
        "emails",
        "phoneNumbers",
        "active",
        "locale",
        "preferredLanguage",
        "password",
    ] {
        assert!(attrs.iter().any(|a| a == present), "{present} missing: {attrs:?}");
    }
    for absent in ["nickName", "addresses", "x509Certificates", "groups"] {
        assert!(!attrs.iter().any(|a| a == absent), "{absent} advertised: {attrs:?}");
    }
    let name = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "name")
        .unwrap();
    assert_eq!(
        names(&name["subAttributes"]),
        ["formatted", "familyName", "givenName"]
            .map(String::from)
            .to_vec()
            .into_iter()
            .filter(|n| names(&name["subAttributes"]).contains(n))
            .collect::<Vec<_>>()
    );
    assert!(!names(&name["subAttributes"]).contains(&"middleName".to_owned()));
    let user_name = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);
    let attr = |name: &str| {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    // The product always holds a status (`required = true` in the mapping); a password is sent, never returned.
    assert_eq!(attr("active")["required"], true);
    assert_eq!(
        (&attr("password")["mutability"], &attr("password")["returned"]),
        (&json!("writeOnly"), &json!("never"))
    );
    // One email per type: `primary` is not a stored sub-attribute.
    assert_eq!(names(&attr("emails")["subAttributes"]), ["value", "type"]);
    let (status, _, enterprise) = send(gw.req(
        0,
        Method::GET,
        "/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{enterprise}");
    assert_eq!(
        names(&enterprise["attributes"]),
        ["employeeNumber", "department", "manager"],
        "only the mapped enterprise attributes"
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Schemas/urn:example:no-such-schema")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_scim_error(&body, 404, None);
    let (_, _, all) = send(gw.req(0, Method::GET, "/Schemas")).await;
    assert_eq!(all["totalResults"], 3, "{all}");

    let (status, headers, body) = send(gw.req(0, Method::POST, "/Schemas")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(headers["allow"], "GET");
}

#[tokio::test]
async fn active_written_through_endpoints_is_advertised_read_write() {
    let gw = common::start_with_mapping(
        &[TenantSpec::shaped("named", Shape::Named)],
        "",
        &common::example_mapping("named"),
    )
    .await;
    let (_, _, schema) = send(gw.req(0, Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).await;
    let active = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "active")
        .unwrap()
        .clone();
    assert_eq!(active["mutability"], "readWrite", "{active}");
    let created = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "meta");
    assert!(created.is_none_or(|m| m["mutability"] == "readOnly"));
}

#[tokio::test]
async fn attributes_sorting_and_search() {
    let gw = common::start(&[TenantSpec::new("proto")]).await;
    for (name, family) in [
        ("b@example.com", "Beta"),
        ("c@example.com", "Gamma"),
        ("a@example.com", "Alpha"),
    ] {
        let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user(name, "X", family))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        "/Users?attributes=userName&sortBy=userName&sortOrder=descending",
    ))
    .await;
    let users = body["Resources"].as_array().unwrap();
    let order: Vec<&str> = users.iter().map(|u| u["userName"].as_str().unwrap()).collect();
    assert_eq!(order, ["c@example.com", "b@example.com", "a@example.com"]);
    for u in users {
        assert!(u.get("id").is_some(), "id is returned always");
        assert!(u.get("name").is_none() && u.get("emails").is_none(), "{u}");
    }
    let (_, _, body) = send(gw.req(
        0,
        Method::GET,
        "/Users?excludedAttributes=name,emails&sortBy=name.familyName&count=2",
    ))
    .await;
    assert_eq!(body["totalResults"], 3);
    assert_eq!(body["Resources"][0]["userName"], "a@example.com", "{body}");
    assert!(body["Resources"][0].get("name").is_none());
    assert!(body["Resources"][0].get("userName").is_some());
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users?sortBy=userName&sortOrder=sideways")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_scim_error(&body, 400, Some("invalidValue"));

    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "name.familyName sw \"G\" or userName eq \"a@example.com\"", "sortBy": "userName",
        "attributes": ["userName"], "startIndex": 1, "count": 10});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users/.search").json(&search)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order: Vec<&str> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["a@example.com", "c@example.com"]);
    let (status, _, body) = send(
        gw.req(0, Method::POST, "/Users/.search")
            .json(&json!({"filter": "userName pr"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/.search")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"});
    send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "displayName eq \"ops\"", "excludedAttributes": ["members"]});
    let before = gw.product(0).request_log().len();
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups/.search").json(&search)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], 1);
    assert!(body["Resources"][0].get("members").is_none());
    let calls = gw.product(0).request_log().split_off(before);
    assert!(
        calls.iter().all(|(_, p)| !p.contains("/members")),
        "no member list read: {calls:?}"
    );
}

#[tokio::test]
async fn patch_errors_follow_the_schema() {
    let gw = common::start(&[TenantSpec::new("patch")]).await;
    let (_, _, created) = send(gw.req(0, Method::POST, "/Users").json(&user("p@example.com", "P", "Q"))).await;
    let id = created["id"].as_str().unwrap();
    let op = |op: &str, path: &str, value: Value| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": path, "value": value}]})
    };
    for (body, scim_type) in [
        (op("replace", "nosuchAttribute", json!("x")), "invalidPath"),
        (op("replace", "name.middle", json!("x")), "invalidPath"),
        (op("replace", "id", json!("7")), "mutability"),
        (
            op("replace", "meta.created", json!("2020-01-01T00:00:00Z")),
            "mutability",
        ),
        (op("remove", "emails[type eq \"home\"]", Value::Null), "noTarget"),
    ] {
        let (status, _, err) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {err}");
        assert_scim_error(&err, 400, Some(scim_type));
    }
    let (_, _, after) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(after["name"], created["name"], "nothing was changed");
}

#[tokio::test]
async fn each_endpoint_answers_405_with_its_own_allow_list_and_serves_what_it_lists() {
    let gw = common::start(&[TenantSpec::new("allow")]).await;
    let endpoints = [
        ("/Users", "GET, POST"),
        ("/Users/1", "GET, PUT, PATCH, DELETE"),
        ("/Users/.search", "POST"),
        ("/Groups", "GET, POST"),
        ("/Groups/1", "GET, PUT, PATCH, DELETE"),
        ("/Groups/.search", "POST"),
        ("/.search", "POST"),
        ("/ServiceProviderConfig", "GET"),
        ("/ResourceTypes", "GET"),
        ("/ResourceTypes/User", "GET"),
        ("/Schemas", "GET"),
        ("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "GET"),
    ];
    for (path, allow) in endpoints {
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (status, headers, body) = send(gw.req(0, method.clone(), path).json(&json!({}))).await;
            if allow.split(", ").any(|m| m == method.as_str()) {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
                assert!(headers.get("allow").is_none(), "{method} {path}");
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
                assert_eq!(headers["allow"], allow, "{method} {path}");
            }
        }
    }
}
