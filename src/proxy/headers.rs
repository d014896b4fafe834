//! Header fields on the way through (RFC 9110 §7.6): hop-by-hop fields removed both ways, `Host` kept or
//! rewritten, the forwarding fields (`X-Forwarded-For/-Proto/-Host`, RFC 7239 `Forwarded`) and `Via` added, and
//! a SCIM bearer token never passed on.

use super::Options;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, COOKIE, Entry, FORWARDED, HOST, HeaderMap, HeaderName, HeaderValue,
    TRANSFER_ENCODING, VIA,
};
use http::uri::Authority;
use http::{Uri, Version};
use std::net::IpAddr;
use std::sync::OnceLock;

/// What `Host` the product sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostMode {
    /// The client's own (`acme.product.example`): the product serves its virtual hosts as if reached directly.
    Keep,
    /// The origin's authority, for a product that only answers to its internal name.
    Origin,
}

/// Which forwarding fields the gateway adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedStyle {
    /// `X-Forwarded-For/-Proto/-Host` and `Forwarded`.
    Both,
    /// `X-Forwarded-For/-Proto/-Host` only.
    XForwarded,
    /// `Forwarded` (RFC 7239) only.
    Forwarded,
    /// None.
    None,
}

impl HostMode {
    /// `keep` or `origin`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "keep" => Ok(HostMode::Keep),
            "origin" => Ok(HostMode::Origin),
            _ => Err(format!("{text:?}: expected \"keep\" or \"origin\"")),
        }
    }
}

impl ForwardedStyle {
    /// `both`, `x-forwarded`, `forwarded` or `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "both" => Ok(ForwardedStyle::Both),
            "x-forwarded" => Ok(ForwardedStyle::XForwarded),
            "forwarded" => Ok(ForwardedStyle::Forwarded),
            "none" => Ok(ForwardedStyle::None),
            _ => Err(format!(
                "{text:?}: expected \"both\", \"x-forwarded\", \"forwarded\" or \"none\""
            )),
        }
    }
}

/// Fields that are hop-by-hop whatever `Connection` says (RFC 9110 §7.6.1, RFC 9112 §§6.1, 7.4, 9.6), and every
/// `Proxy-*` field.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    let name = name.as_str();
    matches!(
        name,
        "connection" | "keep-alive" | "te" | "trailer" | "transfer-encoding" | "upgrade" | "http2-settings"
    ) || name.starts_with("proxy-")
}

/// Forwarding fields a client could forge to make the product believe in another address, scheme or host.
fn is_forwarding(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-forwarded-host"
            | "x-forwarded-port"
            | "x-forwarded-prefix"
            | "x-real-ip"
            | "forwarded"
    )
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// Also read by the SCIM router, for the base URL, when the operator trusts forwarded fields.
pub(crate) const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// What the rewriting of one request needs to know.
#[derive(Debug)]
pub struct Context<'a> {
    /// The authority the client addressed (absolute-form target or `:authority`, else `Host`).
    pub client_authority: Option<HeaderValue>,
    /// The product origin's authority.
    pub origin_authority: &'a Authority,
    /// The client connection's forwarding values.
    pub peer: &'a PeerFields,
    /// The scheme the client used to reach the gateway.
    pub proto: &'static str,
    /// The HTTP version the client spoke.
    pub version: Version,
}

/// The forwarding values of one client connection, worked out on its first pass-through request and reused by
/// the rest: its address for `X-Forwarded-For`, and the whole `Forwarded` element for the host and scheme its
/// requests name (the same on almost every request of a connection).
#[derive(Debug)]
pub struct PeerFields {
    /// The client's address, an IPv4 client of a dual-stack listener as IPv4.
    ip: IpAddr,
    x_forwarded_for: OnceLock<Option<HeaderValue>>,
    forwarded: OnceLock<ForwardedElement>,
}

/// `for=…;proto=…;host="…"` for one host and scheme.
#[derive(Debug)]
struct ForwardedElement {
    host: Option<HeaderValue>,
    proto: &'static str,
    value: Option<HeaderValue>,
}

impl PeerFields {
    /// The values for a client at `ip`; nothing is worked out until a request needs it.
    pub fn new(ip: IpAddr) -> Self {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_canonical(),
            v4 => v4,
        };
        PeerFields {
            ip,
            x_forwarded_for: OnceLock::new(),
            forwarded: OnceLock::new(),
        }
    }

    fn x_forwarded_for(&self) -> Option<&HeaderValue> {
        self.x_forwarded_for
            .get_or_init(|| HeaderValue::from_str(&self.ip.to_string()).ok())
            .as_ref()
    }

    /// RFC 7239 §6: an IPv6 node is bracketed and quoted; a host with a port is not a token, so it is quoted.
    fn forwarded(&self, host: Option<&HeaderValue>, proto: &'static str) -> Option<HeaderValue> {
        if let Some(kept) = self.forwarded.get()
            && kept.proto == proto
            && kept.host.as_ref() == host
        {
            return kept.value.clone();
        }
        let peer = self.ip.to_string();
        let mut value = Vec::with_capacity(128);
        value.extend_from_slice(b"for=");
        if self.ip.is_ipv6() {
            value.extend_from_slice(b"\"[");
            value.extend_from_slice(peer.as_bytes());
            value.extend_from_slice(b"]\"");
        } else {
            value.extend_from_slice(peer.as_bytes());
        }
        value.extend_from_slice(b";proto=");
        value.extend_from_slice(proto.as_bytes());
        if let Some(host) = host {
            value.extend_from_slice(b";host=\"");
            value.extend_from_slice(host.as_bytes());
            value.push(b'"');
        }
        let value = HeaderValue::from_bytes(&value).ok();
        // The first host seen is kept; a connection naming several is rare, and worked out each time.
        let _ = self.forwarded.set(ForwardedElement {
            host: host.cloned(),
            proto,
            value: value.clone(),
        });
        value
    }
}

/// The authority a request was addressed to. RFC 9112 §3.2.2: an absolute-form target's authority overrides
/// `Host`; HTTP/2 carries it as `:authority` (RFC 9113 §8.3.1), which hyper puts in the URI.
pub fn client_authority(uri: &Uri, headers: &HeaderMap) -> Option<HeaderValue> {
    match uri.authority() {
        Some(authority) => HeaderValue::from_str(authority.as_str()).ok(),
        None => headers.get(HOST).cloned(),
    }
}

/// Remove the hop-by-hop fields. RFC 9110 §7.6.1: "a proxy or gateway MUST parse a received Connection header
/// field before a message is forwarded and, for each connection-option in this field, remove any header or
/// trailer field(s) from the message with the same name as the connection-option, and then remove the
/// Connection header field itself".
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // `Connection` and `Transfer-Encoding` are hop-by-hop themselves: without any such field, neither is there
    // and there is nothing to remove.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
    // RFC 9112 §6.3: with Transfer-Encoding present, Content-Length is not what frames the message; the
    // message that leaves is framed anew, so neither goes on.
    let framed_by_te = headers.contains_key(TRANSFER_ENCODING);
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|option| HeaderName::from_bytes(option.trim().as_bytes()).ok())
        .collect();
    remove_where(headers, |name| {
        is_hop_by_hop(name) || named.contains(name) || (framed_by_te && name == CONTENT_LENGTH)
    });
}

/// Remove every field whose name `doomed` picks, keeping the others in the order they came. One pass over the
/// names first: most messages carry none of the fields removed on the way through, and are left untouched.
fn remove_where(headers: &mut HeaderMap, doomed: impl Fn(&HeaderName) -> bool) {
    if !headers.keys().any(&doomed) {
        return;
    }
    let all = std::mem::replace(headers, HeaderMap::with_capacity(headers.len()));
    let mut current: Option<HeaderName> = None;
    for (name, value) in all {
        // `None` continues the previous name's values.
        if let Some(name) = name {
            current = (!doomed(&name)).then_some(name);
        }
        if let Some(name) = &current {
            headers.append(name.clone(), value);
        }
    }
}

/// Remove the `Authorization` values that are SCIM bearer tokens (`is_scim_token`): the gateway's credential,
/// never the product's. Any other credential (`Basic …`, the product's own bearer tokens) goes on as it came.
pub fn strip_scim_tokens(headers: &mut HeaderMap, is_scim_token: impl Fn(&HeaderValue) -> bool) {
    if !headers.get_all(AUTHORIZATION).iter().any(&is_scim_token) {
        return;
    }
    let Entry::Occupied(entry) = headers.entry(AUTHORIZATION) else {
        return;
    };
    let values: Vec<HeaderValue> = entry.remove_entry_mult().1.collect();
    for value in values.into_iter().filter(|value| !is_scim_token(value)) {
        headers.append(AUTHORIZATION, value);
    }
}

/// The header fields of the request to the product.
pub fn outbound(headers: &mut HeaderMap, cx: &Context<'_>, options: &Options) {
    strip_hop_by_hop(headers);
    if cx.version == Version::HTTP_2 {
        join_cookies(headers);
    }
    let client = match options.host {
        HostMode::Keep => cx.client_authority.as_ref(),
        HostMode::Origin => None,
    };
    let origin;
    let host = match client {
        Some(host) => Some(host),
        None => {
            origin = HeaderValue::from_str(cx.origin_authority.as_str()).ok();
            origin.as_ref()
        }
    };
    if let Some(host) = host {
        match headers.entry(HOST) {
            Entry::Occupied(mut sent) => {
                if sent.get() != host {
                    sent.insert(host.clone());
                }
            }
            Entry::Vacant(none) => {
                none.insert(host.clone());
            }
        }
    }
    forwarding(headers, cx, options);
    if options.via {
        append_via(headers, cx.version);
    }
}

/// The header fields of the response to the client.
pub fn inbound(headers: &mut HeaderMap, version: Version, options: &Options) {
    strip_hop_by_hop(headers);
    if options.via {
        append_via(headers, version);
    }
}

/// RFC 9113 §8.2.3: an HTTP/2 client may split `Cookie` into several fields; "if there are multiple Cookie
/// header fields after decompression, these MUST be concatenated into a single octet string using the two-octet
/// delimiter of 0x3b, 0x20 (the ASCII string "; ") before being passed into a non-HTTP/2 context".
fn join_cookies(headers: &mut HeaderMap) {
    if headers.get_all(COOKIE).iter().count() < 2 {
        return;
    }
    let joined = headers
        .get_all(COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect::<Vec<_>>()
        .join(&b"; "[..]);
    if let Ok(value) = HeaderValue::from_bytes(&joined) {
        headers.insert(COOKIE, value);
    }
}

/// Add the forwarding fields; without `trust_forwarded`, first drop any the client sent.
fn forwarding(headers: &mut HeaderMap, cx: &Context<'_>, options: &Options) {
    let trusted = options.trust_forwarded;
    if !trusted {
        remove_where(headers, is_forwarding);
    }
    let host = cx.client_authority.as_ref().filter(|h| is_authority(h.as_bytes()));
    let style = options.forwarded;
    // Room for the fields added below, made once: a request's map is sized for the fields it came with.
    headers.reserve(4);
    if matches!(style, ForwardedStyle::Both | ForwardedStyle::XForwarded) {
        if let Some(peer) = cx.peer.x_forwarded_for() {
            let value = if trusted {
                appended(headers, &X_FORWARDED_FOR, peer)
            } else {
                Some(peer.clone())
            };
            if let Some(value) = value {
                headers.insert(X_FORWARDED_FOR, value);
            }
        }
        if !(trusted && headers.contains_key(&X_FORWARDED_PROTO)) {
            headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(cx.proto));
        }
        if let Some(host) = host
            && !(trusted && headers.contains_key(&X_FORWARDED_HOST))
        {
            headers.insert(X_FORWARDED_HOST, host.clone());
        }
    }
    if matches!(style, ForwardedStyle::Both | ForwardedStyle::Forwarded)
        && let Some(element) = cx.peer.forwarded(host, cx.proto)
    {
        let value = if trusted {
            appended(headers, &FORWARDED, &element)
        } else {
            Some(element)
        };
        if let Some(value) = value {
            headers.insert(FORWARDED, value);
        }
    }
}

/// `last` after the values the list field `name` already has, if it has any.
fn appended(headers: &HeaderMap, name: &HeaderName, last: &HeaderValue) -> Option<HeaderValue> {
    let mut value = Vec::with_capacity(128);
    if !push_joined(&mut value, headers, name) {
        return Some(last.clone());
    }
    value.extend_from_slice(b", ");
    value.extend_from_slice(last.as_bytes());
    HeaderValue::from_bytes(&value).ok()
}

/// RFC 9110 §7.6.3: `Via: 1.1 scimgate`, appended to what earlier intermediaries wrote.
fn append_via(headers: &mut HeaderMap, version: Version) {
    let received = match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    };
    let mut value = Vec::with_capacity(16);
    if push_joined(&mut value, headers, &VIA) {
        value.extend_from_slice(b", ");
    }
    value.extend_from_slice(received.as_bytes());
    value.extend_from_slice(b" scimgate");
    insert(headers, VIA, &value);
}

/// Append every value of a list field, joined with ", " (RFC 9110 §5.3); whether there was any.
fn push_joined(out: &mut Vec<u8>, headers: &HeaderMap, name: &HeaderName) -> bool {
    let mut any = false;
    for value in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
        if any {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(value.as_bytes());
        any = true;
    }
    any
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &[u8]) {
    if let Ok(value) = HeaderValue::from_bytes(value) {
        headers.insert(name, value);
    }
}

/// A host that can stand in a quoted string and a header unchanged: the characters of an RFC 3986 authority.
fn is_authority(host: &[u8]) -> bool {
    !host.is_empty()
        && host.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b':'
                        | b'['
                        | b']'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b'%'
                )
        })
}
