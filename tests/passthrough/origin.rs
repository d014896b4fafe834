//! A product origin for the pass-through tests: plain HTTP/1.1 on 127.0.0.1:0, answering
//! - `/download?bytes=N`: N bytes, streamed in 64 KiB frames;
//! - `/upload`: the number of body bytes received (`{"received": N}`), counted as they stream in, noting a body
//!   that breaks off;
//! - `/slow`: an answer after 5 s;
//! - `/endless`: a body that never ends, noting when the gateway drops it;
//! - `/ws`: a WebSocket echo;
//! - anything else: what it saw (`method`, raw `target`, `version`, `headers`, `body`) as JSON, with a few
//!   hop-by-hop and end-to-end response fields of its own.
//!
//! Every request's raw target and headers are logged.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

type Body = BoxBody<Bytes, Infallible>;

/// One request as the origin saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub target: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Default)]
struct State {
    log: Mutex<Vec<Seen>>,
    endless_dropped: AtomicBool,
    endless_open: AtomicUsize,
    upload_aborted: AtomicBool,
}

pub struct Origin {
    pub addr: SocketAddr,
    state: Arc<State>,
}

/// Size of one streamed frame.
pub const FRAME: usize = 64 * 1024;

impl Origin {
    pub async fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().expect("origin addr");
        let state = Arc::new(State::default());
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        Origin { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log(&self) -> Vec<Seen> {
        self.state.log.lock().expect("log").clone()
    }

    pub fn endless_dropped(&self) -> bool {
        self.state.endless_dropped.load(Ordering::SeqCst)
    }

    /// `/endless` bodies being sent now.
    pub fn endless_open(&self) -> usize {
        self.state.endless_open.load(Ordering::SeqCst)
    }

    pub fn upload_aborted(&self) -> bool {
        self.state.upload_aborted.load(Ordering::SeqCst)
    }
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

async fn answer(state: &Arc<State>, mut req: Request<Incoming>) -> Response<Body> {
    let target = req.uri().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    state.log.lock().expect("log").push(Seen {
        target: target.clone(),
        headers: headers.clone(),
    });
    match req.uri().path() {
        "/download" => {
            let bytes: usize = req
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("bytes="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let frame = Bytes::from((0..FRAME).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
            let frames = futures_util::stream::unfold(bytes, move |left| {
                let frame = frame.clone();
                async move {
                    (left > 0).then(|| {
                        let n = left.min(FRAME);
                        (Ok::<_, Infallible>(Frame::data(frame.slice(..n))), left - n)
                    })
                }
            });
            Response::builder()
                .header("content-length", bytes)
                .body(BodyExt::boxed(StreamBody::new(frames)))
                .expect("download response")
        }
        "/upload" => {
            let mut body = req.into_body();
            let mut received = 0u64;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(frame) => received += frame.data_ref().map_or(0, |d| d.len() as u64),
                    Err(_) => {
                        state.upload_aborted.store(true, Ordering::SeqCst);
                        return status(StatusCode::BAD_REQUEST);
                    }
                }
            }
            Response::new(full(json!({ "received": received }).to_string()))
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            status(StatusCode::OK)
        }
        "/endless" => {
            state.endless_open.fetch_add(1, Ordering::SeqCst);
            let guard = DropFlag(state.clone());
            let frame = Bytes::from(vec![b'x'; FRAME]);
            let frames = futures_util::stream::unfold(guard, move |guard| {
                let frame = frame.clone();
                async move { Some((Ok::<_, Infallible>(Frame::data(frame)), guard)) }
            });
            Response::new(BodyExt::boxed(StreamBody::new(frames)))
        }
        "/ws" => {
            let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
                return status(StatusCode::BAD_REQUEST);
            };
            let upgrade = hyper::upgrade::on(&mut req);
            tokio::spawn(async move {
                let Ok(upgraded) = upgrade.await else { return };
                let mut ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_text() || message.is_binary() {
                        if ws.send(message).await.is_err() {
                            break;
                        }
                    } else if message.is_close() {
                        break;
                    }
                }
            });
            Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header("connection", "Upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-accept", derive_accept_key(key.as_bytes()))
                .body(full(Bytes::new()))
                .expect("101 response")
        }
        _ => {
            let method = req.method().to_string();
            let version = format!("{:?}", req.version());
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let seen = json!({
                "method": method,
                "target": target,
                "version": version,
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            Response::builder()
                .header("content-type", "application/json")
                .header("connection", "x-origin-hop")
                .header("x-origin-hop", "1")
                .header("keep-alive", "timeout=5")
                .header("proxy-authenticate", "Basic realm=\"origin\"")
                .header("x-origin-end", "kept")
                .header("set-cookie", "session=abc; Secure")
                .body(full(seen.to_string()))
                .expect("echo response")
        }
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// Notes that the `/endless` body was dropped (the gateway closed the connection).
struct DropFlag(Arc<State>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.endless_dropped.store(true, Ordering::SeqCst);
        self.0.endless_open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A seen request's header value, if it had that field (first of several).
pub fn header<'a>(seen: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    seen["headers"]
        .as_array()?
        .iter()
        .find(|pair| pair[0] == name)
        .and_then(|pair| pair[1].as_str())
}
