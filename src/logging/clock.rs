//! The log line's timestamp: UTC with microseconds, `2026-11-24T20:01:40.146224Z`, the text tracing-subscriber's
//! `SystemTime` writes. The date and time of day change once a second, so each thread keeps the
//! `2026-11-24T20:01:40.` of the current second and a line writes only its six digits of microseconds.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime as _;

thread_local! {
    /// The Unix second last written on this thread, and its `YYYY-MM-DDTHH:MM:SS.`.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// Append the current time.
pub(super) fn push_now(out: &mut String) {
    push_at(out, SystemTime::now());
}

/// Append `at`.
fn push_at(out: &mut String, at: SystemTime) {
    let Ok(since) = at.duration_since(UNIX_EPOCH) else {
        return fallback(out);
    };
    let second = since.as_secs();
    let cached = SECOND.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return false;
        };
        if cache.0 != second {
            let Some(prefix) = prefix(second) else {
                return false;
            };
            *cache = (second, prefix);
        }
        out.push_str(&cache.1);
        true
    });
    if !cached {
        return fallback(out);
    }
    let micros = since.subsec_micros();
    for power in [100_000, 10_000, 1_000, 100, 10, 1] {
        // A digit: below 10.
        out.push(char::from(b'0' + (micros / power % 10) as u8));
    }
    out.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS.` of a Unix second, for the years tracing-subscriber writes with four digits.
fn prefix(second: u64) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(second).ok()?).ok()?;
    if at.year() > 9999 {
        return None;
    }
    let mut text = String::with_capacity(20);
    for (number, width, then) in [
        (at.year().unsigned_abs(), 4, '-'),
        (u32::from(u8::from(at.month())), 2, '-'),
        (u32::from(at.day()), 2, 'T'),
        (u32::from(at.hour()), 2, ':'),
        (u32::from(at.minute()), 2, ':'),
        (u32::from(at.second()), 2, '.'),
    ] {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(number);
        text.extend(std::iter::repeat_n('0', width - digits.len().min(width)));
        text.push_str(digits);
        text.push(then);
    }
    Some(text)
}

/// Before 1970 or after 9999: tracing-subscriber writes it (the clock of a running gateway is never there).
fn fallback(out: &mut String) {
    let _ = tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(out));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(second: u64, nanos: u32) -> String {
        let mut out = String::new();
        push_at(&mut out, UNIX_EPOCH + Duration::new(second, nanos));
        out
    }

    #[test]
    fn writes_utc_with_microseconds() {
        // Expected values from `date -u -d @SECOND`.
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 1_000), "2000-02-29T00:00:00.000001Z");
        assert_eq!(at(1_709_251_199, 999_999_999), "2024-02-29T23:59:59.999999Z");
        assert_eq!(at(1_709_251_200, 146_224_000), "2024-03-01T00:00:00.146224Z");
        assert_eq!(at(1_735_689_599, 500_000_000), "2024-12-31T23:59:59.500000Z");
        assert_eq!(at(1_798_761_600, 42_000), "2027-01-01T00:00:00.000042Z");
        assert_eq!(at(4_107_542_399, 0), "2100-02-28T23:59:59.000000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        assert_eq!(at(253_402_300_799, 123_456_789), "9999-12-31T23:59:59.123456Z");
    }

    #[test]
    fn the_cached_second_gives_way_to_the_next() {
        assert_eq!(at(1_709_251_199, 0), "2024-02-29T23:59:59.000000Z");
        assert_eq!(at(1_709_251_199, 7_000), "2024-02-29T23:59:59.000007Z");
        assert_eq!(at(1_709_251_200, 0), "2024-03-01T00:00:00.000000Z");
        assert_eq!(at(1_709_251_199, 0), "2024-02-29T23:59:59.000000Z");
    }

    #[test]
    fn matches_tracing_subscribers_own_text() {
        // The two clocks are read one after the other; a second may tick in between, so try a few times.
        let agree = (0..5).any(|_| {
            let mut ours = String::new();
            push_now(&mut ours);
            let mut theirs = String::new();
            tracing_subscriber::fmt::time::SystemTime
                .format_time(&mut Writer::new(&mut theirs))
                .expect("format");
            ours.len() == theirs.len() && ours[..20] == theirs[..20] && ours.ends_with('Z')
        });
        assert!(agree);
    }

    #[test]
    fn outside_four_digit_years_falls_back() {
        let before = at(0, 0);
        let mut text = String::new();
        push_at(&mut text, UNIX_EPOCH - Duration::from_secs(1));
        // Written by tracing-subscriber from the current time: still a timestamp.
        assert!(text.ends_with('Z') && text.len() == before.len(), "{text}");
    }
}
