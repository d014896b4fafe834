//! Protocol upgrades (RFC 9110 §7.8), WebSocket above all: the request's `Upgrade` is asked anew of the product,
//! and when the product answers `101 Switching Protocols` both connections become one byte tunnel.

use http::header::{CONNECTION, HeaderValue, UPGRADE};
use http::{Request, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

/// The protocol a request asks to switch to: `Upgrade` named in `Connection`, on HTTP/1.1 (HTTP/2 has no
/// `Upgrade`, RFC 9113 §8.6).
pub fn requested<B>(req: &Request<B>) -> Option<HeaderValue> {
    if req.version() != Version::HTTP_11 {
        return None;
    }
    let named = req
        .headers()
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|option| option.trim().eq_ignore_ascii_case("upgrade"));
    named.then(|| req.headers().get(UPGRADE).cloned()).flatten()
}

/// Copy bytes both ways between the client and the product until both sides close. Each direction holds one
/// small buffer, and a side that stops reading stops the other side's writes.
pub async fn tunnel(client: OnUpgrade, product: OnUpgrade) {
    let (client, product) = match tokio::try_join!(client, product) {
        Ok(both) => both,
        Err(e) => return tracing::debug!(error = %e, "upgrade did not complete"),
    };
    let (mut client, mut product) = (TokioIo::new(client), TokioIo::new(product));
    match tokio::io::copy_bidirectional(&mut client, &mut product).await {
        Ok((up, down)) => tracing::debug!(up, down, "upgraded connection closed"),
        Err(e) => tracing::debug!(error = %e, "upgraded connection ended with an error"),
    }
}
