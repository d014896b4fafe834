//! The admin listener, apart from the SCIM one (default loopback, plain HTTP): `/healthz` (the process is
//! alive), `/readyz` (the config is loaded and every tenant's product answers; probes are cached briefly so
//! that frequent checks do not load the product), and `/metrics` (Prometheus text). It serves at most
//! [`MAX_CONNECTIONS`] connections at once (further ones wait in the backlog), with the SCIM listener's
//! header-read and idle timeouts (`limits.header_read_timeout_ms`, `limits.idle_timeout_ms`).

use crate::gateway::Gateway;
use crate::server::Live;
use crate::server::idle::Idle;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::json;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How long a readiness probe result is reused, by default.
const PROBE_TTL: Duration = Duration::from_secs(5);

/// Connections the admin listener serves at once: probes and a scraper need a handful.
pub const MAX_CONNECTIONS: usize = 64;

/// What the admin endpoints read.
pub struct Admin {
    live: Arc<Live>,
    probes: Mutex<Option<(Instant, bool, serde_json::Value)>>,
    probe_ttl: Duration,
}

impl Admin {
    /// The admin view of `gateway`.
    pub fn new(gateway: Arc<Gateway>) -> Self {
        Self::live(Arc::new(Live::new(gateway, None)))
    }

    /// The admin view of whatever `live` serves, following reloads.
    pub fn live(live: Arc<Live>) -> Self {
        Admin {
            live,
            probes: Mutex::new(None),
            probe_ttl: PROBE_TTL,
        }
    }

    /// The same, reusing a readiness result for `ttl` instead of five seconds.
    pub fn with_probe_ttl(mut self, ttl: Duration) -> Self {
        self.probe_ttl = ttl;
        self
    }

    async fn answer(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        match (method, path) {
            (&Method::GET, "/healthz") => text(StatusCode::OK, "text/plain", "ok\n".into()),
            (&Method::GET, "/readyz") => {
                let (ready, detail) = self.readiness().await;
                let status = if ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                text(
                    status,
                    "application/json",
                    json!({"ready": ready, "tenants": detail}).to_string(),
                )
            }
            (&Method::GET, "/metrics") => {
                let gateway = self.live.gateway();
                for t in &gateway.tenants {
                    let stats = t.cache.stats();
                    gateway.metrics.cache(t.id.as_str(), stats.hits, stats.misses);
                }
                text(
                    StatusCode::OK,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    gateway.metrics.encode(),
                )
            }
            (_, "/healthz" | "/readyz" | "/metrics") => {
                text(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "GET only\n".into())
            }
            _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
        }
    }

    /// Whether every tenant's product answers, with a line per tenant; cached for the probe time to live.
    async fn readiness(&self) -> (bool, serde_json::Value) {
        if let Ok(cached) = self.probes.lock()
            && let Some((at, ready, detail)) = cached.as_ref()
            && at.elapsed() < self.probe_ttl
        {
            return (*ready, detail.clone());
        }
        let mut detail = serde_json::Map::new();
        let mut ready = true;
        for t in &self.live.gateway().tenants {
            let up = t.upstream.probe().await;
            ready &= up;
            detail.insert(
                t.id.to_string(),
                json!(if up { "product reachable" } else { "product unreachable" }),
            );
        }
        let detail = serde_json::Value::Object(detail);
        if let Ok(mut cached) = self.probes.lock() {
            *cached = Some((Instant::now(), ready, detail.clone()));
        }
        (ready, detail)
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    r
}

/// Serve the admin endpoints on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, admin: Arc<Admin>, shutdown: impl Future<Output = ()>) {
    let settings = admin.live.gateway().settings.clone();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let builder = Arc::new(builder);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            () = &mut shutdown => return,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let admin = admin.clone();
        let builder = builder.clone();
        let idle_timeout = settings.idle_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let idle = Idle::new();
            let exchanges = idle.clone();
            let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let busy = exchanges.enter();
                let admin = admin.clone();
                async move {
                    let response = admin.answer(req.method(), req.uri().path()).await;
                    drop(busy);
                    Ok::<_, std::convert::Infallible>(response)
                }
            });
            // The answers are small and whole: an exchange is open while it is worked out.
            tokio::select! {
                _ = builder.serve_connection(TokioIo::new(stream), service) => {}
                () = idle.expired(idle_timeout) => {}
            }
        });
    }
}

/// `scimgate healthcheck`: whether `url` answers 200 within a few seconds (for container health checks).
pub async fn healthcheck(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let answer = tokio::time::timeout(Duration::from_secs(5), client.get(uri))
        .await
        .map_err(|_| format!("{url}: no answer within 5 s"))?
        .map_err(|e| format!("{url}: {e}"))?;
    if answer.status() == StatusCode::OK {
        Ok(())
    } else {
        Err(format!("{url}: {}", answer.status()))
    }
}
