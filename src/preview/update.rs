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

/// A product holding one object: every read answers it, every write answers it too (as a product that returns
/// the object it wrote), a delete answers 204. Every call is recorded.
struct Recorder {
    object: bytes::Bytes,
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
        let (status, body) = match req.method {
            Method::DELETE => (StatusCode::NO_CONTENT, bytes::Bytes::new()),
            _ => (StatusCode::OK, self.object.clone()),
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
        object: bytes::Bytes::new(),
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
/// returns it, inside its response envelope if the mapping has one), in the order they are sent.
pub async fn calls(
    mapping: Mapping,
    settings: &Settings,
    resource: Resource,
    verb: Verb,
    product: &Value,
    body: Value,
) -> Result<Vec<Call>, scim::Error> {
    let recorder = Arc::new(Recorder {
        object: bytes::Bytes::from(product.to_string()),
        calls: Mutex::new(Vec::new()),
    });
    let id = super::to_scim(&mapping, resource, product, "")?
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            scim::Error::new(
                StatusCode::BAD_REQUEST,
                "the product object has no id where the mapping says",
            )
        })?;
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
