//! Request smuggling through the pass-through (RFC 9112 §§5.2, 6.1, 6.3, 11.2): a message whose framing two
//! parsers could read differently never reaches the product as such.

use crate::origin::Origin;
use crate::{gateway_to, raw};

/// A request hidden in a body, which a desynchronised product would answer as a second request.
const SMUGGLED: &str = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";

#[tokio::test]
async fn ambiguous_framing_and_malformed_fields_are_refused_before_the_product() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    let cases = [
        (
            "conflicting Content-Length",
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhello",
        ),
        (
            "a transfer coding that does not end in chunked",
            "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        ),
        (
            "Transfer-Encoding in HTTP/1.0",
            "POST /a HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ),
        (
            "obs-fold",
            "POST /a HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n Content-Length: 41\r\n\r\n",
        ),
        (
            "a bare CR inside a field",
            "POST /a HTTP/1.1\r\nHost: h\r\nX-A: a\rContent-Length: 41\r\n\r\n",
        ),
        (
            "white space before the colon",
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length : 41\r\n\r\n",
        ),
        (
            "a signed Content-Length",
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: +41\r\n\r\n",
        ),
    ];
    for (what, head) in cases {
        let answer = raw::exchange(&gw, format!("{head}{SMUGGLED}").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{what}: {answer}");
        assert_eq!(
            answer.matches("HTTP/1.1").count(),
            1,
            "{what}: one answer, then close: {answer}"
        );
    }
    let log = origin.log();
    assert!(log.is_empty(), "the product saw {log:?}");
}

#[tokio::test]
async fn transfer_encoding_with_content_length_is_framed_by_the_former_and_the_connection_closed() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    // The classic CL.TE attack: a parser that trusts Content-Length reads the smuggled request as body, one
    // that trusts Transfer-Encoding reads it as the next request. RFC 9112 §6.1: "a server MAY reject a
    // request that contains both Content-Length and Transfer-Encoding or process such a request in accordance
    // with the Transfer-Encoding alone. Regardless, the server MUST close the connection after responding".
    let body = format!("5\r\nhello\r\n0\r\n\r\n{SMUGGLED}");
    for head in [
        format!(
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
            body.len()
        ),
        format!(
            "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
    ] {
        let answer = raw::exchange(&gw, format!("{head}{body}").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert_eq!(
            answer.matches("HTTP/1.1 ").count(),
            1,
            "the smuggled request was answered: {answer}"
        );
        assert!(answer.contains("\"body\":\"hello\""), "{answer}");
    }
    let log = origin.log();
    assert_eq!(log.len(), 2, "{log:?}");
    for seen in log {
        assert_eq!(seen.target, "/a");
        let content_length = seen.headers.iter().find(|(n, _)| n == "content-length");
        assert!(content_length.is_none_or(|(_, v)| v == "5"), "{seen:?}");
    }
}

#[tokio::test]
async fn bare_lf_line_ends_are_read_as_line_ends_and_forwarded_framed_anew() {
    let origin = Origin::start().await;
    let gw = gateway_to(&origin.url(), "").await;
    // RFC 9112 §2.2 lets a recipient read a bare LF as a line end; hyper does, and whatever it read is what
    // the product gets, re-serialised with CRLF, so the two cannot disagree about where the message ends.
    let body = format!("0\r\n\r\n{SMUGGLED}");
    let request = format!(
        "POST /a HTTP/1.1\nHost: h\nX-A: 1\nContent-Length: {}\nConnection: close\n\n{body}",
        body.len()
    );
    let answer = raw::exchange(&gw, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let log = origin.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        answer.contains("GET /smuggled"),
        "the hidden request stays body: {answer}"
    );
}
