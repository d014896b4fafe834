//! Per-tenant rate limiting with governor: each tenant owns its own limiter, so one tenant's flood never uses
//! another's quota. Over the limit: 429 with `Retry-After` (RFC 6585 §4, RFC 7644 §3.12).
//!
//! Failed authentication is throttled per client address and presented credential ([`AuthThrottle`]): a client
//! that keeps presenting the same bad credential gets 429 after a few failures, until it has been quiet for a
//! while. Only failures are throttled, after the credential is checked: a valid token is always served, so one
//! misconfigured tenant never locks out another calling from the same address (a shared IdP range, a proxy).
//!
//! With several replicas sharing state (`[shared]`), both are kept in Redis ([`crate::shared`]): a tenant's limit
//! and a client's failures count across replicas. While Redis does not answer, a replica falls back to a local
//! limiter of its `local_share` of the tenant's rate, and to its own throttle.

use crate::scim;
use crate::shared::Shared;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Most distinct (address, credential) pairs the throttle remembers; past it, the least recently failed go first.
pub const MAX_TRACKED: u64 = 100_000;

/// One failed authentication's key: the client address and a digest of the credential it presented (the whole
/// `Authorization` value, or its absence). The credential itself is never kept.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Attempt {
    addr: IpAddr,
    credential: [u8; 16],
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Attempt {
    /// The attempt of a client at `addr` presenting `credential` (`None`: no `Authorization` header).
    pub fn new(addr: IpAddr, credential: Option<&[u8]>) -> Self {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_canonical(),
            v4 => v4,
        };
        let mut hasher = Sha256::new();
        match credential {
            // A prefix byte keeps "no header" apart from an empty one.
            Some(bytes) => {
                hasher.update([1]);
                hasher.update(bytes);
            }
            None => hasher.update([0]),
        }
        let digest = hasher.finalize();
        let mut credential = [0; 16];
        credential.copy_from_slice(&digest[..16]);
        Attempt { addr, credential }
    }

    /// The attempt's key among replicas: hex of a digest of the address and the credential's digest.
    fn shared_key(&self) -> String {
        let mut hasher = Sha256::new();
        match self.addr {
            IpAddr::V4(v4) => hasher.update(v4.octets()),
            IpAddr::V6(v6) => hasher.update(v6.octets()),
        }
        hasher.update(self.credential);
        hex::encode(&hasher.finalize()[..16])
    }
}

/// Failed authentications per client address and credential, bounded in memory.
pub struct AuthThrottle {
    failures: moka::sync::Cache<Attempt, u32>,
    limit: u32,
    window: Duration,
    /// Where failures are counted across replicas, when state is shared.
    shared: Option<Arc<Shared>>,
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
    /// Refuse an attempt's key after `limit` failures, until `window` passes without a counted one.
    pub fn new(limit: u32, window: Duration) -> Self {
        AuthThrottle {
            // Every counted failure re-inserts the entry, so its time to live restarts.
            failures: moka::sync::Cache::builder()
                .max_capacity(MAX_TRACKED)
                .time_to_live(window)
                .build(),
            limit,
            window,
            shared: None,
        }
    }

    /// Count across replicas through `shared` while it answers (`None`: in this replica only).
    pub fn set_shared(&mut self, shared: Option<Arc<Shared>>) {
        self.shared = shared;
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
                shared: None,
            };
        }
        let next = AuthThrottle::new(limit, window);
        for (attempt, failures) in &previous.failures {
            next.failures.insert((*attempt).clone(), failures);
        }
        next
    }

    /// A failed authentication: counted, or 429 when its address and credential have failed `limit` times within
    /// the window (a refused attempt is not counted, so the window runs from the last counted failure).
    pub fn failed(&self, attempt: Attempt) -> Result<(), scim::Error> {
        if self.failures.get(&attempt).is_some_and(|n| n >= self.limit) {
            return Err(refused(self.window));
        }
        self.failures
            .entry(attempt)
            .and_upsert_with(|e| e.map_or(1, |e| e.into_value().saturating_add(1)));
        Ok(())
    }
}

impl AuthThrottle {
    /// [`AuthThrottle::failed`], counted across replicas while the shared state answers, else by this replica.
    pub async fn failed_anywhere(&self, attempt: Attempt) -> Result<(), scim::Error> {
        if let Some(shared) = &self.shared
            && let Ok(refused_for) = shared.throttle(&attempt.shared_key(), self.limit, self.window).await
        {
            return refused_for.map_or(Ok(()), |wait| Err(refused(wait)));
        }
        self.failed(attempt)
    }
}

/// 429 for a client whose credential failed too often, to retry after `wait`.
fn refused(wait: Duration) -> scim::Error {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    scim::Error::new(
        http::StatusCode::TOO_MANY_REQUESTS,
        "too many failed authentications with this credential from this address; wait and retry with a \
         valid token",
    )
    .with_retry_after(Duration::from_secs(secs.max(1)))
}

/// A tenant's limiter. A clone shares the bucket: a config reload hands it on to the same tenant when its rate
/// limit did not change.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<RateLimiter<NotKeyed, InMemoryState, DefaultClock, NoOpMiddleware>>,
    clock: DefaultClock,
    /// Sustained rate and burst, as configured.
    quota: (NonZeroU32, NonZeroU32),
    /// The tenant's GCRA in Redis, when state is shared (the limiter above then holds the local share).
    shared: Option<SharedLimit>,
}

/// A tenant's limit kept in Redis.
#[derive(Clone)]
struct SharedLimit {
    shared: Arc<Shared>,
    tenant: Arc<str>,
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of that the burst lets requests come: `(burst - 1) × interval`.
    tolerance: Duration,
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
            shared: None,
        }
    }

    /// The same limit kept across replicas in `shared` under `tenant`'s name; while Redis does not answer, this
    /// replica admits its local share of the rate and burst (at least one).
    pub fn shared(self, shared: &Arc<Shared>, tenant: &str) -> Self {
        let (per_second, burst) = self.quota;
        let share = |n: NonZeroU32| {
            let part = (f64::from(n.get()) * shared.local_share()).ceil() as u32;
            NonZeroU32::new(part.min(n.get())).unwrap_or(NonZeroU32::MIN)
        };
        let interval = Duration::from_secs(1) / per_second.get();
        let mut local = RateLimit::new(share(per_second), share(burst));
        local.quota = self.quota;
        local.shared = Some(SharedLimit {
            shared: shared.clone(),
            tenant: Arc::from(tenant),
            interval,
            tolerance: interval * (burst.get() - 1),
        });
        local
    }

    /// Whether `other` allows the same sustained rate and burst, kept in the same place.
    pub fn same_quota(&self, other: &RateLimit) -> bool {
        let place = |r: &RateLimit| r.shared.as_ref().map(|s| Arc::as_ptr(&s.shared));
        self.quota == other.quota && place(self) == place(other)
    }

    /// Take one request from the quota across replicas while the shared state answers, else from this
    /// replica's ([`RateLimit::check`]).
    pub async fn admit(&self) -> Result<(), Limited> {
        if let Some(s) = &self.shared
            && let Ok(wait) = s.shared.gcra(&s.tenant, s.interval, s.tolerance).await
        {
            return wait.map_or(Ok(()), |retry_after| Err(Limited { retry_after }));
        }
        self.check()
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

    fn attempt(last: u8, token: &str) -> Attempt {
        Attempt::new([10, 0, 0, last].into(), Some(format!("Bearer {token}").as_bytes()))
    }

    #[test]
    fn a_credential_is_refused_after_its_failures_until_quiet() {
        let t = AuthThrottle::new(3, Duration::from_millis(100));
        for _ in 0..3 {
            assert!(t.failed(attempt(1, "bad")).is_ok());
        }
        let e = t.failed(attempt(1, "bad")).unwrap_err();
        assert_eq!(e.status, http::StatusCode::TOO_MANY_REQUESTS);
        assert!(t.failed(attempt(2, "bad")).is_ok(), "other addresses are not affected");
        assert!(
            t.failed(attempt(1, "other")).is_ok(),
            "other credentials are not affected"
        );
        std::thread::sleep(Duration::from_millis(150));
        assert!(t.failed(attempt(1, "bad")).is_ok(), "forgotten after a quiet window");
    }

    #[test]
    fn attempts_are_keyed_by_a_digest_never_the_credential() {
        let a = attempt(1, "secret-token");
        assert_eq!(a, attempt(1, "secret-token"));
        assert_ne!(a, attempt(1, "secret-tokem"));
        assert_ne!(
            Attempt::new([10, 0, 0, 1].into(), None),
            Attempt::new([10, 0, 0, 1].into(), Some(b""))
        );
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(Attempt::new(mapped, None), Attempt::new([10, 0, 0, 1].into(), None));
        assert!(!format!("{a:?}").contains("secret"));
    }

    #[test]
    fn a_continuing_throttle_keeps_the_failures_counted_before() {
        let (a, b) = (attempt(1, "bad"), attempt(2, "bad"));
        let before = AuthThrottle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            before.failed(a.clone()).unwrap();
        }
        before.failed(b.clone()).unwrap();
        // The same window: the counts are shared, and the new limit applies to them.
        let same = AuthThrottle::continuing(&before, 3, Duration::from_secs(60));
        assert!(same.failed(a.clone()).is_err(), "still refused after the reload");
        assert!(
            AuthThrottle::continuing(&before, 4, Duration::from_secs(60))
                .failed(a.clone())
                .is_ok()
        );
        // Another window: the counts are copied.
        let other = AuthThrottle::continuing(&before, 2, Duration::from_secs(30));
        assert!(other.failed(a).is_err());
        assert!(other.failed(b.clone()).is_ok(), "b's earlier failure counts too");
        assert!(other.failed(b).is_err());
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
    fn a_shared_limit_falls_back_to_the_local_share_of_rate_and_burst() {
        let nz = |n| NonZeroU32::new(n).unwrap();
        let settings = crate::shared::Settings {
            url: "redis://127.0.0.1:1/0".into(),
            username: None,
            password: None,
            ca: None,
            client_identity: None,
            local_share: 0.25,
            timeout: Duration::from_millis(50),
            connect_timeout: Duration::from_millis(50),
            key_prefix: "t".into(),
        };
        let shared = Shared::new(settings, serde_json::Value::Null, Arc::default()).unwrap();
        let limit = RateLimit::new(nz(1), nz(10)).shared(&shared, "acme");
        let s = limit.shared.as_ref().unwrap();
        assert_eq!(
            (s.interval, s.tolerance),
            (Duration::from_secs(1), Duration::from_secs(9))
        );
        // Not started, so down: the local limiter admits a quarter of the burst (rounded up).
        let admitted = (0..10).filter(|_| limit.check().is_ok()).count();
        assert_eq!(admitted, 3);
        assert!(limit.same_quota(&limit.clone()));
        assert!(!limit.same_quota(&RateLimit::new(nz(1), nz(10))), "kept elsewhere");
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
