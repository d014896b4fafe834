//! The reverse-proxy keys of `[server]`: `base_path` (one or several) and `[server.passthrough]`.

use serde::{Deserialize, Serialize};

/// `base_path = "/scim/v2"` or `base_path = ["/scim/v2", "/scim"]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BasePaths {
    /// One base path.
    One(String),
    /// Several base paths.
    Many(Vec<String>),
}

impl BasePaths {
    /// The paths as written, in order.
    pub fn as_slice(&self) -> &[String] {
        match self {
            BasePaths::One(p) => std::slice::from_ref(p),
            BasePaths::Many(ps) => ps,
        }
    }
}

/// `[server.passthrough]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassthroughFile {
    /// `http://host:port` or `https://host:port` of the product; no path, no query.
    pub origin: String,
    /// `keep`: the product sees the client's `Host`; `origin`: the product sees the origin's authority.
    #[serde(default = "default_passthrough_host")]
    pub host: String,
    /// Which forwarding headers the gateway adds: `both`, `x-forwarded`, `forwarded` (RFC 7239) or `none`.
    #[serde(default = "default_forwarded")]
    pub forwarded: String,
    /// Keep and append to the forwarding headers a client sent (only when another trusted proxy stands in
    /// front of the gateway); when unset, follows `server.trust_forwarded_headers`; by default they are removed.
    #[serde(default)]
    pub trust_forwarded: Option<bool>,
    /// Add `Via` (RFC 9110 §7.6.3) to requests and responses.
    #[serde(default)]
    pub via: bool,
    /// Time the product may stay silent before its response headers, in milliseconds (504 after it): counted
    /// from the last request body it took, so a long upload is not cut short. Response bodies and upgraded
    /// connections are streamed without a deadline.
    #[serde(default = "default_passthrough_timeout")]
    pub timeout_ms: u64,
    /// Time an upgraded connection (a WebSocket) may carry no byte either way before the gateway closes both
    /// sides, in milliseconds (default one hour); 0 keeps idle tunnels open until a side closes. Applications
    /// that ping more often than this are never cut.
    #[serde(default = "default_tunnel_idle")]
    pub tunnel_idle_timeout_ms: u64,
    /// Pass-through requests in flight at once, across the gateway (each holds a product connection until its
    /// answer is sent); SCIM requests are not counted.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Pass-through requests in flight at once on one client connection (HTTP/2 streams).
    #[serde(default = "default_max_in_flight_per_connection")]
    pub max_in_flight_per_connection: usize,
    /// Time a request over either bound waits for a place before it is answered 503, in milliseconds.
    #[serde(default = "default_queue_timeout")]
    pub queue_timeout_ms: u64,
    /// Time a client may leave a part of the answer untaken before its connection is closed (and the product
    /// request with it), in milliseconds.
    #[serde(default = "default_response_stall_timeout")]
    pub response_stall_timeout_ms: u64,
    /// Extra PEM CA bundle trusted for the origin's TLS certificate (besides the system roots).
    #[serde(default)]
    pub ca: Option<String>,
}

fn default_passthrough_host() -> String {
    "keep".into()
}
fn default_forwarded() -> String {
    "both".into()
}
fn default_tunnel_idle() -> u64 {
    3_600_000
}
fn default_passthrough_timeout() -> u64 {
    30_000
}
fn default_max_in_flight() -> usize {
    1024
}
fn default_max_in_flight_per_connection() -> usize {
    16
}
fn default_queue_timeout() -> u64 {
    5_000
}
fn default_response_stall_timeout() -> u64 {
    60_000
}
