//! The config file as written: serde structs that mirror the TOML (and `SCIMGATE_` environment overrides).
//!
//! Nothing here is used while serving. `config::validate` turns these into the runtime types and names the
//! exact key on every failure.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod mapping;
mod mapping_rules;
mod passthrough;
mod shared;

pub use mapping::*;
pub use mapping_rules::*;
pub use passthrough::*;
pub use shared::*;

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
    /// The admin listener (health and metrics).
    #[serde(default)]
    pub admin: AdminFile,
    /// The audit trail of changes.
    #[serde(default)]
    pub audit: AuditFile,
    /// State shared with other replicas through Redis; without it, each replica keeps its own.
    #[serde(default)]
    pub shared: Option<SharedFile>,
}

impl ConfigFile {
    /// The files this config reads besides itself: the listener's certificate, key and client CA bundle, the
    /// tenants' `file:` secrets and CA bundles, the pass-through's CA bundle. A change to one of them is a change
    /// to the config.
    pub fn referenced_files(&self) -> Vec<std::path::PathBuf> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(tls) = &self.server.tls {
            out.extend([tls.cert.as_str(), tls.key.as_str()]);
            out.extend(tls.client_ca.as_deref());
        }
        if let Some(p) = &self.server.passthrough {
            out.extend(p.ca.as_deref());
        }
        for t in &self.tenants {
            let u = &t.upstream;
            out.extend(u.auth.as_ref().and_then(|a| a.secret.strip_prefix("file:")));
            out.extend(u.ca.as_deref());
        }
        if let Some(sh) = &self.shared {
            out.extend(sh.password.as_deref().and_then(|p| p.strip_prefix("file:")));
            out.extend(
                [&sh.ca, &sh.client_cert, &sh.client_key]
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
        }
        out.into_iter().map(std::path::PathBuf::from).collect()
    }
}

/// `[admin]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminFile {
    /// Serve `/healthz`, `/readyz` and `/metrics`.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Where; plain HTTP, so keep it on loopback or a private network.
    #[serde(default = "default_admin_listen")]
    pub listen: String,
}

impl Default for AdminFile {
    fn default() -> Self {
        AdminFile {
            enabled: true,
            listen: default_admin_listen(),
        }
    }
}

/// `[audit]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    /// `stdout`, or the path of a file that audit lines are appended to; without it, no audit trail is written.
    #[serde(default)]
    pub output: Option<String>,
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
    /// Path under which the SCIM endpoints live, or a list of them (the first is the one `meta.location` uses
    /// when a request came in under none of them).
    #[serde(default = "default_base_path")]
    pub base_path: BasePaths,
    /// Seconds in-flight requests get to finish after SIGTERM before their connections are closed.
    #[serde(default = "default_drain")]
    pub drain_timeout_s: u64,
    /// The externally visible SCIM base URL (`https://scim.example.com/scim/v2`), used for `meta.location`.
    /// When unset, it is built from the request's `Host` and the listener's scheme.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Reverse-proxy mode: the product's own origin, to which every request outside the SCIM base paths is
    /// passed through. Without it, those requests get a SCIM 404.
    #[serde(default)]
    pub passthrough: Option<PassthroughFile>,
    /// Build `meta.location` from `X-Forwarded-Proto` and `X-Forwarded-Host` when `public_url` is unset, and count
    /// failed authentications against the forwarded client address. Only for a listener that a trusted reverse
    /// proxy alone can reach: the client could otherwise choose the URLs and its address.
    #[serde(default)]
    pub trust_forwarded_headers: bool,
}

/// `[server.tls]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// Path of the PEM certificate chain, leaf first.
    pub cert: String,
    /// Path of the PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: String,
    /// Path of a PEM CA bundle: when set, clients must present a certificate it issued (mutual TLS).
    #[serde(default)]
    pub client_ca: Option<String>,
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
    /// Most product objects that one tenant's scans (filters the product cannot evaluate) hold at once; a scan
    /// past it is answered `503` with `Retry-After`. Default: four times `scan_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_scan_budget: Option<u64>,
    /// Most product objects that all tenants' scans hold at once in the process. Default: sixteen times
    /// `scan_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_budget: Option<u64>,
    /// Upper bound on one request's time in the gateway, in milliseconds.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Time a client has to send a request's headers, in milliseconds (slow clients are cut off).
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout_ms: u64,
    /// Largest request head (request line and headers), in bytes.
    #[serde(default = "default_max_header_bytes")]
    pub max_header_bytes: usize,
    /// Most headers in one request.
    #[serde(default = "default_max_headers")]
    pub max_headers: usize,
    /// Connections served at once; further clients wait in the listen backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Connections one client address may hold at once; a further one is closed as soon as it is accepted.
    #[serde(default = "default_max_connections_per_client")]
    pub max_connections_per_client: usize,
    /// Time a connection may have no request in progress (before its first, between two, an HTTP/2 connection
    /// with no open stream) before it is closed, in milliseconds.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_ms: u64,
    /// Interval of the HTTP/2 PINGs that check a client is still there, in milliseconds; 0 sends none.
    #[serde(default = "default_http2_keep_alive_interval")]
    pub http2_keep_alive_interval_ms: u64,
    /// Time a client has to answer an HTTP/2 PING before its connection is closed, in milliseconds.
    #[serde(default = "default_http2_keep_alive_timeout")]
    pub http2_keep_alive_timeout_ms: u64,
    /// Deepest nesting of arrays and objects in a request body.
    #[serde(default = "default_max_json_depth")]
    pub max_json_depth: usize,
    /// Longest `filter`, in characters.
    #[serde(default = "default_max_filter_length")]
    pub max_filter_length: usize,
    /// Deepest nesting of parentheses, `not` and value paths in a `filter`.
    #[serde(default = "default_max_filter_depth")]
    pub max_filter_depth: usize,
    /// Most operations in one PATCH.
    #[serde(default = "default_max_patch_operations")]
    pub max_patch_operations: usize,
    /// Most group members one request may add or remove.
    #[serde(default = "default_max_members_per_request")]
    pub max_members_per_request: usize,
    /// Failed authentications one client address may make with one credential before that credential is refused
    /// (429) from there for `auth_failure_window_s`; a valid token is never refused.
    #[serde(default = "default_auth_failure_limit")]
    pub auth_failure_limit: u32,
    /// Seconds without a failure after which a client address and credential's failures are forgotten.
    #[serde(default = "default_auth_failure_window")]
    pub auth_failure_window_s: u64,
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
    /// Bearer token digests, `sha256:<64 hex>` (from `scimgate token new`), or
    /// `{ digest = "sha256:…", not_after = "2027-01-31T00:00:00Z" }` for a token that stops working at that time.
    #[serde(default)]
    pub tokens: Vec<TokenFile>,
    /// Request rate allowed for this tenant.
    #[serde(default)]
    pub rate_limit: RateLimitFile,
    /// Host names this tenant is served on (`acme.product.example`); its tokens are refused on any other host,
    /// and other tenants' tokens on these. Empty: any host no tenant is bound to.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Name of the mapping under `[mappings]`.
    pub mapping: String,
    /// The product API this tenant's requests go to.
    pub upstream: UpstreamFile,
}

/// One entry of a tenant's `tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TokenFile {
    /// `"sha256:<64 hex>"`.
    Digest(String),
    /// `{ digest, not_after }`.
    Dated {
        /// `sha256:<64 hex>`.
        digest: String,
        /// RFC 3339 time after which the token is refused.
        not_after: String,
    },
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
    /// Retries of a failed product call: reads on a transport failure, a timeout, 502/503/504 or a short 429;
    /// any call whose connection could not be opened (nothing was sent). Writes are never resent once sent.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Backoff before the first retry, in milliseconds; it doubles for each further retry (with jitter).
    #[serde(default = "default_retry_backoff")]
    pub retry_backoff_ms: u64,
    /// Product calls this tenant may have in flight at once; further calls wait for a slot.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
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
            passthrough: None,
            trust_forwarded_headers: false,
            drain_timeout_s: default_drain(),
        }
    }
}

impl Default for LimitsFile {
    fn default() -> Self {
        LimitsFile {
            max_body_bytes: default_max_body(),
            max_page_size: default_max_page(),
            scan_limit: default_scan_limit(),
            tenant_scan_budget: None,
            scan_budget: None,
            request_timeout_ms: default_request_timeout(),
            header_read_timeout_ms: default_header_read_timeout(),
            max_header_bytes: default_max_header_bytes(),
            max_headers: default_max_headers(),
            max_connections: default_max_connections(),
            max_connections_per_client: default_max_connections_per_client(),
            idle_timeout_ms: default_idle_timeout(),
            http2_keep_alive_interval_ms: default_http2_keep_alive_interval(),
            http2_keep_alive_timeout_ms: default_http2_keep_alive_timeout(),
            max_json_depth: default_max_json_depth(),
            max_filter_length: default_max_filter_length(),
            max_filter_depth: default_max_filter_depth(),
            max_patch_operations: default_max_patch_operations(),
            max_members_per_request: default_max_members_per_request(),
            auth_failure_limit: default_auth_failure_limit(),
            auth_failure_window_s: default_auth_failure_window(),
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

fn default_drain() -> u64 {
    30
}
fn default_true() -> bool {
    true
}
fn default_admin_listen() -> String {
    "127.0.0.1:9090".into()
}
fn default_listen() -> String {
    "0.0.0.0:8443".into()
}
fn default_base_path() -> BasePaths {
    BasePaths::One("/scim/v2".into())
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
fn default_header_read_timeout() -> u64 {
    10_000
}
fn default_max_header_bytes() -> usize {
    64 * 1024
}
fn default_max_headers() -> usize {
    100
}
fn default_max_connections() -> usize {
    4096
}
/// A quarter of the connection slots: room for the clients behind one NAT, and three quarters left to the rest.
fn default_max_connections_per_client() -> usize {
    1024
}
fn default_idle_timeout() -> u64 {
    60_000
}
fn default_http2_keep_alive_interval() -> u64 {
    30_000
}
fn default_http2_keep_alive_timeout() -> u64 {
    10_000
}
fn default_max_json_depth() -> usize {
    32
}
fn default_max_filter_length() -> usize {
    4096
}
fn default_max_filter_depth() -> usize {
    32
}
fn default_max_patch_operations() -> usize {
    1000
}
fn default_max_members_per_request() -> usize {
    1000
}
fn default_auth_failure_limit() -> u32 {
    20
}
fn default_auth_failure_window() -> u64 {
    60
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
fn default_retries() -> u32 {
    2
}
fn default_retry_backoff() -> u64 {
    50
}
fn default_max_concurrent() -> usize {
    32
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
