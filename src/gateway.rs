//! The validated runtime of one config: settings, tenants and their authenticator. Built by `config::validate`,
//! shared by every connection; serving code reads only this.

use crate::auth::Authenticator;
use crate::router;
use crate::scim::filter::Limits;
use crate::tenant::Tenant;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Settings that apply to every request.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Path prefix of the SCIM endpoints, without a trailing slash (`/scim/v2`).
    pub base_path: String,
    /// Externally visible SCIM base URL, without a trailing slash, if configured.
    pub public_url: Option<String>,
    /// `https` or `http`: the listener's scheme, for URLs built from `Host`.
    pub scheme: &'static str,
    /// Build URLs from `X-Forwarded-Proto` / `X-Forwarded-Host` (a trusted proxy sets them).
    pub trust_forwarded_headers: bool,
    /// Largest request body, in bytes.
    pub max_body_bytes: u64,
    /// Largest page of a list response.
    pub max_page_size: u32,
    /// Largest number of product records scanned for one filter.
    pub scan_limit: u32,
    /// Upper bound on one request's time.
    pub request_timeout: Duration,
    /// Bounds on filter length and nesting.
    pub filter_limits: Limits,
    /// Largest number of PATCH operations in one request.
    pub max_patch_operations: usize,
}

/// Everything a request needs.
#[derive(Debug)]
pub struct Gateway {
    /// Request-wide settings.
    pub settings: Settings,
    /// Bearer token → tenant.
    pub auth: Authenticator,
    /// All tenants, in config order.
    pub tenants: Vec<Arc<Tenant>>,
}

impl Gateway {
    /// A runtime from its parts.
    pub fn new(settings: Settings, tenants: Vec<Arc<Tenant>>) -> Self {
        Gateway {
            auth: Authenticator::new(&tenants),
            settings,
            tenants,
        }
    }

    /// Answer one HTTP request.
    pub async fn handle(&self, req: http::Request<Incoming>, peer: SocketAddr) -> http::Response<Full<Bytes>> {
        router::handle(self, req, peer).await
    }
}
