//! Base64 (RFC 4648) for the uuid shape: the standard alphabet of HTTP Basic credentials (§4) and the URL-safe,
//! unpadded alphabet of its opaque list cursors (§5), through the `base64` crate's strict engines (non-canonical
//! text is refused).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Which RFC 4648 alphabet, and whether `=` padding is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// §4: `+` and `/`, padded.
    Standard,
    /// §5: `-` and `_`, unpadded.
    UrlSafe,
}

/// Encodes `bytes`.
pub fn encode(bytes: &[u8], alphabet: Alphabet) -> String {
    match alphabet {
        Alphabet::Standard => STANDARD.encode(bytes),
        Alphabet::UrlSafe => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// Decodes canonical `text` (what [`encode`] would write); `None` for anything else.
pub fn decode(text: &str, alphabet: Alphabet) -> Option<Vec<u8>> {
    let bytes = match alphabet {
        Alphabet::Standard => STANDARD.decode(text),
        Alphabet::UrlSafe => URL_SAFE_NO_PAD.decode(text),
    }
    .ok()?;
    (encode(&bytes, alphabet) == text).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_test_vectors() {
        // RFC 4648 §10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes(), Alphabet::Standard), encoded);
            assert_eq!(decode(encoded, Alphabet::Standard), Some(plain.as_bytes().to_vec()));
            let url = encoded.trim_end_matches('=');
            assert_eq!(encode(plain.as_bytes(), Alphabet::UrlSafe), url);
            assert_eq!(decode(url, Alphabet::UrlSafe), Some(plain.as_bytes().to_vec()));
        }
    }

    #[test]
    fn url_safe_alphabet_differs_and_non_canonical_text_is_refused() {
        assert_eq!(encode(&[0xfb, 0xff], Alphabet::Standard), "+/8=");
        assert_eq!(encode(&[0xfb, 0xff], Alphabet::UrlSafe), "-_8");
        for bad in ["Zg", "Zh==", "Z===", "Zm9v!", "-_8="] {
            assert_eq!(decode(bad, Alphabet::Standard), None, "{bad}");
        }
        assert_eq!(decode("Zg==", Alphabet::UrlSafe), None);
    }
}
