//! A pass-through request that got no usable answer, and its plain-text HTTP error (these are not SCIM
//! endpoints): the product's faults are 502/504, the gateway's bounds 503, the client's own faults 400/408.

use crate::request::Body;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};
use std::time::Duration;

/// A pass-through request that got no usable answer from the product.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Connecting to the product, or reading its answer's head, failed.
    #[error("the product could not be reached")]
    Unreachable(#[source] hyper_util::client::legacy::Error),
    /// The product stayed silent too long: neither taking request body nor answering.
    #[error("the product did not answer within {0:?}")]
    Timeout(Duration),
    /// The product answered 101 to a request that asked for no protocol switch.
    #[error("the product switched protocols unasked")]
    UnexpectedUpgrade,
    /// `CONNECT` would make the gateway a forward proxy.
    #[error("CONNECT is not served")]
    Connect,
    /// A request target that has no origin-form (`OPTIONS *`).
    #[error("the request target cannot be passed through")]
    BadTarget,
    /// Every place for a pass-through request (the gateway's, or the client connection's) stayed taken.
    #[error("too many pass-through requests in flight; none ended within {0:?}")]
    Busy(Duration),
    /// The client stopped sending its request body while the product waited for it.
    #[error("the request body did not arrive within {0:?}")]
    ClientTimeout(Duration),
    /// The client's request body could not be read: broken framing, or a stream the client reset.
    #[error("the request body could not be read")]
    ClientBody(#[source] hyper_util::client::legacy::Error),
}

impl ProxyError {
    /// The status the client is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::Unreachable(_) | ProxyError::UnexpectedUpgrade => StatusCode::BAD_GATEWAY,
            ProxyError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::Connect => StatusCode::NOT_IMPLEMENTED,
            ProxyError::BadTarget | ProxyError::ClientBody(_) => StatusCode::BAD_REQUEST,
            ProxyError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::ClientTimeout(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// The one place a pass-through failure becomes a response: a plain-text HTTP error.
pub(super) fn render(e: &ProxyError) -> Response<Body> {
    let status = e.status();
    let text = format!("{} {}: {e}\n", status.as_str(), status.canonical_reason().unwrap_or(""));
    let mut response = crate::request::plain_text(status, text);
    if let ProxyError::Busy(_) = e {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(1));
    }
    response
}
