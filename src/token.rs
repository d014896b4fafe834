//! Bearer tokens: their SHA-256 digest (what the config holds and what a presented token is compared by) and the
//! making of new ones. Tenants hold digests; `auth` compares them; neither tokens nor digests are ever logged.

use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// SHA-256 of a bearer token; the token itself is never stored or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

impl TokenHash {
    /// Digest of a presented token.
    pub fn of(token: &str) -> Self {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// Parse the config form `sha256:<64 hex>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let hex_part = text.strip_prefix("sha256:").ok_or("expected \"sha256:<64 hex>\"")?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| "expected \"sha256:<64 hex>\"".to_owned())?;
        Ok(TokenHash(bytes))
    }

    /// The config form `sha256:<64 hex>`.
    pub fn to_config(&self) -> String {
        format!("sha256:{}", hex::encode(self.0))
    }

    /// Whether two digests are equal, in time that does not depend on where they differ.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// A fresh token: 32 random bytes from the OS generator, hex-encoded with a recognisable prefix.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("scimgate_{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_form_round_trips() {
        let h = TokenHash::of("abc");
        assert_eq!(TokenHash::parse(&h.to_config()).unwrap(), h);
        // SHA-256("abc"), a published test vector.
        assert_eq!(
            h.to_config(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_digests_are_refused() {
        assert!(TokenHash::parse("ba7816bf").is_err());
        assert!(TokenHash::parse("sha256:zz").is_err());
        assert!(TokenHash::parse("sha256:ba7816bf").is_err());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), "scimgate_".len() + 64);
    }

    #[test]
    fn debug_hides_the_digest() {
        assert_eq!(format!("{:?}", TokenHash::of("x")), "TokenHash(…)");
    }
}
