//! What every request shares, below the modules that serve it: the settings that apply to each request and the
//! type of every answer's body. The router, the operations and the pass-through read these; none of them needs
//! the runtime that holds them (`gateway`).

use crate::scim::filter::Limits;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use std::time::Duration;

/// Settings that apply to every request.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Path prefix of the SCIM endpoints, without a trailing slash (`/scim/v2`): the first of `base_paths`.
    pub base_path: String,
    /// Every path prefix the SCIM endpoints are served under, in config order.
    pub base_paths: Vec<String>,
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
    /// Most group members one request may add or remove.
    pub max_members_per_request: usize,
    /// Deepest nesting in a request body.
    pub max_json_depth: usize,
    /// Time a client has to send a request's headers.
    pub header_read_timeout: Duration,
    /// Largest request head, in bytes.
    pub max_header_bytes: usize,
    /// Most headers in one request.
    pub max_headers: usize,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one client address may hold at once.
    pub max_connections_per_client: usize,
    /// Time a connection may have no request in progress before it is closed.
    pub idle_timeout: Duration,
    /// Interval of HTTP/2 keep-alive PINGs, if any.
    pub http2_keep_alive_interval: Option<Duration>,
    /// Time a client has to answer an HTTP/2 PING.
    pub http2_keep_alive_timeout: Duration,
    /// Time in-flight requests get after shutdown begins.
    pub drain_timeout: Duration,
    /// Failed authentications a client address may make before it is refused.
    pub auth_failure_limit: u32,
    /// Quiet time after which an address's failures are forgotten.
    pub auth_failure_window: Duration,
}

/// The body of every answer: a whole SCIM document, or a pass-through body streamed from the product.
pub type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// A plain-text answer of `status` carrying `text`: what the listener and the pass-through answer outside SCIM.
pub fn plain_text(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from(text))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
