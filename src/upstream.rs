//! The client to the product: per tenant, a bound on concurrent calls, a timeout per call, retries of what is safe
//! to retry, metrics, and the mapping of transport failures onto SCIM errors, around a [`Transport`] that carries
//! each exchange. The transport in use is HTTP ([`Http`]: one pooled hyper client per tenant, HTTP/1.1 and HTTP/2,
//! rustls, the tenant's credentials on every call, bounded response bodies); a test can stand in for it. What a
//! product *status* means is decided by the caller, which knows the operation.

use crate::config::Secret;
use crate::scim;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};
use std::sync::Arc;
use std::time::Duration;

mod client;

pub use client::{Http, roots, tls_config};
use client::{MAX_RESPONSE_BYTES, MAX_RESPONSE_HEADERS, Origin};

tokio::task_local! {
    /// Product calls made by the request being served (each retry counts), for its log line.
    pub static PRODUCT_CALLS: std::cell::Cell<u32>;
}

/// How a tenant's product calls behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Time allowed for one attempt.
    pub timeout: Duration,
    /// Retries after the first attempt (see [`Upstream::call`] for which failures are retried).
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one, with jitter.
    pub backoff: Duration,
    /// Calls in flight at once.
    pub max_concurrent: usize,
    /// The time a request may take (`limits.request_timeout_ms`): a retry whose wait would end past it is not
    /// made, and the product's own answer is passed on rather than a timeout.
    pub budget: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(50),
            max_concurrent: 32,
            budget: Duration::from_secs(30),
        }
    }
}

/// The longest `Retry-After` of a product 429, 502, 503 or 504 that a read waits out itself before retrying (well
/// within any request's time budget); a longer one is passed on to the IdP at once.
const MAX_INLINE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// One tenant's product API: its base URL, how its calls behave (concurrency, timeout, retries, metrics), and the
/// transport that carries them.
#[derive(Clone)]
pub struct Upstream {
    transport: Arc<dyn Transport>,
    base: String,
    origin: Origin,
    policy: CallPolicy,
    slots: Arc<tokio::sync::Semaphore>,
    metrics: Option<(Arc<crate::metrics::Metrics>, Arc<str>)>,
}

/// One exchange with the product: a request out, its whole answer back. HTTP ([`Http`]) is the one the gateway
/// uses; a test or another transport can stand in for it. [`Upstream`] adds the concurrency bound, the timeout,
/// retries and metrics around it.
pub trait Transport: Send + Sync {
    /// Send `req` (its path and query relative to the product's base URL) and read the whole answer.
    fn send<'a>(&'a self, req: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>>;
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The credential is never printed.
        f.debug_struct("Upstream")
            .field("base", &self.base)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// A call to the product: method, path and query relative to the base URL (already percent-encoded by the
/// mapping), optional JSON body.
#[derive(Debug, Clone)]
pub struct ProductRequest {
    /// HTTP method.
    pub method: Method,
    /// `/users/17?x=y`, appended to the base URL.
    pub path_and_query: String,
    /// JSON body, if any.
    pub body: Option<serde_json::Value>,
    /// Extra headers from the mapping.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// The product's answer, fully read.
#[derive(Debug, Clone)]
pub struct ProductResponse {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
}

/// A product call that did not produce an HTTP answer the gateway can use.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection to the product could be opened (nothing was sent).
    #[error("the product API could not be reached")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Talking to the product failed after the request may have been sent.
    #[error("the connection to the product API failed")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// No answer within the configured time.
    #[error("the product API did not answer within {0:?}")]
    Timeout(Duration),
    /// The answer was larger than the gateway reads.
    #[error("the product API sent a response larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    /// The answer's head was larger than the gateway reads (more than [`MAX_RESPONSE_HEADERS`] header fields,
    /// or a head over hyper's buffer).
    #[error("the product API sent an answer with more than {MAX_RESPONSE_HEADERS} header fields or too large a head")]
    HeadTooLarge(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer was not the JSON the mapping expects.
    #[error("the product API sent a response the gateway cannot read: {0}")]
    Malformed(String),
    /// The request could not be built (a bad path from the mapping).
    #[error("invalid product request: {0}")]
    InvalidRequest(String),
}

impl From<UpstreamError> for scim::Error {
    fn from(e: UpstreamError) -> Self {
        let status = match e {
            UpstreamError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            UpstreamError::Refused(_)
            | UpstreamError::Unreachable(_)
            | UpstreamError::TooLarge
            | UpstreamError::HeadTooLarge(_)
            | UpstreamError::Malformed(_) => StatusCode::BAD_GATEWAY,
            UpstreamError::InvalidRequest(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // The client is told what failed; the log line gets why, down the error's sources (the connection
        // refused, the TLS alert, …).
        let mut cause = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            cause.push_str(": ");
            cause.push_str(&inner.to_string());
            source = inner.source();
        }
        scim::Error::new(status, e.to_string()).with_cause(cause)
    }
}

impl Upstream {
    /// A client for `base_url` (`http` or `https`), authenticating with `header: [scheme ]secret`.
    pub fn new(
        base_url: &str,
        auth: Option<(HeaderName, Option<String>, Secret)>,
        policy: CallPolicy,
        tls: rustls::ClientConfig,
    ) -> Result<Self, String> {
        let timeout = policy.timeout;
        let uri: Uri = base_url.parse().map_err(|e| format!("not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err("expected an http:// or https:// URL".into()),
        }
        if uri.query().is_some() {
            return Err("the base URL must not have a query".into());
        }
        let origin = Origin::of(&uri)?;
        let auth = match auth {
            None => None,
            Some((name, scheme, secret)) => {
                let text = match scheme {
                    Some(s) => format!("{s} {}", secret.expose()),
                    None => secret.expose().to_owned(),
                };
                let mut value = HeaderValue::from_str(&text)
                    .map_err(|_| "the secret holds characters not allowed in a header".to_owned())?;
                value.set_sensitive(true);
                Some((name, value))
            }
        };
        let http = client::Http::new(origin.clone(), auth, timeout, tls);
        Ok(Upstream::with_transport(base_url, origin, policy, Arc::new(http)))
    }

    /// A product API at `base_url` reached through `transport` instead of HTTP.
    pub fn over(base_url: &str, policy: CallPolicy, transport: Arc<dyn Transport>) -> Result<Self, String> {
        let uri: Uri = base_url.parse().map_err(|e| format!("not a URL: {e}"))?;
        Ok(Upstream::with_transport(base_url, Origin::of(&uri)?, policy, transport))
    }

    fn with_transport(base_url: &str, origin: Origin, policy: CallPolicy, transport: Arc<dyn Transport>) -> Self {
        Upstream {
            transport,
            base: base_url.trim_end_matches('/').to_owned(),
            origin,
            policy,
            slots: Arc::new(tokio::sync::Semaphore::new(policy.max_concurrent.max(1))),
            metrics: None,
        }
    }

    /// The same client, counting its calls into `metrics` under `tenant`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>, tenant: &str) -> Self {
        self.metrics = Some((metrics, Arc::from(tenant)));
        self
    }

    /// The base URL, for logs (it carries no credential).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A URL the product gave (a next-page link) as a path and query relative to the base URL; `None` when it
    /// points outside the product API, so that a product can never send the gateway's credentials elsewhere.
    pub fn relative(&self, link: &str) -> Option<String> {
        let base_path = self.origin.path.as_str();
        let rest = if let Some(rest) = link.strip_prefix(self.base.as_str()) {
            rest
        } else if link.starts_with('/') && !link.starts_with("//") {
            link.strip_prefix(base_path)?
        } else {
            return None;
        };
        (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
            .then(|| rest.to_owned())
            .filter(|r| !r.contains("..") && !r.chars().any(char::is_control) && !r.contains('#'))
    }

    /// Send a request and read the whole answer, within this tenant's share of concurrent calls, retrying what is
    /// safe to retry: any call whose connection could not be opened (nothing was sent), and reads (`GET`, `HEAD`)
    /// that failed in transport, timed out, or got 429/502/503/504 — after the backoff, or after the answer's
    /// `Retry-After` when it asks for at most a second; a longer `Retry-After` ends the retries at once. A write
    /// that may have reached the product is never sent again.
    pub async fn call(&self, req: ProductRequest) -> Result<ProductResponse, UpstreamError> {
        // The semaphore is never closed, so acquiring only waits.
        let _slot = self.slots.acquire().await.ok();
        let safe = req.method == Method::GET || req.method == Method::HEAD;
        let begun = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            let started = std::time::Instant::now();
            let _ = PRODUCT_CALLS.try_with(|n| n.set(n.get() + 1));
            let outcome = self.once(&req).await;
            if let Some((metrics, tenant)) = &self.metrics {
                let status = outcome.as_ref().ok().map(|r| r.status.as_u16());
                metrics.product_call(tenant, &req.method, status, started.elapsed());
            }
            let wait = match &outcome {
                Err(UpstreamError::Refused(_)) => Some(None),
                Err(UpstreamError::Unreachable(_) | UpstreamError::Timeout(_)) if safe => Some(None),
                // The product says when to come back: a short wait is waited out, a long one is passed on to the
                // IdP at once (retrying sooner would only add load to a product that asked for less).
                Ok(r) if safe && matches!(r.status.as_u16(), 429 | 502..=504) => match retry_after(&r.headers) {
                    Some(after) if after <= MAX_INLINE_RETRY_AFTER => Some(Some(after)),
                    Some(_) => None,
                    None => Some(None),
                },
                _ => None,
            };
            let Some(asked) = wait.filter(|_| attempt < self.policy.retries) else {
                return outcome;
            };
            let backoff = self.policy.backoff.saturating_mul(1 << attempt.min(10));
            let jitter = Duration::from_millis(rand::random::<u64>() % (backoff.as_millis() as u64 / 2 + 1));
            let delay = asked.unwrap_or(backoff + jitter);
            if begun.elapsed() + delay >= self.policy.budget {
                return outcome;
            }
            tracing::debug!(method = %req.method, attempt = attempt + 1, ?delay, "retrying a product call");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Whether the product answers at all (any HTTP status) at its base URL: for readiness checks.
    pub async fn probe(&self) -> bool {
        let req = ProductRequest {
            method: Method::GET,
            path_and_query: String::new(),
            body: None,
            headers: Vec::new(),
        };
        self.once(&req).await.is_ok()
    }

    async fn once(&self, req: &ProductRequest) -> Result<ProductResponse, UpstreamError> {
        tokio::time::timeout(self.policy.timeout, self.transport.send(req))
            .await
            .map_err(|_| UpstreamError::Timeout(self.policy.timeout))?
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not read).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

impl ProductResponse {
    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, UpstreamError> {
        serde_json::from_slice(&self.body).map_err(|e| UpstreamError::Malformed(format!("invalid JSON: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_uris_are_the_base_url_and_the_path_joined() {
        let paths = ["", "/users", "/users/17?x=y&z=%20", "?page=2", "/teams/a%2Fb"];
        for base in [
            "http://127.0.0.1:8080/api/v1",
            "http://127.0.0.1:8080/api/v1/",
            "https://api.example.com",
            "https://api.example.com/",
            "https://api.example.com:8443/v2",
        ] {
            let origin = Origin::of(&base.parse().expect("base")).expect("origin");
            for path in paths {
                let joined = format!("{}{path}", base.trim_end_matches('/'));
                let expected: Uri = joined.parse().expect("joined");
                let uri = origin.uri(path).expect("uri");
                assert_eq!(uri, expected, "{base} + {path}");
                assert_eq!(uri.to_string(), expected.to_string(), "{base} + {path}");
            }
            assert!(origin.uri("/users/a b").is_err(), "a space is refused");
        }
    }

    #[test]
    fn next_links_are_taken_only_inside_the_product_api() {
        let tls = || tls_config(None).expect("tls");
        let api = Upstream::new("http://127.0.0.1:8080/api/v1/", None, CallPolicy::default(), tls()).expect("api");
        assert_eq!(
            api.relative("http://127.0.0.1:8080/api/v1/users?page=2").as_deref(),
            Some("/users?page=2")
        );
        assert_eq!(api.relative("/api/v1/users?page=2").as_deref(), Some("/users?page=2"));
        assert_eq!(api.relative("/api/v1?page=2").as_deref(), Some("?page=2"));
        for outside in [
            "/api/v2/users",
            "/api/v1x/users",
            "//evil.example/api/v1/users",
            "http://evil.example/api/v1/users",
            "/api/v1/../admin",
        ] {
            assert_eq!(api.relative(outside), None, "{outside}");
        }
        let root = Upstream::new("https://api.example.com", None, CallPolicy::default(), tls()).expect("root");
        assert_eq!(root.relative("/users?cursor=x").as_deref(), Some("/users?cursor=x"));
        assert_eq!(
            root.relative("https://api.example.com/users").as_deref(),
            Some("/users")
        );
        assert_eq!(root.relative("https://api.example.com.evil/users"), None);
    }

    /// A product answering every call with `status` and `Retry-After: after`, counting the calls.
    struct Busy {
        status: StatusCode,
        after: &'static str,
        calls: std::sync::atomic::AtomicU32,
    }

    impl Transport for Busy {
        fn send<'a>(&'a self, _: &'a ProductRequest) -> BoxFuture<'a, Result<ProductResponse, UpstreamError>> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut headers = HeaderMap::new();
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static(self.after));
            Box::pin(std::future::ready(Ok(ProductResponse {
                status: self.status,
                headers,
                body: Bytes::new(),
            })))
        }
    }

    /// The product calls and the time one read takes against `Busy`, under `budget`.
    async fn read_against(status: StatusCode, after: &'static str, budget: Duration) -> (u32, Duration) {
        let busy = Arc::new(Busy {
            status,
            after,
            calls: 0.into(),
        });
        let policy = CallPolicy {
            budget,
            ..CallPolicy::default()
        };
        let upstream = Upstream::over("https://product.test/api", policy, busy.clone()).expect("upstream");
        let started = tokio::time::Instant::now();
        let req = ProductRequest {
            method: Method::GET,
            path_and_query: "/users/1".into(),
            body: None,
            headers: Vec::new(),
        };
        let answer = upstream.call(req).await.expect("an answer");
        assert_eq!(answer.status, status);
        (busy.calls.load(std::sync::atomic::Ordering::Relaxed), started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_product_retry_after_is_waited_out_when_short_and_passed_on_when_long() {
        let unavailable = StatusCode::SERVICE_UNAVAILABLE;
        let (calls, took) = read_against(unavailable, "1", Duration::from_secs(30)).await;
        assert_eq!(calls, 3, "two retries, each after the product's second");
        assert!(took >= Duration::from_secs(2), "{took:?}");
        let (calls, took) = read_against(unavailable, "120", Duration::from_secs(30)).await;
        assert_eq!((calls, took), (1, Duration::ZERO), "passed on at once");
        let (calls, _) = read_against(StatusCode::TOO_MANY_REQUESTS, "120", Duration::from_secs(30)).await;
        assert_eq!(calls, 1);
        let (calls, took) = read_against(StatusCode::BAD_GATEWAY, "1", Duration::from_millis(1500)).await;
        assert_eq!(calls, 2, "one wait fits the request's time, a second would not");
        assert!(took < Duration::from_millis(1500), "{took:?}");
    }

    #[test]
    fn clients_without_a_ca_bundle_share_one_system_root_store() {
        let (a, b) = (roots(None).expect("roots"), roots(None).expect("roots"));
        assert!(Arc::ptr_eq(&a, &b), "the system store is read once and shared");
        let ca = rcgen::generate_simple_self_signed(vec!["product.test".to_owned()]).expect("CA");
        let own = roots(Some(ca.cert.pem().as_bytes())).expect("roots with a bundle");
        assert!(!Arc::ptr_eq(&a, &own), "a bundle gets a store of its own");
        assert_eq!(own.len(), a.len() + 1, "the system roots and the bundle");
        assert!(roots(Some(b"no PEM here")).is_err());
    }

    #[test]
    fn host_carries_the_port_unless_it_is_the_default() {
        for (base, host) in [
            ("http://127.0.0.1:8080/api", "127.0.0.1:8080"),
            ("http://example.com:80/api", "example.com"),
            ("https://example.com:443", "example.com"),
            ("https://example.com:80", "example.com:80"),
            ("http://[::1]:9000", "[::1]:9000"),
            ("https://example.com", "example.com"),
        ] {
            let origin = Origin::of(&base.parse().expect("base")).expect("origin");
            assert_eq!(origin.host, host, "{base}");
        }
    }
}
