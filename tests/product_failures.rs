//! A misbehaving product: slow, timing out, resetting connections, 5xx, 429 with `Retry-After`, malformed or
//! wrongly shaped JSON, 2xx with an error body, a closed port. Each gets an honest SCIM answer; reads are retried
//! within the budget, writes that reached the product never are.

mod common;

use bytes::Bytes;
use common::{TenantSpec, assert_scim_error, send, user};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the product does with one request.
#[derive(Clone, Debug)]
enum Act {
    Json(u16, Value, Option<&'static str>),
    /// 200 with this JSON body and this many extra header fields.
    Headers(usize, Value),
    Raw(u16, &'static str),
    Sleep(Duration),
    Reset,
}

#[derive(Default)]
struct Script {
    /// Acts per "METHOD /path", used in order; the last one repeats.
    acts: Vec<(String, VecDeque<Act>)>,
    seen: Vec<String>,
}

type Shared = Arc<Mutex<Script>>;

fn ok_user(id: u64) -> Act {
    Act::Json(
        200,
        json!({"id": id, "email": format!("u{id}@example.com"), "status": "active"}),
        None,
    )
}

async fn start_product() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let script: Shared = Arc::default();
    let shared = script.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let script = shared.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let script = script.clone();
                    async move {
                        let key = format!("{} {}", req.method(), req.uri().path());
                        let act = {
                            let mut s = script.lock().unwrap();
                            s.seen.push(key.clone());
                            let queue = s.acts.iter_mut().find(|(k, _)| *k == key).map(|(_, q)| q);
                            match queue {
                                Some(q) if q.len() > 1 => q.pop_front().unwrap(),
                                Some(q) => q.front().cloned().unwrap(),
                                None => Act::Json(404, json!({"error": {"message": "no"}}), None),
                            }
                        };
                        let mut extra = 0;
                        let (status, body, after) = match act {
                            Act::Json(status, body, after) => (status, body.to_string(), after),
                            Act::Headers(n, body) => {
                                extra = n;
                                (200, body.to_string(), None)
                            }
                            Act::Raw(status, text) => (status, text.to_owned(), None),
                            Act::Sleep(d) => {
                                tokio::time::sleep(d).await;
                                (200, "{}".to_owned(), None)
                            }
                            Act::Reset => return Err("reset"),
                        };
                        let mut resp = http::Response::new(Full::new(Bytes::from(body)));
                        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        if let Some(after) = after {
                            resp.headers_mut()
                                .insert("retry-after", http::HeaderValue::from_static(after));
                        }
                        for i in 0..extra {
                            let name = http::HeaderName::try_from(format!("x-field-{i}")).unwrap();
                            resp.headers_mut().insert(name, http::HeaderValue::from_static("v"));
                        }
                        Ok::<_, &'static str>(resp)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}/api/v1"), script)
}

fn on(script: &Shared, key: &str, acts: Vec<Act>) {
    let mut s = script.lock().unwrap();
    s.acts.retain(|(k, _)| k != key);
    s.acts.push((key.to_owned(), acts.into()));
}

fn seen(script: &Shared, key: &str) -> usize {
    script.lock().unwrap().seen.iter().filter(|k| *k == key).count()
}

async fn gateway(base: String, upstream_extra: &'static str) -> common::Gateway {
    let spec = TenantSpec {
        external: Some((base, "k".into())),
        upstream_extra,
        ..TenantSpec::new("flaky")
    };
    common::start_with_mapping(&[spec], "", &common::example_mapping("classic")).await
}

#[tokio::test]
async fn reads_are_retried_and_failures_are_honest_scim_errors() {
    let (base, script) = start_product().await;
    let gw = gateway(base, "retry_backoff_ms = 20").await;

    // A 503 then success: the read is retried and succeeds.
    on(
        &script,
        "GET /api/v1/users/1",
        vec![Act::Json(503, json!({}), None), ok_user(1)],
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(seen(&script, "GET /api/v1/users/1"), 2);

    // A reset connection, then success.
    on(&script, "GET /api/v1/users/2", vec![Act::Reset, ok_user(2)]);
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/2")).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Always 500: a 502 that says so, without the product's body.
    on(
        &script,
        "GET /api/v1/users/3",
        vec![Act::Raw(500, "stack trace with internal secrets")],
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/3")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_scim_error(&body, 502, None);
    assert!(!body.to_string().contains("secrets"), "{body}");
    assert_eq!(seen(&script, "GET /api/v1/users/3"), 1, "a 500 is not retried");

    // 503 every time without Retry-After: three attempts (two retries), then the 503 is passed on.
    on(&script, "GET /api/v1/users/4", vec![Act::Json(503, json!({}), None)]);
    let (status, headers, body) = send(gw.req(0, Method::GET, "/Users/4")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(seen(&script, "GET /api/v1/users/4"), 3);

    // A 429 asking for a long wait is passed on at once; a short one is waited out.
    on(
        &script,
        "GET /api/v1/users/5",
        vec![Act::Json(429, json!({}), Some("30"))],
    );
    let (status, headers, body) = send(gw.req(0, Method::GET, "/Users/5")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(seen(&script, "GET /api/v1/users/5"), 1);
    on(
        &script,
        "GET /api/v1/users/6",
        vec![Act::Json(429, json!({}), Some("1")), ok_user(6)],
    );
    let started = Instant::now();
    let (status, _, _) = send(gw.req(0, Method::GET, "/Users/6")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the product's Retry-After was honoured"
    );

    // Malformed JSON, a wrongly shaped listing, and a 2xx carrying an error body: 502 naming the problem.
    on(&script, "GET /api/v1/users/7", vec![Act::Raw(200, "<html>oops")]);
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/7")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    on(
        &script,
        "GET /api/v1/users",
        vec![Act::Json(200, json!({"data": 5}), None)],
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("/data"), "{body}");
    on(
        &script,
        "GET /api/v1/users/8",
        vec![Act::Json(200, json!({"error": "internal"}), None)],
    );
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/8")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
}

#[tokio::test]
async fn writes_that_reached_the_product_are_never_resent() {
    let (base, script) = start_product().await;
    let gw = gateway(base, "retry_backoff_ms = 20").await;
    on(
        &script,
        "POST /api/v1/users",
        vec![Act::Json(503, json!({}), Some("2"))],
    );
    let (status, headers, body) = send(gw.req(0, Method::POST, "/Users").json(&user("w@example.com", "W", "X"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(seen(&script, "POST /api/v1/users"), 1, "a POST is sent once");

    on(&script, "POST /api/v1/users", vec![Act::Reset]);
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user("w@example.com", "W", "X"))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(
        seen(&script, "POST /api/v1/users"),
        2,
        "a reset after sending is not retried"
    );
}

#[tokio::test]
async fn a_slow_product_times_out_as_504_and_a_closed_port_is_502() {
    let (base, script) = start_product().await;
    let gw = gateway(base, "timeout_ms = 200, retry_backoff_ms = 10").await;
    on(&script, "GET /api/v1/users/9", vec![Act::Sleep(Duration::from_secs(3))]);
    let started = Instant::now();
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/9")).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_scim_error(&body, 504, None);
    assert_eq!(seen(&script, "GET /api/v1/users/9"), 3, "two retries");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // Nothing listens: the connection is refused before anything is sent, so even a POST may be retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let gw = gateway(format!("http://127.0.0.1:{port}/api/v1"), "retry_backoff_ms = 10").await;
    let (status, _, body) = send(gw.req(0, Method::POST, "/Users").json(&user("c@example.com", "C", "D"))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("could not be reached"),
        "{body}"
    );
}

#[tokio::test]
async fn a_product_503_asking_for_a_long_wait_is_passed_on_at_once_and_a_short_one_is_waited_out() {
    let (base, script) = start_product().await;
    let gw = gateway(base, "retry_backoff_ms = 20").await;
    on(
        &script,
        "GET /api/v1/users/4",
        vec![Act::Json(503, json!({}), Some("120"))],
    );
    let started = Instant::now();
    let (status, headers, body) = send(gw.req(0, Method::GET, "/Users/4")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_scim_error(&body, 503, None);
    assert_eq!(headers["retry-after"], "120");
    assert_eq!(
        seen(&script, "GET /api/v1/users/4"),
        1,
        "not retried before the product's time"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());

    on(
        &script,
        "GET /api/v1/users/6",
        vec![Act::Json(503, json!({}), Some("1")), ok_user(6)],
    );
    let started = Instant::now();
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/6")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(seen(&script, "GET /api/v1/users/6"), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the product's Retry-After was honoured: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_product_answer_with_many_header_fields_is_read_and_one_with_too_many_is_named() {
    let (base, script) = start_product().await;
    let gw = gateway(base, "retry_backoff_ms = 20").await;
    let user = json!({"id": 1, "username": "u1", "email": "u1@example.com", "status": "active"});
    on(&script, "GET /api/v1/users/1", vec![Act::Headers(150, user.clone())]);
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userName"], "u1", "{body}");

    on(&script, "GET /api/v1/users/2", vec![Act::Headers(1500, user)]);
    let (status, _, body) = send(gw.req(0, Method::GET, "/Users/2")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_scim_error(&body, 502, None);
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("header fields"), "{body}");
    assert!(!detail.contains("could not be reached"), "{body}");
}
