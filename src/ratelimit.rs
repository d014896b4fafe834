//! Per-tenant rate limiting with governor: each tenant owns its own limiter, so one tenant's flood never uses
//! another's quota. Over the limit: 429 with `Retry-After` (RFC 6585 §4, RFC 7644 §3.12).
//!
//! Failed authentication is throttled per client address ([`AuthThrottle`]): a client that keeps presenting
//! bad tokens is refused, without its tokens being checked, until it has been quiet for a while.

use crate::scim;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Failed authentications per client address, bounded in memory.
pub struct AuthThrottle {
    failures: moka::sync::Cache<std::net::IpAddr, u32>,
    limit: u32,
    window: Duration,
}

impl std::fmt::Debug for AuthThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthThrottle")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl AuthThrottle {
    /// Refuse an address after `limit` failures, until `window` passes without one.
    pub fn new(limit: u32, window: Duration) -> Self {
        AuthThrottle {
            // Every failure re-inserts the entry, so its time to live restarts: a persistent client stays out.
            failures: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
            limit,
            window,
        }
    }

    /// A throttle with these settings that goes on counting `previous`'s failures, so that a config reload does not
    /// give a client that was refused a fresh start. With the same window the counts are shared as they are; with
    /// another, they are copied and each starts a new window.
    pub fn continuing(previous: &AuthThrottle, limit: u32, window: Duration) -> Self {
        if previous.window == window {
            return AuthThrottle {
                failures: previous.failures.clone(),
                limit,
                window,
            };
        }
        let next = AuthThrottle::new(limit, window);
        for (addr, failures) in &previous.failures {
            next.failures.insert(*addr, failures);
        }
        next
    }

    /// 429 when `addr` has failed too often; checked before its token is.
    pub fn check(&self, addr: std::net::IpAddr) -> Result<(), scim::Error> {
        match self.failures.get(&addr) {
            Some(n) if n >= self.limit => Err(scim::Error::new(
                http::StatusCode::TOO_MANY_REQUESTS,
                "too many failed authentications from this address; wait and retry with a valid token",
            )
            .with_retry_after(self.window)),
            _ => Ok(()),
        }
    }

    /// Count a failed authentication of `addr`.
    pub fn failed(&self, addr: std::net::IpAddr) {
        self.failures
            .entry(addr)
            .and_upsert_with(|e| e.map_or(1, |e| e.into_value().saturating_add(1)));
    }
}

/// A tenant's limiter. A clone shares the bucket: a config reload hands it on to the same tenant when its rate
/// limit did not change.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<RateLimiter<NotKeyed, InMemoryState, DefaultClock, NoOpMiddleware>>,
    clock: DefaultClock,
    /// Sustained rate and burst, as configured.
    quota: (NonZeroU32, NonZeroU32),
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
            limiter: Arc::new(RateLimiter::direct_with_clock(quota, clock.clone())),
            clock,
            quota: (per_second, burst),
        }
    }

    /// Whether `other` allows the same sustained rate and burst.
    pub fn same_quota(&self, other: &RateLimit) -> bool {
        self.quota == other.quota
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
    fn an_address_is_refused_after_its_failures_until_quiet() {
        let t = AuthThrottle::new(3, Duration::from_millis(100));
        let a: std::net::IpAddr = [10, 0, 0, 1].into();
        let b: std::net::IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(t.check(a).is_ok());
            t.failed(a);
        }
        let e = t.check(a).unwrap_err();
        assert_eq!(e.status, http::StatusCode::TOO_MANY_REQUESTS);
        assert!(t.check(b).is_ok(), "other addresses are not affected");
        std::thread::sleep(Duration::from_millis(150));
        assert!(t.check(a).is_ok(), "forgotten after a quiet window");
    }

    #[test]
    fn a_continuing_throttle_keeps_the_failures_counted_before() {
        let a: std::net::IpAddr = [10, 0, 0, 1].into();
        let b: std::net::IpAddr = [10, 0, 0, 2].into();
        let before = AuthThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            before.failed(a);
        }
        before.failed(b);
        // The same window: the counts are shared, and the new limit applies to them.
        let same = AuthThrottle::continuing(&before, 3, Duration::from_secs(60));
        assert!(same.check(a).is_err(), "still refused after the reload");
        assert!(
            AuthThrottle::continuing(&before, 4, Duration::from_secs(60))
                .check(a)
                .is_ok()
        );
        // Another window: the counts are copied.
        let other = AuthThrottle::continuing(&before, 2, Duration::from_secs(30));
        assert!(other.check(a).is_err());
        assert!(other.check(b).is_ok());
        other.failed(b);
        assert!(other.check(b).is_err(), "b's earlier failure counts too");
    }

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
