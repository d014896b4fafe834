//! Query strings of the list endpoints, in every shape: strict `application/x-www-form-urlencoded` pairs.
//!
//! `+` means a space and `%XX` a byte, so a literal `+` (as in `ada+test@example.com`) must be sent as `%2B`. Names
//! are decoded too, so the uuid shape's `filter[login][_eq]` may arrive as `filter%5Blogin%5D%5B_eq%5D`. Unknown and
//! repeated parameters are refused with 400, as a strict legacy API would.

use std::ops::RangeInclusive;

use percent_encoding::percent_decode_str;

use crate::sample::error::ApiError;

/// The decoded parameters of one query string.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `raw` (the part after `?`), accepting only the parameter names in `allowed`.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut query = Query::default();
        for piece in raw.unwrap_or("").split('&').filter(|piece| !piece.is_empty()) {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let (key, value) = (decode(key)?, decode(value)?);
            if !allowed.contains(&key.as_str()) {
                return Err(ApiError::Invalid(format!("unknown query parameter `{key}`")));
            }
            if query.get(&key).is_some() {
                return Err(ApiError::Invalid(format!(
                    "query parameter `{key}` is given more than once"
                )));
            }
            query.pairs.push((key, value));
        }
        Ok(query)
    }

    /// The value of a parameter, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    /// A decimal integer parameter within `range` (ASCII digits only), or `default` when absent; 400 otherwise.
    pub fn number(&self, key: &str, default: u64, range: RangeInclusive<u64>) -> Result<u64, ApiError> {
        let Some(text) = self.get(key) else {
            return Ok(default);
        };
        decimal(text).filter(|n| range.contains(n)).ok_or_else(|| {
            let expected = match (*range.start(), *range.end()) {
                (min, u64::MAX) => format!("an integer of at least {min}"),
                (min, max) => format!("an integer from {min} to {max}"),
            };
            ApiError::Invalid(format!("`{key}` must be {expected}, not {text:?}"))
        })
    }
}

/// A decimal integer, ASCII digits only (no sign, no spaces); `None` when it is not one or overflows.
pub fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn decode(text: &str) -> Result<String, ApiError> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| ApiError::Invalid(format!("query text {text:?} is not UTF-8 once decoded")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_encoding() {
        let query = Query::parse(
            Some("email=ada%2Btest%40example.com&name=Platform+Team"),
            &["email", "name"],
        );
        let query = query.expect("valid query");
        assert_eq!(query.get("email"), Some("ada+test@example.com"));
        assert_eq!(query.get("name"), Some("Platform Team"));
    }

    #[test]
    fn refuses_unknown_and_repeated_parameters() {
        assert!(matches!(
            Query::parse(Some("sort=id"), &["page"]),
            Err(ApiError::Invalid(_))
        ));
        assert!(matches!(
            Query::parse(Some("page=1&page=2"), &["page"]),
            Err(ApiError::Invalid(_))
        ));
    }

    #[test]
    fn numbers_take_defaults_and_respect_their_range() {
        let query = Query::parse(
            Some("limit=50&offset=0&big=99999999999999999999"),
            &["limit", "offset", "big"],
        );
        let query = query.expect("valid query");
        assert_eq!(query.number("limit", 25, 1..=50), Ok(50));
        assert_eq!(query.number("offset", 7, 0..=u64::MAX), Ok(0));
        assert_eq!(query.number("absent", 7, 0..=u64::MAX), Ok(7));
        assert!(query.number("limit", 25, 1..=49).is_err());
        assert!(query.number("big", 1, 1..=u64::MAX).is_err());
        for bad in ["-1", "+1", "1.0", "", " 1"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bracketed_names_are_decoded() {
        let query = Query::parse(Some("filter%5Blogin%5D%5B_eq%5D=ada"), &["filter[login][_eq]"]);
        assert_eq!(query.expect("valid").get("filter[login][_eq]"), Some("ada"));
    }
}
