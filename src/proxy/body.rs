//! The request body on its way to the product, watched for the product's silence: the product is "too slow"
//! when it has neither asked for more of the body nor answered for the configured time. A long upload to a
//! product that keeps reading is therefore never cut short, and one that stops reading is.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// When the product last asked for request body (or when the exchange began).
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last: AtomicU64,
}

impl Activity {
    /// Activity starting at `start` (when the exchange began).
    pub fn since(start: Instant) -> Arc<Self> {
        Arc::new(Activity {
            start,
            last: AtomicU64::new(0),
        })
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    /// The last moment the product showed it was working.
    pub fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// A body that touches its [`Activity`] whenever it is polled, which hyper does only when the product
/// connection can take more. One clock read per poll: a frame that is ready was asked for at the same moment.
#[derive(Debug)]
pub struct Watched<B> {
    inner: B,
    activity: Arc<Activity>,
}

impl<B> Watched<B> {
    /// Watch `inner`.
    pub fn new(inner: B, activity: Arc<Activity>) -> Self {
        Watched { inner, activity }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Watched<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.activity.touch();
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
