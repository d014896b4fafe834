//! The request body on its way to the product, watched for the product's silence: the product is "too slow"
//! when it has neither asked for more of the body nor answered for the configured time. A long upload to a
//! product that keeps reading is therefore never cut short, and one that stops reading is.

use crate::deadline::Postponer;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A body that postpones the exchange's deadline whenever it is polled, which hyper does only when the product
/// connection can take more. No clock is read: the deadline moves to the configured time after the last sweep.
#[derive(Debug)]
pub struct Watched<B> {
    inner: B,
    progress: Postponer,
}

impl<B> Watched<B> {
    /// Watch `inner`.
    pub fn new(inner: B, progress: Postponer) -> Self {
        Watched { inner, progress }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Watched<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        self.progress.postpone();
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
