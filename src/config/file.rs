//! The config file as written: serde structs that mirror the TOML (and `SCIMGATE_` environment overrides).
//!
//! Nothing here is used while serving. `config::validate` turns these into the runtime types and names the
//! exact key on every failure.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One `[mappings.NAME]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// How SCIM Users map onto the product's users.
    pub users: ResourceMappingFile,
    /// How SCIM Groups map onto the product's teams; without it, `/Groups` is not served.
    #[serde(default)]
    pub groups: Option<ResourceMappingFile>,
    /// Where the product puts a human-readable message in its error bodies (JSON pointer).
    #[serde(default)]
    pub error_message: Option<String>,
    /// Extra headers sent with every product request (`"X-Client" = "scimgate"`); values are plain text, so
    /// credentials belong in the tenant's `upstream.auth`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// `[mappings.NAME.users]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceMappingFile {
    /// JSON pointer of the product's id in its objects.
    #[serde(default = "default_id_pointer")]
    pub id: String,
    /// `integer`, `uuid` or `string`: what a valid product id looks like.
    #[serde(default = "default_id_type")]
    pub id_type: String,
    /// `"METHOD /path/{id}"` per operation.
    pub endpoints: EndpointsFile,
    /// How the product pages its listings.
    #[serde(default)]
    pub paging: PagingFile,
    /// Filter push-down: `"userName eq" = "email"` sends `?email=<value>`.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// SCIM attribute path → product field.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeFile>,
    /// What to do with a SCIM attribute in a write that no mapping holds: `reject` (400) or `ignore` (it is not
    /// advertised in `/Schemas` either).
    #[serde(default = "default_unmapped")]
    pub unmapped: String,
    /// Where single objects sit in the product's request and response bodies (`{"user": {...}}`).
    #[serde(default)]
    pub envelope: EnvelopeFile,
    /// `partial` (send only the changed fields) or `replace` (send the whole object, built from a fresh read).
    /// Defaults to `partial` for a PATCH update endpoint and `replace` otherwise.
    #[serde(default)]
    pub update_style: Option<String>,
    /// How `active = false` reaches the product: `field` (the attribute mapping of `active`), `endpoint`
    /// (`endpoints.deactivate` / `endpoints.reactivate`) or `delete` (the object is deleted).
    #[serde(default = "default_deactivate")]
    pub deactivate: String,
    /// A create that finds the same `userName` (or group `displayName`) already in the product: `reject`
    /// (409 uniqueness) or `adopt` (the existing object is updated and linked).
    #[serde(default = "default_on_conflict")]
    pub on_conflict: String,
    /// Product fields set on every create, e.g. `{ "/role" = "member" }`, unless a mapped attribute sets them.
    #[serde(default)]
    pub create_defaults: BTreeMap<String, serde_json::Value>,
    /// A marker field written on create and adopt, flagging the object as managed by SCIM.
    #[serde(default)]
    pub managed: Option<ManagedFile>,
    /// Group membership (groups only).
    #[serde(default)]
    pub members: Option<MembersFile>,
}

/// `envelope = { request = "/user", response = "/data" }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeFile {
    /// JSON pointer at which the object is placed in request bodies.
    #[serde(default)]
    pub request: Option<String>,
    /// JSON pointer at which the object is found in single-object responses.
    #[serde(default)]
    pub response: Option<String>,
}

/// `managed = { pointer = "/managed_by", value = "scim" }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedFile {
    /// The product field.
    pub pointer: String,
    /// The value written to it.
    pub value: serde_json::Value,
}

/// `[mappings.NAME.groups.members]`: how the product keeps a team's members.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersFile {
    /// `endpoints` (a call per member), `batch` (one call with lists of keys), `list` (a member array on the
    /// team object, read-modify-write) or `user_field` (a team field on the user object).
    pub style: String,
    /// JSON pointer, in the *user* object, of the key the product's membership data uses (default: the user id).
    #[serde(default)]
    pub user_key: Option<String>,
    /// `endpoints`: `"PUT /teams/{id}/members/{member}"`.
    #[serde(default)]
    pub add: Option<String>,
    /// `endpoints`: `"DELETE /teams/{id}/members/{member}"`.
    #[serde(default)]
    pub remove: Option<String>,
    /// `batch`: `"POST /teams/{id}/members"`.
    #[serde(default)]
    pub batch: Option<String>,
    /// `batch`: where the keys to add go in the batch body.
    #[serde(default)]
    pub batch_add: Option<String>,
    /// `batch`: where the keys to remove go in the batch body.
    #[serde(default)]
    pub batch_remove: Option<String>,
    /// `endpoints`/`batch`: `"GET /teams/{id}/members"`, the team's member listing.
    #[serde(default)]
    pub list: Option<String>,
    /// `endpoints`/`batch`: where the member array is in the listing ("" for a bare array).
    #[serde(default)]
    pub list_items: Option<String>,
    /// `endpoints`/`batch`: where the key is in one element of the listing ("" when elements are keys).
    #[serde(default)]
    pub item_key: Option<String>,
    /// `list`: where the member key array is in the team object; `user_field`: where the team id (or an array
    /// of them) is in the user object.
    #[serde(default)]
    pub pointer: Option<String>,
    /// `user_field`: the users' query parameter that lists a team's members (`"filter[team_ids][_contains]"`).
    #[serde(default)]
    pub user_filter: Option<String>,
    /// Product calls run at once for one group PATCH.
    #[serde(default = "default_member_concurrency")]
    pub concurrency: usize,
}

/// `endpoints = { list = "GET /users", ... }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsFile {
    /// List (and search) the product's objects.
    pub list: String,
    /// Read one object by id.
    pub get: String,
    /// Create an object.
    pub create: String,
    /// Partial update (`PATCH`) or full replace (`PUT`) of one object.
    pub update: String,
    /// Delete one object.
    pub delete: String,
    /// A listing used for pushed-down filters instead of `list` (`"GET /users/search"`), when the product has one.
    #[serde(default)]
    pub search: Option<String>,
    /// `endpoint` deactivation: `"POST /users/{id}/deactivate"`.
    #[serde(default)]
    pub deactivate: Option<String>,
    /// `endpoint` deactivation: `"POST /users/{id}/reactivate"`.
    #[serde(default)]
    pub reactivate: Option<String>,
}

/// `paging = { style = "page", ... }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingFile {
    /// `page` (1-based page number + page size), `offset` (offset + limit), `cursor` (an opaque cursor from
    /// the previous answer), `next_link` (the next page's URL from the previous answer) or `none`.
    #[serde(default = "default_paging_style")]
    pub style: String,
    /// Query parameter of the page number or offset.
    #[serde(default = "default_page_param")]
    pub page_param: String,
    /// Query parameter of the page size or limit.
    #[serde(default = "default_size_param")]
    pub size_param: String,
    /// Largest page the product serves.
    #[serde(default = "default_product_max_page")]
    pub max_size: u32,
    /// JSON pointer of the array of objects in a listing ("" for a bare array).
    #[serde(default = "default_items")]
    pub items: String,
    /// JSON pointer of the total count in a listing, when the product gives one.
    #[serde(default)]
    pub total: Option<String>,
    /// Response header carrying the total count (`X-Total-Count`), when the product gives one there.
    #[serde(default)]
    pub total_header: Option<String>,
    /// `cursor`: the query parameter carrying the cursor.
    #[serde(default = "default_cursor_param")]
    pub cursor_param: String,
    /// `cursor`/`next_link`: JSON pointer of the next cursor or next-page URL in a listing (null or absent on
    /// the last page).
    #[serde(default)]
    pub next: Option<String>,
}

/// An attribute mapping: either a bare JSON pointer or a table with a transform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeFile {
    /// `userName = "/email"`.
    Pointer(String),
    /// `active = { pointer = "/status", map = { true = "active", false = "suspended" } }`.
    Full(AttributeTableFile),
}

/// The table form of an attribute mapping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeTableFile {
    /// JSON pointer into the product object (absent for a `template`).
    #[serde(default)]
    pub pointer: Option<String>,
    /// A read-only value built from product fields: `"{/first_name} {/last_name}"`.
    #[serde(default)]
    pub template: Option<String>,
    /// Written to the product, never read back (e.g. a password).
    #[serde(default)]
    pub write_only: bool,
    /// SCIM value used on create when the IdP sends none.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// SCIM value (as its JSON text: `true`, `"x"`) → product value, one to one.
    #[serde(default)]
    pub map: Option<BTreeMap<String, serde_json::Value>>,
    /// Read from the product, never written to it.
    #[serde(default)]
    pub read_only: bool,
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

impl Default for PagingFile {
    fn default() -> Self {
        PagingFile {
            style: default_paging_style(),
            page_param: default_page_param(),
            size_param: default_size_param(),
            max_size: default_product_max_page(),
            items: default_items(),
            total: None,
            total_header: None,
            cursor_param: default_cursor_param(),
            next: None,
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
