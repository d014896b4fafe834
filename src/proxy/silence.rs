//! The pass-through's silence clock: when an exchange last showed progress (the product asking for more request
//! body, a tunnel moving bytes either way), and a future that resolves once it has shown none for a given time.
//! One tokio timer per exchange, reset when it finds there was progress since it was armed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// When an exchange last showed progress.
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    /// Nanoseconds after `start`.
    last: AtomicU64,
}

impl Activity {
    /// Progress as of `start`, when the exchange began.
    pub fn since(start: Instant) -> Self {
        Activity {
            start,
            last: AtomicU64::new(0),
        }
    }

    /// Progress now.
    pub fn touch(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last.fetch_max(nanos, Ordering::Relaxed);
    }

    /// The last progress.
    fn last(&self) -> Instant {
        self.start + Duration::from_nanos(self.last.load(Ordering::Relaxed))
    }

    /// Resolves once there has been no progress for `limit`: the timer is armed for the last progress plus
    /// `limit`, and re-armed from the newer progress whenever it finds some when it fires.
    pub async fn silent_for(&self, limit: Duration) {
        let mut last = self.last();
        let timer = tokio::time::sleep_until(last + limit);
        tokio::pin!(timer);
        loop {
            timer.as_mut().await;
            let latest = self.last();
            if latest == last {
                return;
            }
            last = latest;
            timer.as_mut().reset(last + limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn silence_is_waited_out_while_there_is_progress_and_ends_a_limit_after_the_last() {
        let activity = Activity::since(Instant::now());
        let limit = Duration::from_secs(10);
        let silence = activity.silent_for(limit);
        tokio::pin!(silence);
        // Progress every 6 s for a minute: never 10 s of silence.
        for _ in 0..10 {
            tokio::select! {
                () = &mut silence => panic!("resolved while there was progress"),
                () = tokio::time::sleep(Duration::from_secs(6)) => activity.touch(),
            }
        }
        let silent_from = Instant::now();
        silence.await;
        let waited = silent_from.elapsed();
        assert!(waited >= limit && waited < limit + Duration::from_secs(1), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_progress_silence_ends_a_limit_after_the_start() {
        let start = Instant::now();
        let activity = Activity::since(start);
        tokio::time::sleep(Duration::from_secs(3)).await;
        activity.silent_for(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
