//! Reverse-proxy mode end to end: a real TLS gateway whose SCIM base path is served by the gateway and whose
//! every other path is passed through to a real product origin (tests/passthrough/origin.rs).

mod common;
#[path = "passthrough/origin.rs"]
mod origin;
#[path = "passthrough/smuggling.rs"]
mod smuggling;
#[path = "passthrough/streaming.rs"]
mod streaming;

use common::{TenantSpec, raw};
use futures_util::{SinkExt, StreamExt};
use origin::{Origin, header};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A gateway with one tenant, passing through to `origin_url`, with extra `passthrough` keys.
pub async fn gateway_to(origin_url: &str, keys: &str) -> common::Gateway {
    let extra = format!("passthrough = {{ origin = {origin_url:?}{keys} }}");
    common::start_with(&[TenantSpec::new("t")], &extra).await
}

/// A URL on the gateway's listener.
pub fn url(gw: &common::Gateway, path: &str) -> String {
    format!("https://127.0.0.1:{}{path}", gw.addr.port())
}

/// A client that speaks HTTP/1.1 only (the harness client negotiates HTTP/2).
pub fn http1(gw: &common::Gateway) -> reqwest::Client {
    let ca = std::fs::read(gw.dir.path().join("ca.pem")).expect("test CA");
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
        .http1_only()
        .build()
        .expect("client")
}

async fn echo(resp: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.json().await.expect("the origin's JSON echo");
    (status, headers, body)
}

#[tokio::test]
async fn scim_and_passthrough_share_one_port() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let (status, _, body) = common::send(gw.req(0, Method::GET, "/Users")).await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 0);
    let (status, _, seen) = echo(gw.client.get(url(&gw, "/app/dashboard?tab=1")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(seen["target"], "/app/dashboard?tab=1");
    // The SCIM request never reached the origin; only the pass-through did.
    assert_eq!(origin.log().len(), 1);
    // A path that merely starts like the base path is the product's.
    let (_, _, seen) = echo(gw.client.get(url(&gw, "/scim/v2x/Users")).send().await.unwrap()).await;
    assert_eq!(seen["target"], "/scim/v2x/Users");
    let metrics = gw.runtime.metrics.encode();
    let line = metrics
        .lines()
        .find(|l| l.contains("resource=\"passthrough\"") && l.contains("status=\"200\"") && !l.starts_with('#'))
        .unwrap_or_else(|| panic!("no pass-through count in\n{metrics}"));
    assert!(line.ends_with(" 2"), "{line}");
}

#[tokio::test]
async fn without_an_origin_other_paths_are_scim_404s() {
    let gw = common::start(&[TenantSpec::new("t")]).await;
    let (status, _, body) = common::send(gw.client.get(url(&gw, "/app/dashboard"))).await;
    common::assert_scim_error(&body, 404, None);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn several_base_paths_are_scim_and_the_rest_is_passed_through() {
    let origin = Origin::start().await;
    let extra = format!(
        "base_path = [\"/scim/v2\", \"/api/scim\"]\npassthrough = {{ origin = {:?} }}",
        origin.url()
    );
    let gw = common::start_with(&[TenantSpec::new("t")], &extra).await;
    let token = &gw.tenants[0].token;
    for base in ["/scim/v2", "/api/scim"] {
        let (status, _, body) =
            common::send(gw.client.get(url(&gw, &format!("{base}/Users"))).bearer_auth(token)).await;
        assert_eq!(status, 200, "{base}: {body}");
    }
    // meta.location follows the base path the request came in under.
    let create = gw.client.post(url(&gw, "/api/scim/Users")).bearer_auth(token);
    let (status, headers, _) = common::send(create.json(&common::user("ann@example.com", "Ann", "Lee"))).await;
    assert_eq!(status, 201);
    let location = headers["location"].to_str().unwrap();
    assert!(location.starts_with(&url(&gw, "/api/scim/Users/")), "{location}");
    let (status, _, seen) = echo(gw.client.get(url(&gw, "/api/other")).send().await.unwrap()).await;
    assert_eq!((status, seen["target"].as_str()), (StatusCode::OK, Some("/api/other")));
}

#[tokio::test]
async fn method_path_and_query_pass_byte_for_byte() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let target = "/a/%2F..%2f/b;x=1/%7e//c?q=%20a+b&&r=%zz&q=%C3%A9";
    let request =
        format!("PROPFIND {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    let answer = raw::exchange(&gw, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let seen: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or("")).expect("echo");
    assert_eq!(seen["method"], "PROPFIND");
    assert_eq!(seen["target"], target);
    assert_eq!(seen["body"], "hello");
    assert_eq!(header(&seen, "content-length"), Some("5"));
}

#[tokio::test]
async fn head_answers_keep_the_products_content_length() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    for client in [http1(&gw), gw.client.clone()] {
        let resp = client.head(url(&gw, "/download?bytes=123456")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-length"], "123456");
        assert!(resp.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn hop_by_hop_fields_go_forwarding_fields_come_and_end_to_end_fields_stay() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), ", via = true").await;
    let resp = http1(&gw)
        .post(url(&gw, "/app/form"))
        .header("connection", "keep-alive, x-client-hop")
        .header("x-client-hop", "secret")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("proxy-authorization", "Basic Zm9vOmJhcg==")
        .header("x-forwarded-for", "203.0.113.66")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "for=203.0.113.66")
        .header("authorization", "Bearer the-product-own-token")
        .header("cookie", "a=1")
        .header("x-end-to-end", "kept")
        .body("payload")
        .send()
        .await
        .unwrap();
    let (status, headers, seen) = echo(resp).await;
    assert_eq!(status, 200);
    for gone in ["x-client-hop", "keep-alive", "te", "proxy-authorization", "connection"] {
        assert_eq!(header(&seen, gone), None, "{gone} reached the product: {seen}");
    }
    let host = format!("127.0.0.1:{}", gw.addr.port());
    assert_eq!(header(&seen, "host"), Some(host.as_str()));
    assert_eq!(header(&seen, "x-end-to-end"), Some("kept"));
    assert_eq!(header(&seen, "cookie"), Some("a=1"));
    assert_eq!(header(&seen, "authorization"), Some("Bearer the-product-own-token"));
    assert_eq!(header(&seen, "x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(header(&seen, "x-forwarded-proto"), Some("https"));
    assert_eq!(header(&seen, "x-forwarded-host"), Some(host.as_str()));
    let forwarded = format!("for=127.0.0.1;proto=https;host=\"{host}\"");
    assert_eq!(header(&seen, "forwarded"), Some(forwarded.as_str()));
    assert_eq!(header(&seen, "via"), Some("1.1 scimgate"));
    assert_eq!(seen["body"], "payload");
    // The answer: the origin's hop-by-hop fields removed, its end-to-end ones kept.
    for gone in ["x-origin-hop", "keep-alive", "proxy-authenticate"] {
        assert!(!headers.contains_key(gone), "{gone} reached the client");
    }
    assert_eq!(headers["x-origin-end"], "kept");
    assert_eq!(headers["set-cookie"], "session=abc; Secure");
    assert_eq!(headers["via"], "1.1 scimgate");
}

#[tokio::test]
async fn http2_clients_reach_the_http1_product_and_host_can_be_rewritten() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), ", host = \"origin\", forwarded = \"x-forwarded\"").await;
    let resp = gw
        .client
        .get(url(&gw, "/app?x=1"))
        .header("cookie", "a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let (status, _, seen) = echo(resp).await;
    assert_eq!(status, 200);
    assert_eq!(seen["version"], "HTTP/1.1");
    assert_eq!(seen["target"], "/app?x=1");
    assert_eq!(header(&seen, "host"), Some(origin.addr.to_string().as_str()));
    let client_host = format!("127.0.0.1:{}", gw.addr.port());
    assert_eq!(header(&seen, "x-forwarded-host"), Some(client_host.as_str()));
    assert_eq!(header(&seen, "forwarded"), None);
}

#[tokio::test]
async fn scim_bearer_tokens_never_reach_the_product() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    // A SCIM token sent to a product path (an IdP with a wrongly cased Tenant URL, say) is not passed on.
    let resp = gw
        .client
        .get(url(&gw, "/SCIM/v2/Users"))
        .bearer_auth(&gw.tenants[0].token)
        .send()
        .await
        .unwrap();
    let (status, _, seen) = echo(resp).await;
    assert_eq!(status, 200);
    assert_eq!(header(&seen, "authorization"), None, "{seen}");
    assert!(
        origin
            .log()
            .iter()
            .all(|s| s.headers.iter().all(|(n, _)| n != "authorization"))
    );
}

#[tokio::test]
async fn basic_credentials_reach_the_product_as_sent_and_only_scim_bearer_tokens_are_taken() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let authorizations = |seen: &Value| -> Vec<String> {
        seen["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .filter(|pair| pair[0] == "authorization")
            .filter_map(|pair| pair[1].as_str().map(str::to_owned))
            .collect()
    };
    // The product's own Basic credential, even one whose user-pass is a SCIM token, goes on untouched.
    let basic = format!("Basic {}", gw.tenants[0].token);
    for credential in ["Basic Zm9vOmJhcg==", basic.as_str()] {
        let resp = http1(&gw)
            .get(url(&gw, "/app"))
            .header("authorization", credential)
            .send()
            .await
            .unwrap();
        let (status, _, seen) = echo(resp).await;
        assert_eq!(status, 200);
        assert_eq!(authorizations(&seen), [credential], "{seen}");
    }
    // Sent beside a SCIM bearer token, the Basic credential still reaches the product; the token does not.
    let resp = http1(&gw)
        .get(url(&gw, "/app"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .bearer_auth(&gw.tenants[0].token)
        .send()
        .await
        .unwrap();
    let (status, _, seen) = echo(resp).await;
    assert_eq!(status, 200);
    assert_eq!(authorizations(&seen), ["Basic Zm9vOmJhcg=="], "{seen}");
}

#[tokio::test]
async fn shutdown_lets_a_pass_through_request_in_flight_finish_and_takes_no_new_connections() {
    let origin = Origin::start().await;
    let mut gw = gateway_to(&origin.url(), "").await;
    // The origin answers `/slow` after 5 s.
    let slow = tokio::spawn(http1(&gw).get(url(&gw, "/slow")).send());
    let arrived = std::time::Instant::now();
    while !origin.log().iter().any(|seen| seen.target == "/slow") {
        assert!(
            arrived.elapsed() < Duration::from_secs(5),
            "the request never reached the origin"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gw.shut_down();
    let resp = slow.await.unwrap().expect("the request in flight is answered");
    assert_eq!(resp.status(), 200);
    // Asked to finish, the connection closes after this answer.
    assert_eq!(
        resp.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    assert!(
        http1(&gw).get(url(&gw, "/app")).send().await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn unreachable_product_is_502_and_slow_product_504_as_plain_http_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = gateway_to(&format!("http://{closed}"), "").await;
    let resp = gw.client.get(url(&gw, "/app")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(resp.text().await.unwrap().starts_with("502 Bad Gateway"));
    // SCIM endpoints are unaffected by the pass-through origin.
    let (status, _, _) = common::send(gw.req(0, Method::GET, "/ServiceProviderConfig")).await;
    assert_eq!(status, 200);

    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), ", timeout_ms = 300").await;
    let started = std::time::Instant::now();
    let resp = gw.client.get(url(&gw, "/slow")).send().await.unwrap();
    assert_eq!(resp.status(), 504);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}

/// A WebSocket to the origin's `/ws`, opened through the gateway's TLS listener.
async fn websocket(
    gw: &common::Gateway,
) -> (
    tokio_tungstenite::WebSocketStream<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>,
    tokio_tungstenite::tungstenite::handshake::client::Response,
) {
    let tls = raw::connect(gw).await;
    tokio_tungstenite::client_async(url(gw, "/ws").replace("https", "wss"), tls)
        .await
        .expect("WebSocket handshake through the gateway")
}

#[tokio::test]
async fn websocket_echo_is_tunnelled_through_the_gateway() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let (mut ws, response) = websocket(&gw).await;
    assert_eq!(response.status(), 101);
    ws.send(Message::text("hello through the gateway")).await.unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    ws.send(Message::binary(payload.clone())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("hello through the gateway")
    );
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(payload));
    ws.close(None).await.unwrap();
    let seen = origin
        .log()
        .into_iter()
        .find(|s| s.target == "/ws")
        .expect("the upgrade reached the origin");
    let field = |name: &str| {
        seen.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    assert_eq!(field("upgrade").as_deref(), Some("websocket"));
    assert_eq!(field("connection").as_deref(), Some("upgrade"));
    assert!(field("sec-websocket-key").is_some());
}

#[tokio::test]
async fn an_idle_websocket_is_closed_after_its_idle_timeout_and_a_busy_one_is_not() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), ", tunnel_idle_timeout_ms = 400").await;
    let (mut ws, _) = websocket(&gw).await;
    // A message every 150 ms for well over the limit: the tunnel stays open.
    for i in 0..8 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        ws.send(Message::text(format!("ping {i}")))
            .await
            .expect("send while busy");
        let echoed = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("echo while busy")
            .expect("open while busy")
            .expect("a frame");
        assert_eq!(echoed, Message::text(format!("ping {i}")));
    }
    // Then silence: the gateway closes both sides, and the client sees its connection end.
    let ended = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("the idle tunnel is closed within 10 s");
    assert!(
        !matches!(ended, Some(Ok(Message::Text(_) | Message::Binary(_)))),
        "no data after the idle timeout: {ended:?}"
    );
}

#[tokio::test]
async fn tenants_bound_to_hosts_are_refused_elsewhere() {
    let origin = Origin::start().await;
    let specs = [
        TenantSpec {
            hosts: &["acme.test"],
            ..TenantSpec::new("acme")
        },
        TenantSpec {
            hosts: &["globex.test", "globex-alt.test"],
            ..TenantSpec::new("globex")
        },
        TenantSpec::new("plain"),
    ];
    let extra = format!("passthrough = {{ origin = {:?} }}", origin.url());
    let gw = common::start_with(&specs, &extra).await;
    let client = http1(&gw);
    let status = |tenant: usize, host: &'static str| {
        let req = client
            .get(url(&gw, "/scim/v2/Users"))
            .header("host", host)
            .bearer_auth(&gw.tenants[tenant].token);
        async move { common::send(req).await }
    };
    for (tenant, host, expected) in [
        (0, "acme.test", 200),
        (0, "ACME.test:8443", 200),
        (0, "globex.test", 401),
        (0, "127.0.0.1", 401),
        (1, "globex-alt.test", 200),
        (1, "acme.test", 401),
        (2, "127.0.0.1", 200),
        (2, "acme.test", 401),
    ] {
        let (code, headers, body) = status(tenant, host).await;
        assert_eq!(code, expected, "tenant {tenant} on {host}: {body}");
        if expected == 401 {
            common::assert_scim_error(&body, 401, None);
            assert!(headers.contains_key("www-authenticate"));
        }
    }
    // Host binding is about SCIM; pass-through on a bound host goes to the product as any other request.
    let resp = client
        .get(url(&gw, "/app"))
        .header("host", "acme.test")
        .send()
        .await
        .unwrap();
    let (_, _, seen) = echo(resp).await;
    assert_eq!(header(&seen, "host"), Some("acme.test"));
}

/// A pass-through GET on a raw HTTP/2 connection; the answer's head, if any.
fn h2_get(
    send: &mut h2::client::SendRequest<bytes::Bytes>,
    gw: &common::Gateway,
    path: &str,
) -> h2::client::ResponseFuture {
    let req = http::Request::get(url(gw, path)).body(()).unwrap();
    send.send_request(req, true).expect("a stream").0
}

#[tokio::test]
async fn http2_streams_never_read_hold_at_most_their_places_and_scim_is_served_meanwhile() {
    let origin = Origin::start().await;
    let keys = ", max_in_flight = 4, max_in_flight_per_connection = 3, queue_timeout_ms = 300, \
                response_stall_timeout_ms = 1000";
    let gw = gateway_to(&origin.url(), keys).await;
    // One connection opens five endless downloads and reads none of them.
    let (mut first, first_driven) = raw::connect_h2(&gw).await;
    let answers: Vec<_> = (0..5).map(|_| h2_get(&mut first, &gw, "/endless")).collect();
    // The answers are kept, unread: dropping one would reset its stream.
    let mut kept = Vec::new();
    for answer in answers {
        let head = tokio::time::timeout(Duration::from_secs(3), answer)
            .await
            .expect("a head");
        kept.push(head.expect("an answer"));
    }
    let mut statuses: Vec<u16> = kept.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 503, 503], "three places on one connection");
    // A second connection gets what is left of the gateway's four.
    let (mut second, _second_driven) = raw::connect_h2(&gw).await;
    let answers: Vec<_> = (0..2).map(|_| h2_get(&mut second, &gw, "/endless")).collect();
    let mut statuses = Vec::new();
    for answer in answers {
        let answer = answer.await.expect("an answer");
        statuses.push(answer.status().as_u16());
        kept.push(answer);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 503], "four places across the gateway");
    assert_eq!(origin.endless_open(), 4, "the product holds no more than the bound");
    // SCIM is served while the pass-through is saturated.
    let (status, _, _) = common::send(gw.req(0, Method::GET, "/Users")).await;
    assert_eq!(status, 200);
    // Answers nobody takes: the stalled connections are closed, and the product requests with them.
    tokio::time::timeout(Duration::from_secs(4), first_driven)
        .await
        .expect("the stalled connection is closed")
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(4);
    while origin.endless_open() > 0 {
        assert!(std::time::Instant::now() < deadline, "the product still sends");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_broken_or_slow_client_body_is_the_clients_fault_not_the_products() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), ", timeout_ms = 300").await;
    // Malformed chunked framing: 400, not "the product could not be reached".
    let broken = "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n";
    let answer = raw::exchange(&gw, broken.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // A body that stops arriving while the product waits for it: 408, not 504.
    let slow = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhello";
    let answer = raw::exchange(&gw, slow.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let metrics = gw.runtime.metrics.encode();
    for status in ["400", "408"] {
        assert!(
            metrics.contains(&format!(
                r#"resource="passthrough",operation="forward",status="{status}"}} 1"#
            )),
            "{metrics}"
        );
    }
    assert!(
        !metrics.contains(r#"resource="passthrough",operation="forward",status="50"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_http2_client_that_stops_answering_pings_is_closed_though_a_stream_is_open() {
    let origin = Origin::start().await;
    let extra = format!(
        "passthrough = {{ origin = {:?} }}\n[limits]\nhttp2_keep_alive_interval_ms = 200\n\
         http2_keep_alive_timeout_ms = 200\n",
        origin.url()
    );
    let gw = common::start_with(&[TenantSpec::new("t")], &extra).await;
    let (mut send, mut connection) = raw::h2_handshake(&gw).await;
    // A request the origin answers after 5 s keeps a stream open.
    let req = http::Request::get(url(&gw, "/slow")).body(()).unwrap();
    let (_answer, _) = send.send_request(req, true).unwrap();
    let arrived = async {
        while !origin.log().iter().any(|seen| seen.target == "/slow") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = &mut connection => panic!("the connection ended before the request arrived"),
        () = arrived => {}
    }
    // The client stops reading, so answers no PING; once it reads again, it finds its connection closed, well
    // before the answer would have come.
    tokio::time::sleep(Duration::from_secs(1)).await;
    tokio::time::timeout(Duration::from_secs(2), &mut connection)
        .await
        .expect("the gateway closed the connection whose client answered no PING")
        .ok();
}
