//! Mapping features no sample-product shape needs, against a small product of their own (a real HTTP server on
//! 127.0.0.1:0): next-link paging without a total, a template attribute, a write-only attribute, create defaults,
//! the managed marker, deactivation by deletion, and extra headers.

mod common;

use bytes::Bytes;
use common::{TenantSpec, send, user};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct People {
    next: u64,
    people: Vec<Value>,
    log: Vec<(String, String, Option<String>)>,
}

type Shared = Arc<Mutex<People>>;

fn reply(status: u16, body: Option<Value>) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()))));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert("content-type", http::HeaderValue::from_static("application/json"));
    r
}

/// `/api/people`: string ids `p-N`, pages of `limit` linked by `links.next`, no total; PATCH merges; a person is
/// stored exactly as sent.
async fn handle(state: Shared, req: http::Request<hyper::body::Incoming>) -> http::Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query: Vec<(String, String)> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let client = req
        .headers()
        .get("x-client")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if req.headers().get("x-api-key").is_none_or(|k| k != "product-key-people") {
        return reply(401, Some(json!({"message": "bad key"})));
    }
    let body: Option<Value> = {
        let bytes = req.into_body().collect().await.unwrap().to_bytes();
        (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).unwrap())
    };
    let mut s = state.lock().unwrap();
    s.log.push((method.to_string(), path.clone(), client));
    let segments: Vec<&str> = path.trim_start_matches("/api/").split('/').collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["people"]) => {
            let limit: usize = get("limit").and_then(|l| l.parse().ok()).unwrap_or(2).min(2);
            let after: usize = get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
            let email = get("email");
            let matching: Vec<Value> = s
                .people
                .iter()
                .filter(|p| email.as_ref().is_none_or(|e| p["email"] == e.as_str()))
                .cloned()
                .collect();
            let page: Vec<Value> = matching.iter().skip(after).take(limit).cloned().collect();
            let next =
                (after + limit < matching.len()).then(|| format!("/api/people?after={}&limit={limit}", after + limit));
            reply(200, Some(json!({"items": page, "links": {"next": next}})))
        }
        ("POST", ["people"]) => {
            let mut p = body.unwrap_or(Value::Null);
            if s.people.iter().any(|x| x["email"] == p["email"]) {
                return reply(409, Some(json!({"message": "email taken"})));
            }
            s.next += 1;
            p["id"] = json!(format!("p-{}", s.next));
            s.people.push(p.clone());
            reply(201, Some(p))
        }
        ("GET", ["people", id]) => match s.people.iter().find(|p| p["id"] == *id) {
            Some(p) => reply(200, Some(p.clone())),
            None => reply(404, Some(json!({"message": "no such person"}))),
        },
        ("PATCH", ["people", id]) => match s.people.iter_mut().find(|p| p["id"] == *id) {
            Some(p) => {
                for (k, v) in body.unwrap_or(json!({})).as_object().unwrap() {
                    p[k] = v.clone();
                }
                reply(200, Some(p.clone()))
            }
            None => reply(404, None),
        },
        ("DELETE", ["people", id]) => {
            let before = s.people.len();
            s.people.retain(|p| p["id"] != *id);
            reply(if s.people.len() < before { 204 } else { 404 }, None)
        }
        _ => reply(404, None),
    }
}

async fn start_product() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state: Shared = Arc::default();
    let shared = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = shared.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(state, req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}/api"), state)
}

const MAPPING: &str = r#"
[mappings.people]
error_message = "/message"
headers = { "X-Client" = "scimgate" }

[mappings.people.users]
id = "/id"
id_type = "string"
deactivate = "delete"
create_defaults = { "/role" = "member" }
managed = { pointer = "/origin", value = "scim" }
endpoints = { list = "GET /people", get = "GET /people/{id}", create = "POST /people", update = "PATCH /people/{id}", delete = "DELETE /people/{id}" }
paging = { style = "next_link", size_param = "limit", max_size = 2, items = "/items", next = "/links/next" }
filters = { "userName eq" = "email" }

[mappings.people.users.attributes]
userName = "/email"
'emails[type eq "work"].value' = "/email"
"name.givenName" = "/first"
"name.familyName" = "/last"
displayName = { template = "{/first} {/last}" }
password = { pointer = "/password", write_only = true }
locale = { pointer = "/locale", default = "en-US" }
"#;

#[tokio::test]
async fn templates_write_only_defaults_marker_next_links_and_deactivation_by_delete() {
    let (base, product) = start_product().await;
    let spec = TenantSpec {
        external: Some((base, "product-key-people".into())),
        mapping: "people",
        ..TenantSpec::new("people")
    };
    let gw = common::start_with_mapping(&[spec], "", MAPPING).await;

    let mut ada = user("ada@example.com", "Ada", "Lovelace");
    ada["password"] = json!("s3cret!");
    let (status, _, created) = send(gw.req(0, Method::POST, "/Users").json(&ada)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["displayName"], "Ada Lovelace", "the template composes it");
    assert!(created.get("password").is_none(), "write-only is never returned");
    assert_eq!(created["locale"], "en-US", "the default filled the create");
    assert_eq!(created["active"], true);
    {
        let stored = &product.lock().unwrap().people[0];
        assert_eq!(stored["password"], "s3cret!");
        assert_eq!(stored["role"], "member");
        assert_eq!(stored["origin"], "scim");
    }
    for i in 0..4 {
        let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user(
            &format!("u{i}@example.com"),
            "U",
            &format!("{i}"),
        )))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // Five people in pages of two linked by next links, without a total: the gateway counts.
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users?startIndex=2&count=3")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["totalResults"], 5, "{body}");
    let names: Vec<&str> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u0@example.com", "u1@example.com", "u2@example.com"]);
    let (_, _, body) = send(gw.req(0, Method::GET, "/Users?filter=displayName%20eq%20%22U%203%22")).await;
    assert_eq!(
        body["totalResults"], 1,
        "a filter on a template value is evaluated by the gateway: {body}"
    );

    // The template attribute is read-only in discovery; the write-only one is never returned.
    let (_, _, schema) = send(gw.req(0, Method::GET, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).await;
    let attr = |n: &str| {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(attr("displayName")["mutability"], "readOnly");
    assert_eq!(attr("password")["returned"], "never");

    // Deactivation deletes: the answer shows the user inactive, and the product no longer has it.
    let id = created["id"].as_str().unwrap();
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (status, _, body) = send(gw.req(0, Method::PATCH, &format!("/Users/{id}")).json(&off)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (status, _, _) = send(gw.req(0, Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut inactive = user("new@example.com", "N", "N");
    inactive["active"] = json!(false);
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&inactive)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let log = product.lock().unwrap().log.clone();
    assert!(log.iter().any(|(m, p, _)| m == "DELETE" && p.ends_with(id)));
    assert!(
        log.iter().all(|(_, _, client)| client.as_deref() == Some("scimgate")),
        "extra header on every call"
    );
}
