//! Protocol upgrades (RFC 9110 §7.8), WebSocket above all: the request's `Upgrade` is asked anew of the product,
//! and when the product answers `101 Switching Protocols` both connections become one byte tunnel.

use super::silence::Activity;
use http::header::{CONNECTION, HeaderValue, UPGRADE};
use http::{Request, Version};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

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

/// Copy bytes both ways between the client and the product until both sides close, or until no byte has moved
/// either way for `idle` (then both are dropped, which closes them). Each direction holds one small buffer, and a
/// side that stops reading stops the other side's writes.
pub async fn tunnel(client: OnUpgrade, product: OnUpgrade, idle: Option<Duration>) {
    let (client, product) = match tokio::try_join!(client, product) {
        Ok(both) => both,
        Err(e) => return tracing::debug!(error = %e, "upgrade did not complete"),
    };
    let activity = Activity::since(Instant::now());
    let mut client = Active::new(TokioIo::new(client), &activity);
    let mut product = Active::new(TokioIo::new(product), &activity);
    let copy = tokio::io::copy_bidirectional(&mut client, &mut product);
    let outcome = match idle {
        None => copy.await,
        Some(limit) => tokio::select! {
            outcome = copy => outcome,
            () = activity.silent_for(limit) => {
                return tracing::debug!(idle_s = limit.as_secs_f64(), "upgraded connection closed after its idle timeout");
            }
        },
    };
    match outcome {
        Ok((up, down)) => tracing::debug!(up, down, "upgraded connection closed"),
        Err(e) => tracing::debug!(error = %e, "upgraded connection ended with an error"),
    }
}

/// One side of a tunnel, noting in [`Activity`] every read or write that moved bytes.
struct Active<'a, T> {
    io: T,
    activity: &'a Activity,
}

impl<'a, T> Active<'a, T> {
    fn new(io: T, activity: &'a Activity) -> Self {
        Active { io, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Active<'_, T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Active<'_, T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, bytes);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
