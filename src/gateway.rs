//! The validated runtime of one config: settings, tenants and their authenticator. Built by `config::validate`,
//! shared by every connection; serving code reads only this.

use crate::auth::Authenticator;
use crate::metrics::Metrics;
use crate::proxy::{Passthrough, PeerFields};
use crate::ratelimit::AuthThrottle;
use crate::router;
use crate::scim::filter::Limits;
use crate::tenant::Tenant;
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
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
    /// Time in-flight requests get after shutdown begins.
    pub drain_timeout: Duration,
    /// Failed authentications a client address may make before it is refused.
    pub auth_failure_limit: u32,
    /// Quiet time after which an address's failures are forgotten.
    pub auth_failure_window: Duration,
}

/// The body of every answer: a whole SCIM document, or a pass-through body streamed from the product.
pub type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Everything a request needs.
#[derive(Debug)]
pub struct Gateway {
    /// Request-wide settings.
    pub settings: Settings,
    /// Bearer token → tenant.
    pub auth: Authenticator,
    /// All tenants, in config order.
    pub tenants: Vec<Arc<Tenant>>,
    /// Failed authentications per client address.
    pub auth_throttle: AuthThrottle,
    /// Counters and histograms, shared with the admin listener and kept across reloads.
    pub metrics: Arc<Metrics>,
    /// Reverse-proxy mode: where requests outside the SCIM base paths go, if anywhere.
    pub passthrough: Option<Passthrough>,
}

impl Gateway {
    /// A runtime from its parts.
    pub fn new(settings: Settings, tenants: Vec<Arc<Tenant>>, metrics: Arc<Metrics>) -> Self {
        Gateway {
            metrics,
            auth: Authenticator::new(&tenants),
            auth_throttle: AuthThrottle::new(settings.auth_failure_limit, settings.auth_failure_window),
            settings,
            tenants,
            passthrough: None,
        }
    }

    /// The same runtime, passing requests outside the SCIM base paths through to the product.
    pub fn with_passthrough(mut self, passthrough: Option<Passthrough>) -> Self {
        self.passthrough = passthrough;
        self
    }

    /// The answer to one HTTP request from `peer`, as the listener's service returns it. The branch is taken
    /// before the future is built, so that each kind of request carries only its own state: hyper moves the
    /// future into its connection's slot on every request, and a SCIM request's state is kilobytes. A
    /// pass-through request's future holds the product exchange alone; a SCIM request's is boxed.
    pub fn answer(
        gw: Arc<Gateway>,
        req: http::Request<Incoming>,
        peer: Arc<Peer>,
    ) -> impl Future<Output = http::Response<Body>> + Send {
        use futures_util::future::Either;
        // Reverse-proxy mode: a request outside the SCIM base paths leaves for the product at once, before
        // authentication, rate limits or body reads; the product does its own authentication. It is counted and
        // logged in `forward`, to the response head; the body streams on after.
        if router::passes_through(&gw, req.uri().path()) {
            Either::Left(async move {
                match &gw.passthrough {
                    Some(proxy) => proxy.forward(req, &peer, &gw.auth, &gw.metrics).await,
                    // Not reached (`passes_through` said there is one): answered as without a pass-through,
                    // boxed so as not to weigh on the above.
                    None => Box::pin(router::handle(&gw, req, &peer)).await,
                }
            })
        } else {
            Either::Right(Box::pin(async move { router::handle(&gw, req, &peer).await }))
        }
    }
}

/// The client at the other end of a connection, as each of its requests sees it. What depends only on the
/// connection is worked out once for all its requests: its address as text for the log lines, and the
/// forwarding fields of its pass-through requests.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    text: Box<str>,
    forwarding: PeerFields,
}

impl Peer {
    /// The client at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Peer {
            addr,
            text: addr.to_string().into(),
            forwarding: PeerFields::new(addr.ip()),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its address as `Display` writes it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Its forwarding field values.
    pub fn forwarding(&self) -> &PeerFields {
        &self.forwarding
    }
}
