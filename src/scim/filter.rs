//! SCIM filters: the `filter` query parameter and the value filters of PATCH paths (RFC 7644 §3.4.2.2).
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"
//! valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER
//! compValue = false / null / true / number / string
//! compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "lt" / "ge" / "le"
//! ```
//!
//! RFC 7644 §3.4.2.2: "Attribute names and attribute operators used in filters are case insensitive", and "the
//! 'not' operator has the highest precedence, followed by 'and', then 'or'" (both left-associative here). This
//! module owns the syntax tree, its canonical text ([`fmt::Display`], which parses back to an equal tree) and the
//! conversion of its errors to `400 invalidFilter`. Parsing lives in `filter/parse.rs` (tokens in
//! `filter/lexer.rs`), evaluation against a rendered resource in `filter/eval.rs`, attribute types in
//! `filter/types.rs`. Pushing filters down to a product is left to the mapping layer.
//!
//! Leniencies beyond the ABNF, each kept because clients send it:
//! - `not(title pr)` without a space, and `(a pr)and(b pr)`: whitespace is required only between two words,
//!   strings or numbers, never next to a parenthesis or bracket; extra whitespace is ignored.
//! - `emails[type eq "work"].value eq "x"` (Entra and others put a sub-attribute after a value path inside a
//!   filter, which only PATCH paths allow): read as `emails[type eq "work" and value eq "x"]`, i.e.
//!   `ValuePath(emails, And(type eq "work", value eq "x"))`.
//!
//! `not` is a keyword only when a `(` follows it; elsewhere it is an attribute name, as are `and`, `or` and `pr` in
//! attribute position.

use crate::scim::error::{Error, ScimType};
use crate::scim::path::{AttrPath, PathError};
use std::fmt;

mod eval;
mod lexer;
mod parse;
mod types;

#[cfg(test)]
mod tests;

pub use types::{AttrKind, AttrMeta, AttrTypes, CoreTypes};

/// A parsed filter. Attribute paths inside a [`Filter::ValuePath`] are relative to the multi-valued attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both sub-filters match.
    And(Box<Filter>, Box<Filter>),
    /// At least one sub-filter matches.
    Or(Box<Filter>, Box<Filter>),
    /// The sub-filter does not match.
    Not(Box<Filter>),
    /// `attrPath pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `attrPath op value`.
    Compare(AttrPath, CompareOp, CompValue),
    /// attrPath "[" valFilter "]" — e.g. emails[type eq "work" and value co "@example.com"]
    ValuePath(AttrPath, Box<Filter>),
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal to.
    Le,
}

/// A comparison value: a JSON string, number, `true`, `false` or `null`. A dateTime is a string; the evaluator
/// reads it as one when the attribute is a dateTime.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// A JSON string, unescaped.
    Str(String),
    /// A JSON number.
    Num(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Bounds on what the parser accepts, so a hostile filter cannot exhaust memory or stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted input, in characters; checked before parsing. `and`/`or` chains are not nesting, so the
    /// tree's height (walked recursively by `Display`, [`Filter::matches`] and drop) grows with this bound: about
    /// one level per 8 characters.
    pub max_len: usize,
    /// Deepest accepted nesting; each `(`, `not (` and `[` is one level.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_len: 4096,
            max_depth: 32,
        }
    }
}

/// Why a filter is malformed. Offsets are 0-based character offsets into the filter text.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// The input is longer than [`Limits::max_len`].
    #[error("filter is {len} characters long; the limit is {max}")]
    TooLong {
        /// Length of the input in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Parentheses, `not` and value paths nest deeper than [`Limits::max_depth`].
    #[error("filter nests deeper than {max} levels at offset {at}")]
    TooDeep {
        /// The limit.
        max: usize,
        /// Where the first level too many opens.
        at: usize,
    },
    /// A token the grammar does not allow at this point.
    #[error("unexpected {found:?} at offset {at}; expected {expected}")]
    Unexpected {
        /// The token's text (at most 40 characters).
        found: String,
        /// Where it starts.
        at: usize,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// The input ends where the grammar needs more.
    #[error("unexpected end of filter at offset {at}; expected {expected}")]
    UnexpectedEnd {
        /// The length of the input.
        at: usize,
        /// What the grammar needs here.
        expected: &'static str,
    },
    /// Two words, strings or numbers touch: `eq"x"`, `"x"and`.
    #[error("missing whitespace before {found:?} at offset {at}")]
    MissingSpace {
        /// The second token's text (at most 40 characters).
        found: String,
        /// Where it starts.
        at: usize,
    },
    /// A string literal is not a valid JSON string.
    #[error("invalid string at offset {at}: {reason}")]
    BadString {
        /// Where the problem is (the opening quote for an unterminated string).
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A number literal is not a valid (finite) JSON number.
    #[error("invalid number {found:?} at offset {at}; expected a JSON number")]
    BadNumber {
        /// The literal (at most 40 characters).
        found: String,
        /// Where it starts.
        at: usize,
    },
    /// An attribute path is malformed.
    #[error("invalid attribute path {found:?} at offset {at}: {source}")]
    BadPath {
        /// The path's text (at most 40 characters).
        found: String,
        /// Where it starts.
        at: usize,
        /// What is wrong with it.
        source: PathError,
    },
    /// A value path inside a value path; RFC 7644's valFilter has no valuePath.
    #[error("value paths cannot nest: \"[\" at offset {at} is inside another \"[...]\"")]
    NestedValuePath {
        /// Where the inner `[` is.
        at: usize,
    },
}

impl From<FilterError> for Error {
    fn from(e: FilterError) -> Self {
        Error::bad_request(ScimType::InvalidFilter, e.to_string())
    }
}

// === impl Filter ===

impl Filter {
    /// Parse a filter with the default [`Limits`].
    pub fn parse(s: &str) -> Result<Filter, FilterError> {
        parse::filter(s, &Limits::default())
    }

    /// Parse a filter with the given limits.
    pub fn parse_with(s: &str, limits: &Limits) -> Result<Filter, FilterError> {
        parse::filter(s, limits)
    }

    /// Does the SCIM resource (a serde_json object as the gateway renders it) match?
    pub fn matches(&self, resource: &serde_json::Value, types: &dyn AttrTypes) -> bool {
        eval::matches(self, resource, None, types)
    }

    /// Write `self`, parenthesised if it binds looser than `min` (1 = or, 2 = and, 3 = everything else).
    fn write_prec(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        let own = match self {
            Filter::Or(..) => 1,
            Filter::And(..) => 2,
            Filter::Not(_) | Filter::Present(_) | Filter::Compare(..) | Filter::ValuePath(..) => 3,
        };
        if own < min {
            f.write_str("(")?;
        }
        match self {
            // Left-associative: the left operand may be the same operator unparenthesised, the right may not.
            Filter::Or(a, b) => {
                a.write_prec(f, 1)?;
                f.write_str(" or ")?;
                b.write_prec(f, 2)?;
            }
            Filter::And(a, b) => {
                a.write_prec(f, 2)?;
                f.write_str(" and ")?;
                b.write_prec(f, 3)?;
            }
            Filter::Not(a) => write!(f, "not ({a})")?,
            Filter::Present(path) => write!(f, "{path} pr")?,
            Filter::Compare(path, op, value) => write!(f, "{path} {op} {value}")?,
            Filter::ValuePath(path, inner) => write!(f, "{path}[{inner}]")?,
        }
        if own < min {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Canonical text: lower-case keywords, single spaces, parentheses only where precedence needs them, strings
/// JSON-escaped. `Filter::parse(&f.to_string())` gives back `f`.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_prec(f, 1)
    }
}

/// Parse the valFilter of a PATCH path: `src[open..]` is the text after `[`. Returns the filter and the byte index
/// just past the closing `]`. Offsets in errors count from the start of `src`.
pub(crate) fn parse_value_filter(src: &str, open: usize) -> Result<(Filter, usize), FilterError> {
    parse::value_filter(src, open, &Limits::default())
}

/// Read an xsd:dateTime as the evaluator does: RFC 3339, or without an offset as UTC. Sorting orders dateTimes
/// with it.
pub(crate) fn parse_date_time(s: &str) -> Option<time::OffsetDateTime> {
    eval::parse_date_time(s)
}

// === impl CompareOp ===

impl CompareOp {
    /// Every operator, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The operator for a keyword, ignoring case (`Eq` → `eq`).
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// The lower-case keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl CompValue ===

/// JSON text: strings quoted and escaped, `true`, `false`, `null`, numbers as serde_json writes them.
impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Str(s) => write_json_string(f, s),
            CompValue::Num(n) => write!(f, "{n}"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Null => f.write_str("null"),
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}
