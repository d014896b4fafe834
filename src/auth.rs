//! Bearer-token authentication: `Authorization: Bearer <token>` → the tenant that owns it.
//!
//! Tokens are never stored: the config holds their SHA-256 digests (`sha256:<hex>`), and a presented token is
//! hashed and compared against every digest in constant time. Neither tokens nor digests are ever logged.

use crate::scim;
use crate::tenant::Tenant;
use crate::token::TokenHash;
use http::{HeaderMap, HeaderValue};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;

/// Why a request was not admitted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("authentication required: send Authorization: Bearer <token>")]
    Missing,
    /// The header is not `Bearer <token>`.
    #[error("the Authorization header must use the Bearer scheme")]
    NotBearer,
    /// No tenant has this token.
    #[error("the bearer token is not valid")]
    Unknown,
    /// The token's `not_after` time has passed.
    #[error("the bearer token has expired; ask the operator for a new one")]
    Expired,
    /// The token's tenant is not served on the host the request was sent to.
    #[error("the bearer token is not valid on this host")]
    WrongHost,
}

impl From<AuthError> for scim::Error {
    fn from(e: AuthError) -> Self {
        scim::Error::unauthorized(e.to_string())
    }
}

/// Maps token digests to tenants.
#[derive(Debug, Default)]
pub struct Authenticator {
    entries: Vec<(TokenHash, Option<SystemTime>, Arc<Tenant>)>,
    /// Every host some tenant is bound to.
    bound_hosts: HashSet<String>,
}

impl Authenticator {
    /// Index every token of every tenant.
    pub fn new(tenants: &[Arc<Tenant>]) -> Self {
        let entries = tenants
            .iter()
            .flat_map(|t| t.tokens.iter().map(|(h, not_after)| (h.clone(), *not_after, t.clone())))
            .collect();
        let bound_hosts = tenants.iter().flat_map(|t| t.hosts.iter().cloned()).collect();
        Authenticator { entries, bound_hosts }
    }

    /// The tenant whose token the request carries.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Tenant>, AuthError> {
        let value = headers.get(http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
        let presented = TokenHash::of(bearer_token(value).ok_or(AuthError::NotBearer)?);
        // Compare against every digest, without stopping at a match, so timing says nothing about position.
        let mut found = None;
        for (hash, not_after, tenant) in &self.entries {
            if hash.matches(&presented) {
                found = Some((*not_after, tenant.clone()));
            }
        }
        match found {
            None => Err(AuthError::Unknown),
            Some((Some(end), _)) if SystemTime::now() > end => Err(AuthError::Expired),
            Some((_, tenant)) => Ok(tenant),
        }
    }

    /// Whether the host a request was sent to decides if `tenant` may be used: it is bound to hosts, or another
    /// tenant is. Without host-bound tenants the host is not looked at.
    pub fn host_matters(&self, tenant: &Tenant) -> bool {
        !tenant.hosts.is_empty() || !self.bound_hosts.is_empty()
    }

    /// Whether `tenant` may be used on `host` (lowercase, without port): a tenant bound to hosts only on those,
    /// an unbound tenant only on hosts no tenant is bound to.
    pub fn admits_on(&self, tenant: &Tenant, host: Option<&str>) -> Result<(), AuthError> {
        let admitted = if tenant.hosts.is_empty() {
            host.is_none_or(|h| !self.bound_hosts.contains(h))
        } else {
            host.is_some_and(|h| tenant.hosts.iter().any(|bound| bound == h))
        };
        admitted.then_some(()).ok_or(AuthError::WrongHost)
    }

    /// Whether an `Authorization` value is a SCIM bearer token of any tenant, so that pass-through can keep it
    /// from the product. Only a `Bearer` credential is looked up: any other (`Basic …`) is the product's, and is
    /// neither hashed nor compared. A plain digest lookup: it counts as no authentication attempt.
    pub fn is_scim_token(&self, value: &HeaderValue) -> bool {
        let Some(token) = bearer_token(value) else {
            return false;
        };
        let presented = TokenHash::of(token);
        self.entries
            .iter()
            .fold(false, |hit, (hash, _, _)| hit | hash.matches(&presented))
    }
}

/// The token of an `Authorization: Bearer <token>` value (RFC 6750 §2.1); `None` for any other scheme.
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_credentials_are_taken_for_tokens() {
        let value = |text: &str| HeaderValue::from_str(text).expect("header value");
        assert_eq!(bearer_token(&value("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&value("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&value("Basic abc")), None);
        assert_eq!(bearer_token(&value("Bearer")), None);
    }
}
