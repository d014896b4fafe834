//! The uuid shape's opaque list cursors: URL-safe, unpadded base64 of `<collection>:<position>`, where the position is
//! the product's internal sequence number of the last object on the previous page.
//!
//! Clients must treat a cursor as opaque; one that does not decode, or belongs to another collection, is a 400.

use crate::sample::api::base64::{Alphabet, decode, encode};
use crate::sample::error::ApiError;

/// Where the next page of one collection starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The collection, `users` or `teams`.
    pub collection: &'static str,
    /// The sequence number of the last object already returned.
    pub after: u64,
}

impl Cursor {
    /// The cursor as clients see it.
    pub fn encode(self) -> String {
        encode(
            format!("{}:{}", self.collection, self.after).as_bytes(),
            Alphabet::UrlSafe,
        )
    }

    /// Reads a cursor of `collection`; 400 for anything [`Cursor::encode`] did not make.
    pub fn parse(collection: &'static str, text: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::Invalid(format!("invalid cursor {text:?}"));
        let bytes = decode(text, Alphabet::UrlSafe).ok_or_else(invalid)?;
        let plain = String::from_utf8(bytes).map_err(|_| invalid())?;
        let after = plain
            .strip_prefix(collection)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(crate::sample::api::query::decimal)
            .ok_or_else(invalid)?;
        Ok(Cursor { collection, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_stays_url_safe() {
        let cursor = Cursor {
            collection: "users",
            after: 1234567,
        };
        let text = cursor.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Cursor::parse("users", &text), Ok(cursor));
    }

    #[test]
    fn garbage_and_foreign_cursors_are_invalid() {
        let teams = Cursor {
            collection: "teams",
            after: 3,
        }
        .encode();
        for bad in [teams.as_str(), "!!", "dXNlcnM6", "dXNlcnM6LTE", "bm9wZQ"] {
            assert!(
                matches!(Cursor::parse("users", bad), Err(ApiError::Invalid(_))),
                "{bad:?} was accepted"
            );
        }
    }
}
