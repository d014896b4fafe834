//! The request body on its way to the product, watched for the product's silence: the product is "too slow"
//! when it has neither asked for more of the body nor answered for the configured time. A long upload to a
//! product that keeps reading is therefore never cut short, and one that stops reading is. While the product
//! waits for the client's next part, the client is the one that is silent: a client too slow with its body is
//! answered 408, and one whose body breaks (malformed chunked framing) 400, never blaming the product.

use super::silence::Activity;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// How a request body's exchange is going: the product's silence clock, and the client's side of the upload.
#[derive(Debug)]
pub struct Upload {
    /// When the product last asked for more of the body (or the exchange began).
    pub activity: Activity,
    awaiting_client: AtomicBool,
    client_failed: AtomicBool,
}

impl Upload {
    /// An exchange that began with `activity`.
    pub fn new(activity: Activity) -> Self {
        Upload {
            activity,
            awaiting_client: AtomicBool::new(false),
            client_failed: AtomicBool::new(false),
        }
    }

    /// Whether the product is waiting for the client's next part of the body.
    pub fn awaiting_client(&self) -> bool {
        self.awaiting_client.load(Ordering::Acquire)
    }

    /// Whether the client's body could not be read (broken framing, a reset stream).
    pub fn client_failed(&self) -> bool {
        self.client_failed.load(Ordering::Acquire)
    }
}

/// A body that notes progress in its exchange's [`Upload`] whenever it is polled, which hyper does only when
/// the product connection can take more.
#[derive(Debug)]
pub struct Watched<B> {
    inner: B,
    upload: Arc<Upload>,
}

impl<B> Watched<B> {
    /// Watch `inner`.
    pub fn new(inner: B, upload: Arc<Upload>) -> Self {
        Watched { inner, upload }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Watched<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.upload.activity.touch();
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.upload
            .awaiting_client
            .store(polled.is_pending(), Ordering::Release);
        if matches!(polled, Poll::Ready(Some(Err(_)))) {
            self.upload.client_failed.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};
    use std::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn each_read_of_the_body_restarts_the_products_silence() {
        let limit = Duration::from_secs(10);
        let upload = Arc::new(Upload::new(Activity::since(Instant::now())));
        let chunks = (0..5).map(|_| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(b"x"))));
        let mut body = Watched::new(StreamBody::new(futures_util::stream::iter(chunks)), upload.clone());
        let silence = upload.activity.silent_for(limit);
        tokio::pin!(silence);
        // The product takes a chunk every 8 s: 40 s without ever 10 s of silence.
        for _ in 0..5 {
            tokio::select! {
                () = &mut silence => panic!("a reading product timed out"),
                () = tokio::time::sleep(Duration::from_secs(8)) => {}
            }
            body.frame().await.expect("a chunk").expect("no error");
        }
        let stopped = Instant::now();
        silence.await;
        assert_eq!(stopped.elapsed(), limit);
    }
}
