//! The read-only checks of one tenant: the credentials, each resource's listing (items, total, page size, the
//! next page), its listed objects (id, mapped fields, value maps), a single read, then the push-down rules
//! (`filters`) and the membership data. Only GETs are sent.

use super::paging::page_query;
use super::{Finding, Findings, Scope, filters, members};
use crate::mapping::ResourceMapping;
use crate::mapping::api::{Api, ProductId};
use crate::mapping::attribute::Transform;
use crate::mapping::endpoint::Endpoint;
use crate::mapping::paging::Style;
use crate::ops::resource::{GROUP, Kind, USER};
use crate::tenant::Tenant;
use crate::upstream::{ProductResponse, UpstreamError};
use serde_json::Value;

/// The page size asked for to see whether the product honours its size parameter.
pub(super) const SMALL: u32 = 2;

/// One resource type of one tenant, as checked.
pub(super) struct Probe<'a> {
    pub api: Api<'a>,
    pub kind: Kind,
    /// `users` or `groups`.
    pub name: &'static str,
    /// `mappings.classic.users`.
    pub key: String,
    /// `tenants[0]`.
    pub tenant_key: String,
}

/// A listing as read: its first page at the largest size, and the listing's size as far as it is known.
pub(super) struct Listed {
    /// The objects of the first page.
    pub objects: Vec<Value>,
    /// The total the product reported, else the objects counted on the first page.
    pub size: u64,
}

/// Every read-only check of `tenant`.
pub(super) async fn tenant(tenant: &Tenant, scope: &Scope) -> Vec<Finding> {
    let mut f = Findings::default();
    let mapping = &tenant.mapping;
    let users = Probe::new(
        Api::new(&tenant.upstream, mapping, &mapping.users),
        USER,
        "users",
        scope,
    );
    let Some(listed_users) = users.resource(&mut f, true).await else {
        return f.0;
    };
    let Some(groups) = &mapping.groups else {
        f.note(
            "groups",
            format!("{}.groups", scope.mapping_key),
            "the mapping has no groups: /Groups answers 404",
            "add [groups] to the mapping if the IdP is to push groups",
        );
        return f.0;
    };
    let teams = Probe::new(
        Api::new(&tenant.upstream, mapping, &groups.resource),
        GROUP,
        "groups",
        scope,
    );
    if let Some(listed_teams) = teams.resource(&mut f, false).await {
        members::check(&users, &teams, &groups.members, &listed_users, &listed_teams, &mut f).await;
    }
    f.0
}

impl<'a> Probe<'a> {
    fn new(api: Api<'a>, kind: Kind, name: &'static str, scope: &Scope) -> Self {
        Probe {
            api,
            kind,
            name,
            key: format!("{}.{name}", scope.mapping_key),
            tenant_key: scope.tenant_key.clone(),
        }
    }

    pub(super) fn res(&self) -> &'a ResourceMapping {
        self.api.resource()
    }

    /// `users: what`.
    pub fn check(&self, what: &str) -> String {
        format!("{}: {what}", self.name)
    }

    /// `mappings.classic.users.<rest>`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}.{rest}", self.key)
    }

    /// A listing call, described as `GET /users?page=1&per_page=2` for the report.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        id: Option<&ProductId>,
        query: &[(String, String)],
    ) -> (String, Result<ProductResponse, UpstreamError>) {
        let call = format!(
            "{} {}",
            endpoint.method,
            endpoint.render(id.map(ProductId::as_str), query)
        );
        (call, self.api.send(endpoint, id, None, query, None).await)
    }

    /// The checks of one resource type; `None` when its listing cannot be read at all.
    async fn resource(&self, f: &mut Findings, first: bool) -> Option<Listed> {
        let res = self.res();
        let paging = &res.paging;
        let list = &res.endpoints.list;
        let (call, answer) = self.send(list, None, &page_query(paging, paging.max_size)).await;
        let resp = self.answered(f, &call, answer, first)?;
        let (call, body, headers) = self.listing_body(f, &call, resp).await?;
        let objects = self.items(f, &call, &body)?;
        let total = self.total(f, &body, &headers, objects.len());
        let listed = Listed {
            size: total.unwrap_or(objects.len() as u64),
            objects,
        };
        self.page_size(f, total, &listed).await;
        self.objects(f, &listed).await;
        filters::check(self, &listed, f).await;
        Some(listed)
    }

    /// The list call's answer, if it is a success; the credentials and the endpoint reported either way.
    fn answered(
        &self,
        f: &mut Findings,
        call: &str,
        answer: Result<ProductResponse, UpstreamError>,
        first: bool,
    ) -> Option<ProductResponse> {
        let resp = match answer {
            Ok(resp) => resp,
            Err(e) => {
                f.fail(
                    self.check("product reachable"),
                    format!("{}.upstream.base_url", self.tenant_key),
                    format!("{call}: {}", chain(&e)),
                    "check the base URL, that the product is running and that this host reaches it (TLS: ca_file)",
                );
                return None;
            }
        };
        let status = resp.status.as_u16();
        if matches!(status, 401 | 403) {
            f.fail(
                "credentials",
                format!("{}.upstream.auth", self.tenant_key),
                format!("{call} answered {status}: the product refused the tenant's credentials"),
                "check the secret, the header it is sent in, its scheme (Bearer, Basic's username), and the account's rights to list",
            );
            return None;
        }
        // A refused parameter (400, 422) was still read by a product that took the credentials.
        if first && (resp.status.is_success() || matches!(status, 400 | 422)) {
            f.pass(
                "credentials",
                format!("{}.upstream.auth", self.tenant_key),
                format!("accepted: {call} answered {status}"),
            );
        }
        Some(resp)
    }

    /// The call that answered, and the JSON body and headers of its answer; a refused paging parameter is told apart from a wrong endpoint
    /// by asking again without it.
    async fn listing_body(
        &self,
        f: &mut Findings,
        call: &str,
        resp: ProductResponse,
    ) -> Option<(String, Value, http::HeaderMap)> {
        let res = self.res();
        let status = resp.status.as_u16();
        let mut call = call.to_owned();
        let resp = if resp.status.is_success() {
            resp
        } else if matches!(status, 400 | 422) && res.paging.style != Style::None {
            let detail = self.api.error(&resp).detail;
            let (small_call, small) = self
                .send(&res.endpoints.list, None, &page_query(&res.paging, SMALL))
                .await;
            match small {
                Ok(r) if r.status.is_success() => {
                    f.fail(
                        self.check("largest page"),
                        self.key("paging.max_size"),
                        format!(
                            "{call} answered {status} ({detail}), {small_call} answered {}",
                            r.status.as_u16()
                        ),
                        "lower max_size to the largest page the product serves",
                    );
                    call = small_call;
                    r
                }
                _ => {
                    f.fail(
                        self.check("list endpoint"),
                        self.key("paging"),
                        format!("{call} answered {status}: {detail}"),
                        "check the paging style and its parameter names (page_param, size_param, cursor_param)",
                    );
                    return None;
                }
            }
        } else {
            let fix = if status == 404 {
                "check the list path, and that upstream.base_url ends where the product's API begins (e.g. …/api/v1)"
            } else {
                "check the list endpoint's method and path"
            };
            let detail = self.api.error(&resp).detail;
            f.fail(
                self.check("list endpoint"),
                self.key("endpoints.list"),
                format!("{call} answered {status}: {detail}"),
                fix,
            );
            return None;
        };
        match resp.json() {
            Ok(body) => {
                f.pass(
                    self.check("list endpoint"),
                    self.key("endpoints.list"),
                    format!("{call} answered {}", resp.status.as_u16()),
                );
                Some((call, body, resp.headers))
            }
            Err(e) => {
                f.fail(
                    self.check("list endpoint"),
                    self.key("endpoints.list"),
                    format!("{call}: {e}"),
                    "the list endpoint must answer JSON: check its path",
                );
                None
            }
        }
    }

    fn items(&self, f: &mut Findings, call: &str, body: &Value) -> Option<Vec<Value>> {
        let items = &self.res().paging.items;
        match self.res().paging.items(body) {
            Ok(objects) => {
                f.pass(
                    self.check("listing items"),
                    self.key("paging.items"),
                    format!("{} object(s) at {:?} of the first page", objects.len(), items.as_str()),
                );
                Some(objects)
            }
            Err(_) => {
                let found = arrays_in(body);
                let fix = match found.first() {
                    Some(p) => format!("set items = {p:?} (the answer's array)"),
                    None => "the answer holds no array: check the list endpoint".to_owned(),
                };
                f.fail(
                    self.check("listing items"),
                    self.key("paging.items"),
                    format!("{call}: the answer has no array at {:?}", items.as_str()),
                    fix,
                );
                None
            }
        }
    }
}

/// An upstream error with its causes, for the report.
pub(super) fn chain(e: &UpstreamError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Pointers of the arrays in a listing answer (the whole answer, its members, their members).
fn arrays_in(body: &Value) -> Vec<String> {
    found_in(body, &|v| v.is_array())
}

/// Pointers of the numbers in a listing answer's members and their members, those named like a total first.
pub(super) fn numbers_in(body: &Value) -> Vec<String> {
    let mut found = found_in(body, &|v| v.is_u64());
    found.sort_by_key(|p| {
        let name = p.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
        !(name.contains("total") || name.contains("count"))
    });
    found
}

fn found_in(body: &Value, wanted: &dyn Fn(&Value) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    if wanted(body) {
        out.push(String::new());
    }
    let token = |k: &str| k.replace('~', "~0").replace('/', "~1");
    if let Value::Object(map) = body {
        for (k, v) in map {
            if wanted(v) {
                out.push(format!("/{}", token(k)));
            }
        }
        for (k, v) in map {
            if let Value::Object(inner) = v {
                out.extend(
                    inner
                        .iter()
                        .filter(|(_, x)| wanted(x))
                        .map(|(k2, _)| format!("/{}/{}", token(k), token(k2))),
                );
            }
        }
    }
    out
}

/// Whether a product value is one the value map knows.
pub(super) fn in_map(transform: &Transform, value: &Value) -> bool {
    match transform {
        Transform::Identity => true,
        Transform::Map(pairs) => value.is_null() || pairs.iter().any(|(_, product)| product == value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_and_numbers_are_found_where_a_pointer_can_name_them() {
        let body = json!({"results": [], "meta": {"page": 1, "count": 3, "next": null}});
        assert_eq!(arrays_in(&body), vec!["/results"]);
        assert_eq!(numbers_in(&body), vec!["/meta/count", "/meta/page"]);
        assert_eq!(arrays_in(&json!([{"id": 1}])), vec![""]);
    }

    #[test]
    fn a_null_or_mapped_value_is_in_the_map() {
        let map = Transform::Map(vec![(json!(true), json!("active")), (json!(false), json!("suspended"))]);
        assert!(in_map(&map, &json!("active")));
        assert!(in_map(&map, &Value::Null));
        assert!(!in_map(&map, &json!("invited")));
    }
}
