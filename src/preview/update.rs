//! The product calls a SCIM PATCH or PUT makes: the real update operation runs against a product that holds
//! one object and records every call it is sent, instead of HTTP.

use super::Resource;
use crate::cache::IdCache;
use crate::config::ConfigError;
use crate::config::file::ConfigFile;
use crate::mapping::Mapping;
use crate::mapping::listing::{ScanBudget, process_budget};
use crate::ops::{self, Context};
use crate::ratelimit::RateLimit;
use crate::request::Settings;
use crate::scim;
use crate::tenant::{Tenant, TenantId};
use crate::upstream::{CallPolicy, ProductRequest, ProductResponse, Transport, Upstream, UpstreamError};
use futures_util::future::BoxFuture;
use http::{Method, StatusCode};
use serde_json::Value;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The base URL the previewed calls are made under (their paths are shown relative to it).
const PRODUCT: &str = "https://product.example.invalid";

/// One call the gateway sends the product.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// HTTP method.
    pub method: Method,
    /// Path and query, relative to the tenant's `upstream.base_url`.
    pub path: String,
    /// JSON body, if any.
    pub body: Option<Value>,
}

/// Which SCIM update to preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `PATCH /Users/{id}` (a PatchOp body).
    Patch,
    /// `PUT /Users/{id}` (a whole resource).
    Put,
}

/// A product holding the previewed object and, for a group, the member users given: a read or write of an
/// object's path answers that object (as a product that returns the object it wrote), any other write answers the
/// previewed object, a delete 204, any other read 404. Every call is recorded.
struct Recorder {
    target: (String, bytes::Bytes),
    others: Vec<(String, bytes::Bytes)>,
    calls: Mutex<Vec<Call>>,
}

impl Transport for Recorder {
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(Call {
                method: req.method.clone(),
                path: req.path_and_query.clone(),
                body: req.body.clone(),
            });
        }
        let path = req.path_and_query.split('?').next().unwrap_or_default();
        let known = std::iter::once(&self.target)
            .chain(&self.others)
            .find(|(p, _)| p == path)
            .map(|(_, body)| body.clone());
        let (status, body) = match (&req.method, known) {
            (&Method::DELETE, _) => (StatusCode::NO_CONTENT, bytes::Bytes::new()),
            (_, Some(body)) => (StatusCode::OK, body),
            (&Method::GET, None) => (StatusCode::NOT_FOUND, bytes::Bytes::from_static(b"{}")),
            (_, None) => (StatusCode::OK, self.target.1.clone()),
        };
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Box::pin(std::future::ready(Ok(ProductResponse { status, headers, body })))
    }
}

/// A product client for calls that are never sent (rendering paths, reading error answers).
pub fn offline() -> Result<Upstream, scim::Error> {
    let recorder = Arc::new(Recorder {
        target: (String::new(), bytes::Bytes::new()),
        others: Vec::new(),
        calls: Mutex::new(Vec::new()),
    });
    Upstream::over(PRODUCT, CallPolicy::default(), recorder).map_err(scim::Error::internal)
}

/// The request settings the config gives (limits, base path), without its listener, tenants or secrets.
pub fn settings_of(file: &ConfigFile) -> Result<Settings, ConfigError> {
    let mut file = file.clone();
    file.server.tls = None;
    file.server.plaintext = true;
    file.server.passthrough = None;
    file.admin.enabled = false;
    file.tenants.clear();
    Ok(crate::config::validate(&file)?.gateway.settings)
}

/// The product calls a SCIM `verb` with `body` makes on `product` (the object as the product's single read
/// returns it, inside its response envelope if the mapping has one), in the order they are sent. `users` are
/// product users a group's member changes may read or write (as their single read returns them).
pub async fn calls(
    mapping: Mapping,
    settings: &Settings,
    resource: Resource,
    verb: Verb,
    product: &Value,
    users: &[Value],
    body: Value,
) -> Result<Vec<Call>, scim::Error> {
    let id = id_of(&mapping, resource, product)?;
    let (_, res) = super::pick(&mapping, resource)?;
    let target = (
        res.endpoints.get.render(Some(&id), &[]),
        bytes::Bytes::from(product.to_string()),
    );
    let mut others = Vec::new();
    for user in users {
        let user_id = id_of(&mapping, Resource::User, user)?;
        others.push((
            mapping.users.endpoints.get.render(Some(&user_id), &[]),
            bytes::Bytes::from(user.to_string()),
        ));
    }
    let recorder = Arc::new(Recorder {
        target,
        others,
        calls: Mutex::new(Vec::new()),
    });
    let upstream = Upstream::over(PRODUCT, CallPolicy::default(), recorder.clone()).map_err(scim::Error::internal)?;
    let one = NonZeroU32::MIN;
    let tenant = Tenant {
        id: TenantId::parse("preview").map_err(scim::Error::internal)?,
        tokens: Vec::new(),
        hosts: Vec::new(),
        rate_limit: RateLimit::new(one, one),
        upstream,
        mapping: Arc::new(mapping),
        mapping_config: Arc::new(Value::Null),
        cache: Arc::new(IdCache::new(16, Duration::from_secs(60))),
        scan_budget: ScanBudget::new(
            settings.scan_limit as usize + 1,
            process_budget(settings.scan_limit as usize + 1),
        ),
    };
    let ctx = Context {
        tenant: Arc::new(tenant),
        base_url: "https://scim.example.invalid/scim/v2".into(),
        settings,
        if_match: None,
    };
    match (resource, verb) {
        (Resource::User, Verb::Patch) => ops::users::patch(&ctx, &id, body).await?,
        (Resource::User, Verb::Put) => ops::users::replace(&ctx, &id, body).await?,
        (Resource::Group, Verb::Patch) => ops::groups::patch(&ctx, &id, body).await?,
        (Resource::Group, Verb::Put) => ops::groups::replace(&ctx, &id, body).await?,
    };
    let calls = recorder.calls.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(calls)
}

/// The SCIM id of a product object.
fn id_of(mapping: &Mapping, resource: Resource, product: &Value) -> Result<String, scim::Error> {
    super::to_scim(mapping, resource, product, "")?
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            scim::Error::new(
                StatusCode::BAD_REQUEST,
                "the product object has no id where the mapping says",
            )
        })
}
