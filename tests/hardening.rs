//! Hostile input end to end: strict JSON (duplicate members, nesting, numbers, UTF-8), wrong types and unknown
//! schemas, ids that try to become paths, header and member limits, connection limits, and failed
//! authentication throttled per client address — each a clear SCIM (or HTTP) error, and nothing reaching the
//! product that should not — and clients too slow with their headers cut off.

mod common;

use common::{TenantSpec, assert_scim_error, raw, send, user};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

async fn raw(gw: &common::Gateway, method: Method, path: &str, body: &'static [u8]) -> (StatusCode, serde_json::Value) {
    let (status, _, body) = send(
        gw.req(0, method, path)
            .header("content-type", "application/scim+json")
            .body(body),
    )
    .await;
    (status, body)
}

#[tokio::test]
async fn strict_json_wrong_types_and_unknown_schemas_are_400s_that_change_nothing() {
    let gw = common::start(&[TenantSpec::new("strict")]).await;
    let cases: [(&[u8], &str); 6] = [
        (br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x","userName":"b@x"}"#, "invalidSyntax"),
        (br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x","USERNAME":"b@x"}"#, "invalidSyntax"),
        (br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#, "invalidSyntax"),
        (b"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"\xff\"}", "invalidSyntax"),
        (br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x","active":"maybe"}"#, "invalidValue"),
        (br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:example:custom"],"userName":"a@x"}"#, "invalidSyntax"),
    ];
    for (body, scim_type) in cases {
        let (status, err) = raw(&gw, Method::POST, "/Users", body).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{} → {err}",
            String::from_utf8_lossy(body)
        );
        assert_scim_error(&err, 400, Some(scim_type));
    }
    let (status, err) = raw(
        &gw,
        Method::POST,
        "/Users",
        br#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x","title":1e999}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(gw.product(0).users().is_empty(), "nothing was created");
    assert!(
        gw.product(0).request_log().is_empty(),
        "no bad body reached the product: {:?}",
        gw.product(0).request_log()
    );
}

#[tokio::test]
async fn ids_that_try_to_become_paths_never_reach_the_product() {
    let gw = common::start(&[TenantSpec::new("ids")]).await;
    let long = "9".repeat(3000);
    for id in [
        "..%2Fadmin",
        "1%3Fx%3D1",
        "1%23f",
        "1%0D%0AX-Evil:%201",
        "1%00",
        "%FF%FE",
        long.as_str(),
        "1%2F2",
    ] {
        for method in [Method::GET, Method::DELETE] {
            let (status, _, body) = send(gw.req(0, method.clone(), &format!("/Users/{id}"))).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {id}: {body}");
        }
    }
    assert!(
        gw.product(0).request_log().is_empty(),
        "{:?}",
        gw.product(0).request_log()
    );
}

#[tokio::test]
async fn header_member_and_connection_limits_hold() {
    let extra = "[limits]\nmax_headers = 40\nmax_members_per_request = 3\nmax_connections = 2\n";
    let gw = common::start_with(&[TenantSpec::new("limits")], extra).await;

    // Too many headers: refused by the HTTP layer before any work.
    let mut req = gw.req(0, Method::GET, "/Users");
    for i in 0..60 {
        req = req.header(format!("x-filler-{i}"), "x");
    }
    let status = req.send().await.map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));

    // Too many members in one request.
    let mut ids = Vec::new();
    for i in 0..4 {
        let (_, _, u) = send(
            gw.req(0, Method::POST, "/Users")
                .json(&user(&format!("m{i}@example.com"), "M", "N")),
        )
        .await;
        ids.push(json!({"value": u["id"]}));
    }
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Big", "members": ids});
    let (status, _, body) = send(gw.req(0, Method::POST, "/Groups").json(&group)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_scim_error(&body, 400, Some("invalidValue"));
    assert!(gw.product(0).teams().is_empty(), "nothing was created");

    // Two connections held open without a handshake use both slots: a third client waits until one closes.
    let a = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    let b = tokio::net::TcpStream::connect(gw.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = || {
        let ca = std::fs::read(gw.dir.path().join("ca.pem")).ok();
        let mut builder = reqwest::Client::builder().timeout(Duration::from_millis(700));
        if let Some(ca) = ca {
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
        }
        builder.build().unwrap()
    };
    let waited = fresh()
        .get(format!("{}/ServiceProviderConfig", gw.base))
        .bearer_auth(&gw.tenants[0].token)
        .send()
        .await;
    assert!(
        waited.is_err(),
        "a third connection is not served while both slots are taken"
    );
    drop(a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let served = gw.req(0, Method::GET, "/ServiceProviderConfig").send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    drop(b);
}

#[tokio::test]
async fn one_client_address_holds_at_most_its_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let extra = "[limits]\nmax_connections = 16\nmax_connections_per_client = 2\n";
    let gw = common::start_with(&[TenantSpec::new("per-client")], extra).await;
    let first = raw::connect(&gw).await;
    let second = raw::connect(&gw).await;
    // A third from the same address is closed as soon as it is accepted, though slots are free.
    let third = raw::try_connect(&gw).await;
    assert!(third.is_err(), "a third connection from 127.0.0.1 is refused");
    assert_eq!(gw.runtime.metrics.connections_refused.get(), 1);

    // Once one of the two ends, the address has a slot again, and the new connection is served.
    drop(first);
    let started = std::time::Instant::now();
    let mut tls = loop {
        if let Ok(tls) = raw::try_connect(&gw).await {
            break tls;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the freed slot comes back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let request = format!(
        "GET /scim/v2/ServiceProviderConfig HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        gw.tenants[0].token
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    drop(second);
}

/// Read until the gateway closes the connection: how long that took, and what came before.
async fn closed_within(tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> (Duration, String) {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the gateway closes the connection");
    (started.elapsed(), String::from_utf8_lossy(&seen).into_owned())
}

#[tokio::test]
async fn a_client_slow_with_its_headers_is_cut_off_and_an_idle_connection_closed() {
    use tokio::io::AsyncWriteExt;
    let gw = common::start_with(&[TenantSpec::new("slow")], "[limits]\nheader_read_timeout_ms = 300\n").await;
    // Half a request head, and then nothing: the connection is closed once the header-read time is up.
    let mut tls = raw::connect(&gw).await;
    tls.write_all(b"GET /scim/v2/ServiceProviderConfig HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let (waited, answer) = closed_within(&mut tls).await;
    assert!(waited >= Duration::from_millis(250), "closed after {waited:?}");
    assert!(!answer.contains("200 OK"), "{answer}");

    // A whole request is answered; the connection then waits for the next head as long, and no longer.
    let mut tls = raw::connect(&gw).await;
    let request = format!(
        "GET /scim/v2/ServiceProviderConfig HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\r\n",
        gw.tenants[0].token
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let (waited, answer) = closed_within(&mut tls).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(waited >= Duration::from_millis(250), "closed after {waited:?}");
}

#[tokio::test]
async fn failed_authentication_is_throttled_per_client_address() {
    let gw = common::start_with(
        &[TenantSpec::new("throttle")],
        "[limits]\nauth_failure_limit = 3\nauth_failure_window_s = 30\n",
    )
    .await;
    for _ in 0..3 {
        let (status, _, _) = send(gw.client.get(format!("{}/Users", gw.base)).bearer_auth("wrong-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = send(gw.client.get(format!("{}/Users", gw.base)).bearer_auth("wrong-token")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers["retry-after"], "30");
    // Only what fails is throttled: a valid token from the same address is served.
    let (status, _, _) = send(gw.req(0, Method::GET, "/Users")).await;
    assert_eq!(status, StatusCode::OK);
}

/// Connect a silent TLS client from `ip`: handshaken, then nothing sent.
async fn silent_from(gw: &common::Gateway, ip: &str) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    raw::connect_from(gw, ip.parse().unwrap()).await.expect("TLS handshake")
}

#[tokio::test]
async fn idle_connections_are_closed_and_a_new_address_is_served_meanwhile() {
    let extra = "[limits]\nidle_timeout_ms = 300\nmax_connections = 4\nmax_connections_per_client = 2\n";
    let gw = common::start_with(&[TenantSpec::new("idle")], extra).await;
    // Two addresses take every slot, each up to its share, with handshaken connections that send nothing.
    let mut held = Vec::new();
    for ip in ["127.0.0.1", "127.0.0.1", "127.0.0.3", "127.0.0.3"] {
        held.push(silent_from(&gw, ip).await);
    }
    // A client from a new address waits in the backlog until the idle ones are closed, then is served.
    let ca = std::fs::read(gw.dir.path().join("ca.pem")).unwrap();
    let fresh = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let resp = fresh
        .get(format!("{}/ServiceProviderConfig", gw.base))
        .bearer_auth(&gw.tenants[0].token)
        .send()
        .await
        .expect("served once the idle connections are closed");
    assert_eq!(resp.status(), StatusCode::OK);
    // Each silent client has been closed: it reads the end of its connection, with nothing before it.
    for mut tls in held {
        let (waited, seen) = closed_within(&mut tls).await;
        assert!(seen.is_empty(), "{seen}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
    }
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_and_a_busy_one_is_not() {
    let gw = common::start_with(&[TenantSpec::new("h2idle")], "[limits]\nidle_timeout_ms = 400\n").await;
    let (mut send, driven) = raw::connect_h2(&gw).await;
    // Requests every 150 ms for well over the idle timeout: the connection stays open.
    for _ in 0..6 {
        let req = http::Request::get(format!("{}/ServiceProviderConfig", gw.base))
            .header("authorization", format!("Bearer {}", gw.tenants[0].token))
            .body(())
            .unwrap();
        send = send.ready().await.expect("the connection is open while in use");
        let (answer, _) = send.send_request(req, true).unwrap();
        assert_eq!(answer.await.unwrap().status(), 200);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Then nothing: the gateway closes the connection.
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(3), driven)
        .await
        .expect("the idle HTTP/2 connection is closed")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
}

/// The first line of what the gateway answers to `head` and `body`, both written whole before reading (the body
/// after a pause, as a slow network delivers it); empty when the connection failed first.
async fn status_line(gw: &common::Gateway, head: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tls = raw::connect(gw).await;
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.flush().await.unwrap();
    if !body.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        for part in body.chunks(64 << 10) {
            if tls.write_all(part).await.is_err() || tls.flush().await.is_err() {
                return String::new();
            }
        }
    }
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap_or(0);
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn a_body_over_the_limit_is_read_before_the_413_over_http1_and_http2() {
    let gw = common::start(&[TenantSpec::new("big")]).await;
    let body = vec![b' '; 2 << 20];
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
        gw.tenants[0].token,
        body.len()
    );
    assert_eq!(status_line(&gw, &head, &body).await, "HTTP/1.1 413 Payload Too Large");
    // Chunked, so that the limit is met while reading.
    let chunked = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n",
        gw.tenants[0].token
    );
    let mut framed = format!("{:x}\r\n", body.len()).into_bytes();
    framed.extend_from_slice(&body);
    framed.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(
        status_line(&gw, &chunked, &framed).await,
        "HTTP/1.1 413 Payload Too Large"
    );
    // HTTP/2: the whole body is taken and the 413 answered on a stream that ends cleanly, not one reset (which
    // curl reports as a stream error, whatever came before).
    let (send, _driven) = raw::connect_h2(&gw).await;
    let req = http::Request::post(format!("{}/Users", gw.base))
        .header("authorization", format!("Bearer {}", gw.tenants[0].token))
        .header("content-type", "application/scim+json")
        .body(())
        .unwrap();
    let (answer, mut upload) = send.ready().await.unwrap().send_request(req, false).unwrap();
    for _ in 0..32 {
        upload
            .send_data(bytes::Bytes::from(vec![b' '; 64 << 10]), false)
            .unwrap();
    }
    upload.send_data(bytes::Bytes::new(), true).unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let reset = tokio::time::timeout(
        Duration::from_millis(300),
        std::future::poll_fn(|cx| upload.poll_reset(cx)),
    )
    .await;
    assert!(reset.is_err(), "the stream was reset: {reset:?}");
}

#[tokio::test]
async fn a_slow_upload_is_408_and_counted_as_the_clients() {
    let gw = common::start_with(&[TenantSpec::new("slowup")], "[limits]\nrequest_timeout_ms = 300\n").await;
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n",
        gw.tenants[0].token
    );
    assert_eq!(
        status_line(&gw, &head, b"{\"schemas\"").await,
        "HTTP/1.1 408 Request Timeout"
    );
    let metrics = gw.runtime.metrics.encode();
    assert!(
        metrics.contains(r#"resource="Users",operation="create",status="408"} 1"#),
        "{metrics}"
    );
    assert!(gw.product(0).request_log().is_empty());
}

#[tokio::test]
async fn host_with_user_information_is_400_and_a_70_kib_request_line_414() {
    let gw = common::start(&[TenantSpec::new("edges")]).await;
    let request = format!(
        "GET /scim/v2/ServiceProviderConfig HTTP/1.1\r\nHost: user@127.0.0.1\r\nAuthorization: Bearer {}\r\n\r\n",
        gw.tenants[0].token
    );
    assert_eq!(status_line(&gw, &request, b"").await, "HTTP/1.1 400 Bad Request");
    let long = format!(
        "GET /scim/v2/Users?filter={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "a".repeat(70 << 10)
    );
    assert_eq!(status_line(&gw, &long, b"").await, "HTTP/1.1 414 URI Too Long");
    // A well-formed request on the same listener is served, its answer's length known.
    let (status, headers, _) = send(gw.req(0, Method::GET, "/ServiceProviderConfig")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("content-length"), "{headers:?}");
}
