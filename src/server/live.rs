//! What the listener serves, swappable while it serves: the validated gateway and the TLS config. A reload builds
//! a whole new runtime and swaps both at once; requests in flight finish on the runtime they started with, new
//! connections and requests use the new one. A config that fails validation is never swapped in.

use crate::gateway::Gateway;
use arc_swap::{ArcSwap, ArcSwapOption};
use std::sync::Arc;

/// The current gateway and TLS config.
pub struct Live {
    gateway: ArcSwap<Gateway>,
    tls: ArcSwapOption<rustls::ServerConfig>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live")
    }
}

impl Live {
    /// Start with this gateway and TLS config.
    pub fn new(gateway: Arc<Gateway>, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Live {
            gateway: ArcSwap::new(gateway),
            tls: ArcSwapOption::new(tls),
        }
    }

    /// The gateway new requests use.
    pub fn gateway(&self) -> Arc<Gateway> {
        self.gateway.load_full()
    }

    /// The TLS config new connections use.
    pub fn tls(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.tls.load_full()
    }

    /// Serve this gateway and TLS config from now on.
    pub fn swap(&self, gateway: Arc<Gateway>, tls: Option<Arc<rustls::ServerConfig>>) {
        self.gateway.store(gateway);
        self.tls.store(tls);
    }
}
