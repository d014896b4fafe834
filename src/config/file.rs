//! The config file as written: serde structs that mirror the TOML (and `SCIMGATE_` environment overrides).
//!
//! Nothing here is used while serving. `config::validate` turns these into the runtime types and names the
//! exact key on every failure.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod mapping;

pub use mapping::*;

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The SCIM listener.
    #[serde(default)]
    pub server: ServerFile,
    /// Limits applied to every request.
    #[serde(default)]
    pub limits: LimitsFile,
    /// One entry per tenant (per IdP connection).
    #[serde(default)]
    pub tenants: Vec<TenantFile>,
    /// Named mappings from SCIM onto a product API, referenced by tenants.
    #[serde(default)]
    pub mappings: BTreeMap<String, MappingFile>,
}

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// Socket address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// PEM certificate chain and key; required unless `plaintext = true`.
    #[serde(default)]
    pub tls: Option<TlsFile>,
    /// Serve plain HTTP. Only for a deployment behind a TLS-terminating proxy; logged as a warning.
    #[serde(default)]
    pub plaintext: bool,
    /// Path under which the SCIM endpoints live.
    #[serde(default = "default_base_path")]
    pub base_path: String,
    /// The externally visible SCIM base URL (`https://scim.example.com/scim/v2`), used for `meta.location`.
    /// When unset, it is built from the request's `Host` and the listener's scheme.
    #[serde(default)]
    pub public_url: Option<String>,
}

/// `[server.tls]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// Path of the PEM certificate chain, leaf first.
    pub cert: String,
    /// Path of the PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
}

/// `[limits]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// Largest request body accepted, in bytes (413 above).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: u64,
    /// Largest `count` a list request may ask for; larger values are lowered to it (RFC 7644 §3.4.2.4).
    #[serde(default = "default_max_page")]
    pub max_page_size: u32,
    /// Largest number of product records scanned to answer a filter the product cannot evaluate.
    #[serde(default = "default_scan_limit")]
    pub scan_limit: u32,
    /// Upper bound on one request's time in the gateway, in milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Largest number of id mappings each tenant's cache holds (userName → id and the like; about 400 bytes each, docs/PERFORMANCE.md).
    #[serde(default = "default_cache_entries")]
    pub cache_entries: u64,
    /// How long an id mapping is trusted, in seconds.
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl_s: u64,
}

/// One `[[tenants]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    /// Short name used in logs and metrics.
    pub id: String,
    /// Bearer token digests, `sha256:<64 hex>` (from `scimgate token new`).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Request rate allowed for this tenant.
    #[serde(default)]
    pub rate_limit: RateLimitFile,
    /// Name of the mapping under `[mappings]`.
    pub mapping: String,
    /// The product API this tenant's requests go to.
    pub upstream: UpstreamFile,
}

/// `rate_limit = { per_second, burst }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitFile {
    /// Sustained requests per second.
    #[serde(default = "default_rate")]
    pub per_second: u32,
    /// Requests allowed at once above the sustained rate.
    #[serde(default = "default_burst")]
    pub burst: u32,
}

/// `[tenants.upstream]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamFile {
    /// Base URL of the product API; endpoint paths are appended to it.
    pub base_url: String,
    /// How the gateway authenticates to the product.
    #[serde(default)]
    pub auth: Option<UpstreamAuthFile>,
    /// Timeout of one product call, in milliseconds.
    #[serde(default = "default_upstream_timeout")]
    pub timeout_ms: u64,
    /// Extra PEM CA bundle trusted for the product's TLS certificate (besides the system roots).
    #[serde(default)]
    pub ca: Option<String>,
}

/// `[tenants.upstream.auth]`: a header whose value is built from a secret reference.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamAuthFile {
    /// Header name.
    #[serde(default = "default_auth_header")]
    pub header: String,
    /// Optional scheme put before the secret, e.g. `Bearer` or `token`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// HTTP basic authentication (RFC 7617): the user name; the secret is the password, and the header value
    /// becomes `Basic base64(username:secret)`.
    #[serde(default)]
    pub username: Option<String>,
    /// `env:NAME` or `file:PATH`.
    pub secret: String,
}

impl Default for ServerFile {
    fn default() -> Self {
        ServerFile {
            listen: default_listen(),
            tls: None,
            plaintext: false,
            base_path: default_base_path(),
            public_url: None,
        }
    }
}

impl Default for LimitsFile {
    fn default() -> Self {
        LimitsFile {
            max_body_bytes: default_max_body(),
            max_page_size: default_max_page(),
            scan_limit: default_scan_limit(),
            request_timeout_ms: default_request_timeout(),
            cache_entries: default_cache_entries(),
            cache_ttl_s: default_cache_ttl(),
        }
    }
}

impl Default for RateLimitFile {
    fn default() -> Self {
        RateLimitFile {
            per_second: default_rate(),
            burst: default_burst(),
        }
    }
}

fn default_listen() -> String {
    "0.0.0.0:8443".into()
}
fn default_base_path() -> String {
    "/scim/v2".into()
}
fn default_max_body() -> u64 {
    1024 * 1024
}
fn default_max_page() -> u32 {
    200
}
fn default_scan_limit() -> u32 {
    10_000
}
fn default_request_timeout() -> u64 {
    30_000
}
fn default_cache_entries() -> u64 {
    crate::cache::DEFAULT_ENTRIES
}
fn default_cache_ttl() -> u64 {
    crate::cache::DEFAULT_TTL.as_secs()
}
fn default_rate() -> u32 {
    25
}
fn default_burst() -> u32 {
    50
}
fn default_upstream_timeout() -> u64 {
    10_000
}
fn default_auth_header() -> String {
    "Authorization".into()
}
fn default_id_pointer() -> String {
    "/id".into()
}
fn default_id_type() -> String {
    "string".into()
}
fn default_unmapped() -> String {
    "reject".into()
}
fn default_paging_style() -> String {
    "none".into()
}
fn default_page_param() -> String {
    "page".into()
}
fn default_size_param() -> String {
    "per_page".into()
}
fn default_product_max_page() -> u32 {
    100
}
fn default_cursor_param() -> String {
    "cursor".into()
}
fn default_deactivate() -> String {
    "field".into()
}
fn default_on_conflict() -> String {
    "reject".into()
}
fn default_member_concurrency() -> usize {
    4
}
fn default_items() -> String {
    String::new()
}
