//! The validated runtime of one config: settings, tenants and their authenticator. Built by `config::validate`,
//! shared by every connection; the router reads it for each request (`router::answer`).

use crate::auth::Authenticator;
use crate::metrics::Metrics;
use crate::proxy::{Passthrough, PeerFields, PerConnection};
use crate::ratelimit::AuthThrottle;
pub use crate::request::Settings;
use crate::tenant::Tenant;
use std::net::SocketAddr;
use std::sync::Arc;

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
    /// SCIM writes running in tasks of their own (`router`), kept across reloads: shutdown waits for them.
    pub writes: tokio_util::task::TaskTracker,
    /// State shared with other replicas through Redis (`[shared]`).
    pub shared: Option<Arc<crate::shared::Shared>>,
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
            writes: tokio_util::task::TaskTracker::new(),
            shared: None,
        }
    }

    /// The same runtime, passing requests outside the SCIM base paths through to the product.
    pub fn with_passthrough(mut self, passthrough: Option<Passthrough>) -> Self {
        self.passthrough = passthrough;
        self
    }
}

/// The client at the other end of a connection, as each of its requests sees it. What depends only on the
/// connection is worked out once for all its requests: the forwarding fields of its pass-through requests.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    forwarding: PeerFields,
    passthrough: Arc<PerConnection>,
}

impl Peer {
    /// The client at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Peer {
            addr,
            forwarding: PeerFields::new(addr.ip()),
            passthrough: Arc::default(),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its forwarding field values.
    pub fn forwarding(&self) -> &PeerFields {
        &self.forwarding
    }

    /// What the pass-through keeps for its connection (exchanges in flight, a stalled answer).
    pub fn passthrough(&self) -> &Arc<PerConnection> {
        &self.passthrough
    }
}
