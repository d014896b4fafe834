//! Per-tenant rate limiting with governor: each tenant owns its own limiter, so one tenant's flood never uses
//! another's quota. Over the limit: 429 with `Retry-After` (RFC 6585 §4, RFC 7644 §3.12).

use crate::scim;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// A tenant's limiter.
pub struct RateLimit {
    limiter: RateLimiter<NotKeyed, InMemoryState, DefaultClock, NoOpMiddleware>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimit")
    }
}

/// The tenant is over its quota.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("rate limit exceeded; retry in {retry_after:?}")]
pub struct Limited {
    /// Earliest time a request will be admitted again.
    pub retry_after: Duration,
}

impl From<Limited> for scim::Error {
    fn from(e: Limited) -> Self {
        // Retry-After carries whole seconds (RFC 9110 §10.2.3); round up so a retry at that time succeeds.
        let secs = e.retry_after.as_secs() + u64::from(e.retry_after.subsec_nanos() > 0);
        scim::Error::too_many_requests(Duration::from_secs(secs.max(1)))
    }
}

impl RateLimit {
    /// `per_second` sustained, `burst` at once.
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let clock = DefaultClock::default();
        let quota = Quota::per_second(per_second).allow_burst(burst);
        RateLimit {
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// Take one request from the quota, or say when to come back.
    pub fn check(&self) -> Result<(), Limited> {
        self.limiter.check().map_err(|not_until| Limited {
            retry_after: not_until.wait_time_from(self.clock.now()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_admitted_then_limited_with_a_wait() {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let limit = RateLimit::new(nz(1), nz(3));
        for _ in 0..3 {
            assert!(limit.check().is_ok());
        }
        let limited = limit.check().unwrap_err();
        assert!(limited.retry_after > Duration::ZERO && limited.retry_after <= Duration::from_secs(1));
        let err: scim::Error = limited.into();
        assert_eq!(err.status, http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(err.retry_after, Some(Duration::from_secs(1)));
    }

    #[test]
    fn tenants_do_not_share_quota() {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let (a, b) = (RateLimit::new(nz(1), nz(1)), RateLimit::new(nz(1), nz(1)));
        assert!(a.check().is_ok());
        assert!(a.check().is_err());
        assert!(b.check().is_ok());
    }
}
