//! Locks over data that stays consistent at every step, so that a panic while one was held leaves nothing to
//! repair: the lock is taken whether or not it was poisoned.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// `mutex`, locked, poisoned or not.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
