//! The load generator: HTTP/1.1 keep-alive connections, plain or TLS, each sending one request after another
//! (closed loop) or at a fixed rate, bounded in time and in count. Latencies are kept per request, in µs.

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Where requests go: an address, and TLS (trusting the bench CA, for `localhost`) or plain HTTP.
#[derive(Clone)]
pub struct Target {
    /// The listener.
    pub addr: SocketAddr,
    /// TLS, or `None` for plain HTTP.
    pub tls: Option<TlsConnector>,
}

/// A client TLS connector trusting the CA in `ca_pem`, speaking HTTP/1.1 only.
pub fn tls_connector(ca_pem: &[u8]) -> anyhow::Result<TlsConnector> {
    let mut config = scimgate::upstream::tls_config(Some(ca_pem)).map_err(anyhow::Error::msg)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// One keep-alive connection.
pub type Conn = SendRequest<Full<Bytes>>;

/// Open a connection to `target`.
pub async fn connect(target: &Target) -> anyhow::Result<Conn> {
    let tcp = TcpStream::connect(target.addr)
        .await
        .with_context(|| format!("connect {}", target.addr))?;
    tcp.set_nodelay(true)?;
    match &target.tls {
        Some(tls) => {
            let stream = tls.connect(ServerName::try_from("localhost")?, tcp).await?;
            handshake(TokioIo::new(stream)).await
        }
        None => handshake(TokioIo::new(tcp)).await,
    }
}

async fn handshake<I>(io: I) -> anyhow::Result<Conn>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (send, conn) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// A request with `Host: localhost`, the given headers and an optional JSON body.
pub fn request(
    method: Method,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Option<String>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, "localhost");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    let body = match body {
        Some(json) => {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
            Full::new(Bytes::from(json))
        }
        None => Full::new(Bytes::new()),
    };
    builder.body(body).expect("a request built from valid parts")
}

/// Send one request and read the whole answer.
pub async fn send(conn: &mut Conn, req: Request<Full<Bytes>>) -> anyhow::Result<(StatusCode, Bytes)> {
    conn.ready().await?;
    let response = conn.send_request(req).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// Which request a connection sends next: its number, the global sequence number and its own iteration.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    /// The connection, from 0.
    pub conn: usize,
    /// Unique across all connections of one run.
    pub seq: u64,
    /// This connection's count of requests so far.
    pub iter: u64,
}

/// Builds the request for a turn.
pub type MakeRequest = Arc<dyn Fn(Turn) -> Request<Full<Bytes>> + Send + Sync>;

/// How much load: connections, a time bound, a count bound and an optional fixed rate per connection.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Stop sending after this long.
    pub duration: Duration,
    /// Stop sending after this many requests in all.
    pub max_requests: u64,
    /// Requests per second per connection; `None` = as fast as answers come.
    pub rate: Option<f64>,
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests answered with a 2xx status.
    pub ok: u64,
    /// Requests answered otherwise, or failed.
    pub errors: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Latency of every successful request, µs, sorted.
    pub latencies: Vec<u32>,
}

impl Outcome {
    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` (0..1), in ms.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }
}

/// Run `load` against `target`, each request made by `make`.
pub async fn run(target: &Target, load: Load, make: MakeRequest) -> anyhow::Result<Outcome> {
    let mut conns = Vec::with_capacity(load.connections);
    for _ in 0..load.connections {
        conns.push(connect(target).await?);
    }
    let seq = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + load.duration;
    let mut tasks = Vec::new();
    for (i, mut conn) in conns.into_iter().enumerate() {
        let (seq, make, target) = (seq.clone(), make.clone(), target.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut ticks = load.rate.map(|r| {
                let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / r));
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            for iter in 0.. {
                if let Some(t) = ticks.as_mut() {
                    t.tick().await;
                }
                let n = seq.fetch_add(1, Ordering::Relaxed);
                if n >= load.max_requests || Instant::now() >= deadline {
                    break;
                }
                let req = make(Turn { conn: i, seq: n, iter });
                let sent = Instant::now();
                match send(&mut conn, req).await {
                    Ok((status, _)) if status.is_success() => {
                        out.ok += 1;
                        out.latencies
                            .push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Ok((status, body)) => {
                        out.errors += 1;
                        out.first_error.get_or_insert_with(|| {
                            format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]))
                        });
                    }
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert_with(|| format!("{e:#}"));
                        // The connection may be gone: open another one, or stop when the server is gone.
                        conn = match connect(&target).await {
                            Ok(c) => c,
                            Err(_) => break,
                        };
                    }
                }
            }
            out
        }));
    }
    let mut total = Outcome::default();
    for task in tasks {
        let out = task.await?;
        total.ok += out.ok;
        total.errors += out.errors;
        total.latencies.extend(out.latencies);
        if total.first_error.is_none() {
            total.first_error = out.first_error;
        }
    }
    total.elapsed = started.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}
