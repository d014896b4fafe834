//! A tenant: one IdP connection, with its tokens, its rate limit, its product API and its mapping.
//!
//! A tenant's state (its rate-limit bucket, its id cache) outlives a config reload that leaves the settings it
//! depends on unchanged ([`Tenant::continue_from`]).

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
    /// The mapping as configured (the compiled one follows from it alone): a reload compares it to tell whether
    /// the mapping changed.
    pub mapping_config: Arc<serde_json::Value>,
    /// This tenant's id mappings.
    pub cache: Arc<IdCache>,
    /// The product objects this tenant's listing scans may hold at once, within the process's budget.
    pub scan_budget: crate::mapping::listing::ScanBudget,
}

impl Tenant {
    /// Take over the state that `previous` (this tenant under the config a reload replaces) built up, where this
    /// tenant's settings leave it true: the rate-limit bucket when the rate and burst are the same, and the id
    /// cache when the product's base URL, the mapping and the cache's bounds are (a rotated product credential
    /// changes no id). The rest is this tenant's own, fresh.
    pub fn continue_from(&mut self, previous: &Tenant) {
        if self.rate_limit.same_quota(&previous.rate_limit) {
            self.rate_limit = previous.rate_limit.clone();
        }
        if self.upstream.base_url() == previous.upstream.base_url()
            && self.mapping_config == previous.mapping_config
            && self.cache.bounds() == previous.cache.bounds()
        {
            self.cache = previous.cache.clone();
        }
    }
}
