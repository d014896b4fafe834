//! Query strings of the list endpoints: strict `application/x-www-form-urlencoded` pairs.
//!
//! `+` means a space and `%XX` a byte, so a literal `+` (as in `ada+test@example.com`) must be sent as `%2B`.
//! Unknown and repeated parameters are refused with 400, as a strict legacy API would.

use percent_encoding::percent_decode_str;

use crate::sample::error::ApiError;
use crate::sample::store::Page;

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

    /// The `page` and `per_page` parameters.
    pub fn page(&self) -> Result<Page, ApiError> {
        Page::parse(self.get("page"), self.get("per_page"))
    }
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
    fn empty_query_gives_default_page() {
        let query = Query::parse(Some(""), &["page"]).expect("empty query is valid");
        assert_eq!(query.page(), Ok(Page::default()));
    }
}
