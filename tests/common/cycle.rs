//! Helpers of the IdP provisioning cycles (`tests/entra_cycle.rs`, `tests/okta_cycle.rs`): fixtures turned into
//! the request a cycle sends, and the checks every answer gets (status, media type, `schemas`, absolute
//! `meta.location`, `Location` on 201, `ETag` equal to `meta.version`).

use super::{Gateway, fixture, send};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A fixture with its sample values changed by `edit`.
pub fn from_fixture(name: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = fixture(name);
    edit(&mut body);
    body
}

/// A PATCH fixture with every string equal to `from` replaced by `to` (its sample ids become real ones).
pub fn with_id(name: &str, from: &str, to: &str) -> Value {
    fn walk(v: &mut Value, from: &str, to: &str) {
        match v {
            Value::String(s) => *s = s.replace(from, to),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, from, to)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, from, to)),
            _ => {}
        }
    }
    let mut body = fixture(name);
    assert!(body.to_string().contains(from), "{name} has no {from}");
    walk(&mut body, from, to);
    body
}

/// Send a request of tenant 0 and check its status; the answer's headers and body.
pub async fn call(gw: &Gateway, method: Method, path: &str, body: Option<&Value>, want: u16) -> (HeaderMap, Value) {
    let mut req = gw.req(0, method.clone(), path);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let (status, headers, answer) = send(req).await;
    assert_eq!(status.as_u16(), want, "{method} {path}: {answer}");
    if status == StatusCode::NO_CONTENT {
        assert_eq!(answer, Value::Null, "{method} {path}: 204 has no body");
    }
    (headers, answer)
}

/// Check a resource answer as the IdPs read it; its id.
pub fn resource(gw: &Gateway, headers: &HeaderMap, body: &Value, endpoint: &str, schema: &str) -> String {
    let id = body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {body}"))
        .to_owned();
    assert!(
        body["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == schema)),
        "{body}"
    );
    let location = format!("{}/{endpoint}/{id}", gw.base);
    assert_eq!(body["meta"]["location"], location.as_str(), "absolute meta.location");
    assert_eq!(body["meta"]["resourceType"], &endpoint[..endpoint.len() - 1]);
    if let Some(created) = headers.get("location") {
        assert_eq!(created, location.as_str(), "Location of a 201 is meta.location");
    }
    let version = body["meta"]["version"].as_str().expect("meta.version");
    assert_eq!(headers["etag"], version, "ETag is meta.version");
    id
}

/// Check a ListResponse; its resources.
pub fn list(body: &Value, total: usize) -> Vec<Value> {
    assert_eq!(body["schemas"][0], LIST_SCHEMA, "{body}");
    assert_eq!(body["totalResults"], total, "{body}");
    let resources = body["Resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(body["itemsPerPage"], resources.len(), "{body}");
    resources
}

/// A group as the IdP believes it: SCIM id, displayName, member ids.
pub type Pushed = (String, String, std::collections::BTreeSet<String>);

/// Re-read the product's teams: exactly `groups`, each with its name and members; the product's team objects.
pub fn assert_teams(product: &scimgate::sample::SampleProduct, groups: &[Pushed]) -> Vec<Value> {
    let teams = product.teams();
    assert_eq!(teams.len(), groups.len(), "one product team per group");
    let mut found = Vec::new();
    for (gid, name, members) in groups {
        let team = teams
            .iter()
            .find(|t| t["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(gid.as_str()))
            .expect("team");
        assert_eq!(team["name"], name.as_str());
        let held: std::collections::BTreeSet<String> = product.team_members(gid).expect("team").into_iter().collect();
        assert_eq!(&held, members, "{name}");
        found.push(team.clone());
    }
    found
}

/// A filter query component, percent-encoded.
pub fn filter(expr: &str) -> String {
    format!("filter={}", urlencode(expr))
}

/// Text percent-encoded as one URL component (RFC 3986 unreserved characters kept).
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
