//! The checks of a request's head that hyper leaves to the server, made before any request is routed (SCIM and
//! pass-through alike), each answered with a plain HTTP error:
//! - `Host` (RFC 9112 §3.2): twice, or with user information (`user@host`), is 400; so is a request target
//!   whose authority carries user information (an absolute-form target, HTTP/2's `:authority`, RFC 9113 §8.3.1);
//! - the head's size: hyper reads up to twice `limits.max_header_bytes`, so that a head a little over the limit
//!   is read whole and refused for what is too long: the request target (414, RFC 9110 §15.5.15) or the header
//!   fields (431, RFC 6585 §5). A head longer than that buffer is refused by hyper with 431 before it ends, as
//!   hyper cannot tell then which part is too long.

use crate::request::{Body, Settings};
use http::header::HOST;
use http::{Request, Response, StatusCode, Version};

/// hyper's read buffer for a head whose limit is `max_header_bytes`.
pub fn read_buffer(max_header_bytes: usize) -> usize {
    max_header_bytes.saturating_mul(2)
}

/// The status a request is refused with before routing, if it is.
pub fn refuse<B>(req: &Request<B>, settings: &Settings) -> Option<StatusCode> {
    let mut hosts = req.headers().get_all(HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some()
        || host.is_some_and(|h| h.as_bytes().contains(&b'@'))
        || req.uri().authority().is_some_and(|a| a.as_str().contains('@'))
    {
        return Some(StatusCode::BAD_REQUEST);
    }
    if req.version() <= Version::HTTP_11 {
        let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if target > settings.max_header_bytes {
            return Some(StatusCode::URI_TOO_LONG);
        }
        // The request line and each field line as sent: name, ": ", value, CRLF.
        let fields: usize = req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        if req.method().as_str().len() + target + 12 + fields > settings.max_header_bytes {
            return Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        }
    }
    None
}

/// A plain-text HTTP error, as hyper answers a head it cannot parse.
pub fn plain(status: StatusCode) -> Response<Body> {
    crate::request::plain_text(
        status,
        format!("{} {}\n", status.as_str(), status.canonical_reason().unwrap_or("")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn settings() -> Settings {
        let mut file = crate::config::ConfigFile::default();
        file.server.plaintext = true;
        crate::config::validate(&file)
            .expect("the default config validates")
            .gateway
            .settings
    }

    fn head(target: &str, host: &str) -> Request<()> {
        Request::builder()
            .uri(target)
            .header(HOST, host)
            .body(())
            .expect("request")
    }

    #[test]
    fn host_with_user_information_or_twice_is_refused() {
        let s = settings();
        assert_eq!(refuse(&head("/scim/v2/Users", "acme.test"), &s), None);
        assert_eq!(
            refuse(&head("/scim/v2/Users", "user@acme.test"), &s),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            refuse(&head("https://u:p@acme.test/x", "acme.test"), &s),
            Some(StatusCode::BAD_REQUEST)
        );
        let mut twice = head("/", "a.test");
        twice.headers_mut().append(HOST, HeaderValue::from_static("b.test"));
        assert_eq!(refuse(&twice, &s), Some(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn a_long_target_is_414_and_long_fields_431() {
        let mut s = settings();
        s.max_header_bytes = 8192;
        let long = format!("/{}", "a".repeat(s.max_header_bytes));
        assert_eq!(refuse(&head(&long, "h"), &s), Some(StatusCode::URI_TOO_LONG));
        let mut fields = head("/", "h");
        for i in 0..8 {
            let value = HeaderValue::from_str(&"v".repeat(s.max_header_bytes / 8)).expect("value");
            fields
                .headers_mut()
                .insert(format!("x-f{i}").parse::<http::HeaderName>().expect("name"), value);
        }
        assert_eq!(refuse(&fields, &s), Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }
}
