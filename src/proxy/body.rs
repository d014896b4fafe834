//! The request body on its way to the product, watched for the product's silence: the product is "too slow"
//! when it has neither asked for more of the body nor answered for the configured time. A long upload to a
//! product that keeps reading is therefore never cut short, and one that stops reading is.

use super::silence::Activity;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A body that notes progress in its exchange's [`Activity`] whenever it is polled, which hyper does only when
/// the product connection can take more.
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};
    use std::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn each_read_of_the_body_restarts_the_products_silence() {
        let limit = Duration::from_secs(10);
        let activity = Arc::new(Activity::since(Instant::now()));
        let chunks = (0..5).map(|_| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(b"x"))));
        let mut body = Watched::new(StreamBody::new(futures_util::stream::iter(chunks)), activity.clone());
        let silence = activity.silent_for(limit);
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
