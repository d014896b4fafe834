//! The client address a request is throttled by: the connection's peer, or, when the operator trusts the proxy
//! in front (`server.trust_forwarded_headers`), the client that proxy saw — the rightmost hop of RFC 7239
//! `Forwarded` (`for=`) or else of `X-Forwarded-For`, the one the trusted proxy appended. A hop that is not an
//! address (`unknown`, an obfuscated name) leaves the peer's address.

use http::HeaderMap;
use http::header::FORWARDED;
use std::net::{IpAddr, SocketAddr};

/// `X-Forwarded-For`, the de-facto list of client addresses a chain of proxies appends to.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The address of the client behind `peer`, trusting forwarding headers only when `trust` is set.
pub fn address(headers: &HeaderMap, peer: IpAddr, trust: bool) -> IpAddr {
    if !trust {
        return peer;
    }
    let rightmost = |name: &str| {
        let last_line = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        Some(last_line.rsplit(',').next()?.trim().to_owned())
    };
    let forwarded = rightmost(FORWARDED.as_str()).and_then(|element| {
        element
            .split(';')
            .find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then_some(value)
            })
            .and_then(node)
    });
    forwarded
        .or_else(|| rightmost(X_FORWARDED_FOR).as_deref().and_then(node))
        .unwrap_or(peer)
}

/// An address of a forwarding header: `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9));

    #[test]
    fn forwarded_addresses_count_only_when_trusted() {
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(address(&h, PEER, false), PEER);
        assert_eq!(address(&h, PEER, true), "198.51.100.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_rightmost_hop_is_the_client_the_trusted_proxy_saw() {
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "2.2.2.2, 203.0.113.5:4711"),
        ]);
        assert_eq!(address(&h, PEER, true), "203.0.113.5".parse::<IpAddr>().unwrap());
        let h = headers(&[("forwarded", "for=1.1.1.1, For=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(address(&h, PEER, true), "2001:db8::1".parse::<IpAddr>().unwrap());
        let h = headers(&[("forwarded", "for=unknown"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(address(&h, PEER, true), "198.51.100.7".parse::<IpAddr>().unwrap());
        let h = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(address(&h, PEER, true), PEER);
        assert_eq!(address(&HeaderMap::new(), PEER, true), PEER);
    }
}
