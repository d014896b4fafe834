use super::headers::{self, Context, PeerFields};
use super::*;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, FORWARDED, HOST, HeaderMap, VIA};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn v4() -> PeerFields {
    PeerFields::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)))
}

fn options() -> Options {
    Options {
        host: HostMode::Keep,
        forwarded: ForwardedStyle::Both,
        trust_forwarded: false,
        via: false,
        timeout: Duration::from_secs(1),
        tunnel_idle: None,
        max_in_flight: 8,
        max_in_flight_per_connection: 2,
        queue_timeout: Duration::from_secs(1),
        response_stall: Duration::from_secs(1),
    }
}

/// The outbound rewriting of `headers`.
fn outbound(mut headers: HeaderMap, cx: &Context<'_>, options: &Options) -> HeaderMap {
    headers::outbound(&mut headers, cx, options);
    headers
}

fn map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    headers
}

fn context<'a>(origin: &'a Authority, peer: &'a PeerFields) -> Context<'a> {
    Context {
        client_authority: Some(HeaderValue::from_static("acme.example:8443")),
        origin_authority: origin,
        peer,
        proto: "https",
        version: Version::HTTP_11,
    }
}

#[test]
fn hop_by_hop_fields_and_the_ones_connection_names_are_removed() {
    let mut h = map(&[
        ("connection", "keep-alive, X-Secret-Hop"),
        ("connection", "close"),
        ("x-secret-hop", "1"),
        ("keep-alive", "timeout=5"),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("transfer-encoding", "chunked"),
        ("content-length", "12"),
        ("upgrade", "h2c"),
        ("proxy-authorization", "Basic eA=="),
        ("proxy-connection", "keep-alive"),
        ("http2-settings", "AAA"),
        ("x-end-to-end", "kept"),
        ("accept", "text/html"),
    ]);
    headers::strip_hop_by_hop(&mut h);
    let left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
    assert_eq!(left, ["x-end-to-end", "accept"]);
}

#[test]
fn content_length_alone_is_kept() {
    let mut h = map(&[("content-length", "12")]);
    headers::strip_hop_by_hop(&mut h);
    assert_eq!(h["content-length"], "12");
}

#[test]
fn forged_forwarding_fields_are_replaced_unless_trusted() {
    let origin: Authority = "product.internal:8080".parse().unwrap();
    let sent = map(&[
        ("x-forwarded-for", "203.0.113.66"),
        ("x-forwarded-proto", "http"),
        ("x-forwarded-host", "evil.example"),
        ("x-real-ip", "203.0.113.66"),
        ("forwarded", "for=203.0.113.66"),
        ("host", "acme.example:8443"),
    ]);
    let h = outbound(sent.clone(), &context(&origin, &v4()), &options());
    assert_eq!(h["x-forwarded-for"], "192.0.2.7");
    assert_eq!(h["x-forwarded-proto"], "https");
    assert_eq!(h["x-forwarded-host"], "acme.example:8443");
    assert_eq!(h[FORWARDED], "for=192.0.2.7;proto=https;host=\"acme.example:8443\"");
    assert!(!h.contains_key("x-real-ip"));
    assert_eq!(h[HOST], "acme.example:8443");

    let trusted = Options {
        trust_forwarded: true,
        ..options()
    };
    let h = outbound(sent, &context(&origin, &v4()), &trusted);
    assert_eq!(h["x-forwarded-for"], "203.0.113.66, 192.0.2.7");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "evil.example");
    assert_eq!(
        h[FORWARDED],
        "for=203.0.113.66, for=192.0.2.7;proto=https;host=\"acme.example:8443\""
    );
}

#[test]
fn styles_choose_the_fields_and_ipv6_nodes_are_quoted() {
    let origin: Authority = "product.internal".parse().unwrap();
    let v6 = PeerFields::new(IpAddr::V6(Ipv6Addr::LOCALHOST));
    let mut cx = context(&origin, &v6);
    let only_forwarded = Options {
        forwarded: ForwardedStyle::Forwarded,
        ..options()
    };
    let h = outbound(HeaderMap::new(), &cx, &only_forwarded);
    assert_eq!(h[FORWARDED], "for=\"[::1]\";proto=https;host=\"acme.example:8443\"");
    assert!(!h.contains_key("x-forwarded-for"));
    let none = Options {
        forwarded: ForwardedStyle::None,
        ..options()
    };
    let h = outbound(map(&[("x-forwarded-for", "203.0.113.66")]), &cx, &none);
    assert!(!h.contains_key("x-forwarded-for") && !h.contains_key(FORWARDED));
    // An IPv4 client on a dual-stack listener is written as IPv4.
    let mapped = PeerFields::new(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 9).to_ipv6_mapped()));
    cx.peer = &mapped;
    let h = outbound(HeaderMap::new(), &cx, &options());
    assert_eq!(h["x-forwarded-for"], "192.0.2.9");
}

#[test]
fn host_is_kept_or_rewritten() {
    let origin: Authority = "product.internal:8080".parse().unwrap();
    let peer = v4();
    let cx = context(&origin, &peer);
    let rewrite = Options {
        host: HostMode::Origin,
        ..options()
    };
    let h = outbound(map(&[("authorization", "Bearer product")]), &cx, &rewrite);
    assert_eq!(h[HOST], "product.internal:8080");
    assert_eq!(h[AUTHORIZATION], "Bearer product");
}

#[test]
fn scim_tokens_never_go_on_and_other_credentials_do() {
    let is_scim_token = |value: &HeaderValue| value == "Bearer scimgate_x";
    let mut h = map(&[("authorization", "Bearer scimgate_x"), ("x-other", "1")]);
    headers::strip_scim_tokens(&mut h, is_scim_token);
    assert!(!h.contains_key(AUTHORIZATION));
    assert_eq!(h["x-other"], "1");
    let mut h = map(&[
        ("authorization", "Basic Zm9vOmJhcg=="),
        ("authorization", "Bearer scimgate_x"),
        ("authorization", "Bearer product"),
    ]);
    headers::strip_scim_tokens(&mut h, is_scim_token);
    let left: Vec<_> = h.get_all(AUTHORIZATION).iter().collect();
    assert_eq!(left, ["Basic Zm9vOmJhcg==", "Bearer product"]);
}

#[test]
fn http2_cookies_are_joined_and_via_names_the_received_version() {
    let origin: Authority = "product.internal".parse().unwrap();
    let peer = v4();
    let mut cx = context(&origin, &peer);
    cx.version = Version::HTTP_2;
    let via = Options { via: true, ..options() };
    let h = outbound(
        map(&[("cookie", "a=1"), ("cookie", "b=2"), ("via", "1.1 edge")]),
        &cx,
        &via,
    );
    assert_eq!(h.get_all(COOKIE).iter().collect::<Vec<_>>(), ["a=1; b=2"]);
    assert_eq!(h[VIA], "1.1 edge, 2 scimgate");
    let mut back = map(&[("connection", "close"), ("content-type", "text/html")]);
    headers::inbound(&mut back, Version::HTTP_11, &via);
    assert_eq!(back[VIA], "1.1 scimgate");
    assert!(!back.contains_key("connection"));
}

#[test]
fn the_target_keeps_path_and_query_byte_for_byte() {
    let tls = crate::upstream::tls_config(None).unwrap();
    let p = Passthrough::new("http://product.internal:8080", options(), tls, "https").unwrap();
    let raw = "/a/%2F..%2f/b;x=1/%7e?q=%20a+b&&r=%zz";
    let of = |uri: &str| uri.parse::<Uri>().unwrap().path_and_query().cloned();
    let target = p.target(of(raw)).unwrap();
    assert_eq!(target.to_string(), format!("http://product.internal:8080{raw}"));
    assert!(p.target(of("*")).is_err());
    assert!(p.target(None).is_err());
}

#[test]
fn origins_are_checked() {
    let tls = || crate::upstream::tls_config(None).unwrap();
    for bad in ["ftp://x", "http://x/app", "http://x/?q", "https://u:p@x", "x"] {
        assert!(Passthrough::new(bad, options(), tls(), "https").is_err(), "{bad}");
    }
    assert!(Passthrough::new("https://x:8443/", options(), tls(), "https").is_ok());
}

#[test]
fn failures_are_plain_http_errors() {
    let r = render(&ProxyError::Timeout(Duration::from_millis(5)));
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(r.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
    assert_eq!(render(&ProxyError::Connect).status(), StatusCode::NOT_IMPLEMENTED);
    assert_eq!(render(&ProxyError::UnexpectedUpgrade).status(), StatusCode::BAD_GATEWAY);
}

#[test]
fn a_connections_forwarding_values_follow_the_host_each_request_names() {
    let origin: Authority = "product.internal".parse().unwrap();
    let peer = v4();
    let mut cx = context(&origin, &peer);
    let sent = || map(&[("x-forwarded-for", "203.0.113.66")]);
    let mut seen = Vec::new();
    for host in [
        "a.example",
        "b.example:8443",
        "a.example",
        "b.example:8443",
        "a.example",
    ] {
        cx.client_authority = Some(HeaderValue::from_static(host));
        let h = outbound(sent(), &cx, &options());
        assert_eq!(h["x-forwarded-for"], "192.0.2.7");
        assert_eq!(h["x-forwarded-host"], host);
        seen.push(h[FORWARDED].to_str().unwrap().to_owned());
    }
    for (host, forwarded) in [
        "a.example",
        "b.example:8443",
        "a.example",
        "b.example:8443",
        "a.example",
    ]
    .iter()
    .zip(&seen)
    {
        assert_eq!(forwarded, &format!("for=192.0.2.7;proto=https;host=\"{host}\""));
    }
    // The scheme is part of what is kept: another proto is not answered from the first.
    cx.proto = "http";
    let h = outbound(HeaderMap::new(), &cx, &options());
    assert_eq!(h[FORWARDED], "for=192.0.2.7;proto=http;host=\"a.example\"");
    // Trusted fields are appended to, never answered from what was kept.
    let trusted = Options {
        trust_forwarded: true,
        ..options()
    };
    let h = outbound(sent(), &cx, &trusted);
    assert_eq!(h["x-forwarded-for"], "203.0.113.66, 192.0.2.7");
    let h = outbound(HeaderMap::new(), &cx, &trusted);
    assert_eq!(h["x-forwarded-for"], "192.0.2.7");
}

/// The size of the future `f` returns, without calling it.
fn future_size<'a, A: 'a, B, C, D: 'a, H: 'a, E: 'a, G: 'a, F>(
    _: impl FnOnce(&'a A, B, C, &'a D, &'a H, &'a E, &'a G) -> F,
) -> usize {
    std::mem::size_of::<F>()
}

#[test]
fn a_pass_through_future_stays_small() {
    // hyper moves each request's future into its connection's slot: a pass-through request should not carry the
    // kilobytes of a SCIM request's state (4.4 KiB when both shared one future).
    let forward = future_size::<
        Passthrough,
        Request<Incoming>,
        std::net::SocketAddr,
        PeerFields,
        std::sync::Arc<super::PerConnection>,
        Authenticator,
        Metrics,
        _,
    >(Passthrough::forward);
    assert!(forward <= 1024, "Passthrough::forward's future is {forward} bytes");
}
