//! Base64 (RFC 4648) for the uuid shape: the standard alphabet of HTTP Basic credentials (§4) and the URL-safe,
//! unpadded alphabet of its opaque list cursors (§5). Small enough not to warrant a dependency.

/// Which RFC 4648 alphabet, and whether `=` padding is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// §4: `+` and `/`, padded.
    Standard,
    /// §5: `-` and `_`, unpadded.
    UrlSafe,
}

impl Alphabet {
    fn chars(self) -> &'static [u8; 64] {
        match self {
            Alphabet::Standard => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            Alphabet::UrlSafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        }
    }
}

/// Encodes `bytes`.
pub fn encode(bytes: &[u8], alphabet: Alphabet) -> String {
    let chars = alphabet.chars();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (at, byte)| n | u32::from(*byte) << (16 - 8 * at));
        for at in 0..=chunk.len() {
            out.push(char::from(chars[(n >> (18 - 6 * at)) as usize & 63]));
        }
        if alphabet == Alphabet::Standard {
            out.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    out
}

/// Decodes `text`; `None` unless it is canonical in `alphabet` (padding exactly as [`encode`] writes it).
pub fn decode(text: &str, alphabet: Alphabet) -> Option<Vec<u8>> {
    let bytes = decode_lenient(text, alphabet)?;
    (encode(&bytes, alphabet) == text).then_some(bytes)
}

fn decode_lenient(text: &str, alphabet: Alphabet) -> Option<Vec<u8>> {
    let chars = alphabet.chars();
    let body = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in body.bytes() {
        let value = chars.iter().position(|x| *x == c)?;
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
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
