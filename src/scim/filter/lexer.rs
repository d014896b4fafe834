//! Tokens of the RFC 7644 §3.4.2.2 filter grammar: parentheses, brackets, words (attribute paths, operators,
//! keywords, `true`/`false`/`null`), JSON strings and JSON numbers.
//!
//! Which word is a keyword is the parser's business: it depends on position. The lexer enforces the one spacing
//! rule the grammar's `SP` needs in practice: two words, strings or numbers may not touch (`eq"x"`, `"x"and`).
//! Strings are decoded here (RFC 7644 §3.4.2.2: "compValue = ... string", a JSON string per RFC 7159 §7), with
//! every JSON escape including surrogate pairs.

use super::FilterError;
use serde_json::Number;
use std::str::FromStr;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A maximal run of characters other than whitespace, `(`, `)`, `[`, `]` and `"`, not starting with a digit
    /// or `-`. Its text is `src[start..end]`.
    Word,
    Str(String),
    Num(Number),
    End,
}

/// A token and where it is; `start`/`end` are byte indices into the source.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
    /// Whitespace comes right before the token.
    pub spaced: bool,
}

pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// The previous token was a word, string or number.
    prev_atom: bool,
}

/// Longest token text quoted in an error.
const QUOTE_MAX: usize = 40;

impl<'a> Lexer<'a> {
    /// A lexer over `src` starting at byte `pos` (a char boundary).
    pub fn new(src: &'a str, pos: usize) -> Self {
        Lexer {
            src,
            pos,
            prev_atom: false,
        }
    }

    pub fn next_token(&mut self) -> Result<Token, FilterError> {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start_matches(is_space);
        let spaced = trimmed.len() < rest.len();
        let start = self.src.len() - trimmed.len();
        self.pos = start;
        let Some(c) = trimmed.chars().next() else {
            return Ok(Token {
                tok: Tok::End,
                start,
                end: start,
                spaced,
            });
        };
        let punct = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            _ => None,
        };
        if let Some(tok) = punct {
            self.pos = start + 1;
            self.prev_atom = false;
            return Ok(Token {
                tok,
                start,
                end: start + 1,
                spaced,
            });
        }
        let tok = if c == '"' {
            Tok::Str(self.string(start)?)
        } else if c == '-' || c.is_ascii_digit() {
            self.number(start)?
        } else {
            self.pos = start + trimmed.find(is_delimiter).unwrap_or(trimmed.len());
            Tok::Word
        };
        if self.prev_atom && !spaced {
            return Err(FilterError::MissingSpace {
                found: self.quote(start, self.pos),
                at: self.offset(start),
            });
        }
        self.prev_atom = true;
        Ok(Token {
            tok,
            start,
            end: self.pos,
            spaced,
        })
    }

    /// The source text of a token, cut to [`QUOTE_MAX`] characters for error messages.
    pub fn quote(&self, start: usize, end: usize) -> String {
        self.src[start..end].chars().take(QUOTE_MAX).collect()
    }

    /// The character offset of byte index `byte`.
    pub fn offset(&self, byte: usize) -> usize {
        char_offset(self.src, byte)
    }

    /// A JSON number: the run of word characters must parse as a finite serde_json number.
    fn number(&mut self, start: usize) -> Result<Tok, FilterError> {
        let rest = &self.src[start..];
        let len = rest.find(is_delimiter).unwrap_or(rest.len());
        self.pos = start + len;
        let text = &rest[..len];
        let bad = || FilterError::BadNumber {
            found: self.quote(start, start + len),
            at: self.offset(start),
        };
        // serde_json enforces the RFC 8259 number grammar (no "01", "1.", ".5", "+1") and rejects infinities.
        let n = Number::from_str(text).map_err(|_| bad())?;
        if n.is_f64() {
            // serde_json's float parsing may be off by one ULP without its `float_roundtrip` feature; std's is exact,
            // so canonical text parses back to the same number.
            return text
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Tok::Num)
                .ok_or_else(bad);
        }
        Ok(Tok::Num(n))
    }

    /// Decode the JSON string whose opening quote is at byte `start`.
    fn string(&mut self, start: usize) -> Result<String, FilterError> {
        let body = start + 1;
        let mut out = String::new();
        let mut chars = self.src[body..].char_indices();
        while let Some((i, c)) = chars.next() {
            let at = body + i;
            match c {
                '"' => {
                    self.pos = at + 1;
                    return Ok(out);
                }
                '\\' => {
                    let escaped = match chars.next() {
                        Some((_, '"')) => '"',
                        Some((_, '\\')) => '\\',
                        Some((_, '/')) => '/',
                        Some((_, 'b')) => '\u{8}',
                        Some((_, 'f')) => '\u{c}',
                        Some((_, 'n')) => '\n',
                        Some((_, 'r')) => '\r',
                        Some((_, 't')) => '\t',
                        Some((_, 'u')) => self.unicode_escape(&mut chars, at)?,
                        Some(_) => {
                            return Err(self.bad_string(
                                at,
                                "invalid escape; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                            ));
                        }
                        None => break,
                    };
                    out.push(escaped);
                }
                c if u32::from(c) < 0x20 => return Err(self.bad_string(at, "control characters must be escaped")),
                c => out.push(c),
            }
        }
        Err(self.bad_string(start, "unterminated string; expected a closing '\"'"))
    }

    /// After `\u`: four hex digits, and for a high surrogate a second `\uXXXX` with the low surrogate.
    fn unicode_escape(&self, chars: &mut std::str::CharIndices<'_>, at: usize) -> Result<char, FilterError> {
        let high = self.hex4(chars, at)?;
        let code = match high {
            0xD800..=0xDBFF => {
                let backslash = chars.next().map(|(_, c)| c);
                let u = chars.next().map(|(_, c)| c);
                if backslash != Some('\\') || u != Some('u') {
                    return Err(self.bad_string(at, "unpaired surrogate in \\u escape"));
                }
                let low = self.hex4(chars, at)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(self.bad_string(at, "unpaired surrogate in \\u escape"));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.bad_string(at, "unpaired surrogate in \\u escape")),
            code => code,
        };
        char::from_u32(code).ok_or_else(|| self.bad_string(at, "invalid \\u escape"))
    }

    fn hex4(&self, chars: &mut std::str::CharIndices<'_>, at: usize) -> Result<u32, FilterError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = chars.next().and_then(|(_, c)| c.to_digit(16));
            let Some(digit) = digit else {
                return Err(self.bad_string(at, "\\u must be followed by four hex digits"));
            };
            code = code * 16 + digit;
        }
        Ok(code)
    }

    fn bad_string(&self, byte: usize, reason: &'static str) -> FilterError {
        FilterError::BadString {
            at: self.offset(byte),
            reason,
        }
    }
}

/// Whitespace between tokens: RFC 7644 uses SP; tabs and line breaks are tolerated too.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Characters that end a word or number.
fn is_delimiter(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// The character offset of byte index `byte` (a char boundary) in `src`.
pub(super) fn char_offset(src: &str, byte: usize) -> usize {
    src.get(..byte).map_or(byte, |s| s.chars().count())
}
