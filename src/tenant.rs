//! A tenant: one IdP connection, with its tokens, its rate limit, its product API and its mapping.

use crate::cache::IdCache;
use crate::mapping::Mapping;
use crate::ratelimit::RateLimit;
use crate::token::TokenHash;
use crate::upstream::Upstream;
use std::fmt;
use std::sync::Arc;

/// The short name of a tenant, as written in the config; safe to log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Accept `[A-Za-z0-9_.-]{1,64}`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(TenantId(Arc::from(text)))
        } else {
            Err("expected 1 to 64 of [A-Za-z0-9_.-]".into())
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a metric label value, shared rather than copied per request.
    pub fn label(&self) -> Arc<str> {
        self.0.clone()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The validated runtime form of one `[[tenants]]` entry.
#[derive(Debug)]
pub struct Tenant {
    /// Name for logs and metrics.
    pub id: TenantId,
    /// The bearer tokens that authenticate as this tenant, by digest, each with the time it stops working.
    pub tokens: Vec<(TokenHash, Option<std::time::SystemTime>)>,
    /// Host names this tenant is served on, lowercase, without port; empty for any unbound host.
    pub hosts: Vec<String>,
    /// This tenant's own request limiter.
    pub rate_limit: RateLimit,
    /// The product API and the credentials to call it.
    pub upstream: Upstream,
    /// How SCIM resources map onto that API.
    pub mapping: Arc<Mapping>,
    /// This tenant's id mappings.
    pub cache: IdCache,
}
