//! Attribute paths: the names a filter compares, a PATCH operation targets and `attributes` lists.
//!
//! RFC 7644 §3.4.2.2 (ABNF of the filter grammar, also used by §3.5.2):
//!
//! ```text
//! ATTRNAME  = ALPHA *(nameChar)
//! nameChar  = "-" / "_" / DIGIT / ALPHA
//! attrPath  = [URI ":"] ATTRNAME *1subAttr
//! subAttr   = "." ATTRNAME
//! ```
//!
//! This module owns the syntax only; PATCH paths, which add value filters, are [`crate::scim::patch_path`]'s. Which
//! attributes exist, and what a path selects inside a resource, belongs to the filter evaluator
//! ([`crate::scim::filter`]) and to PATCH. Names keep the case they were written in; comparison
//! is case-insensitive (RFC 7643 §2.1: "Attribute names are case insensitive").
//!
//! A schema URN is recognised only when the path starts with `urn:` (any case); it is everything up to the last
//! `:`. URNs contain dots (`...:enterprise:2.0:User`), so the path is split at the last `:` first and the attribute
//! part at `.` afterwards. Consequently a bare schema URN given as a path (`urn:...:enterprise:2.0:User`) parses as
//! schema `urn:...:enterprise:2.0`, name `User`; callers that accept whole-extension paths must check for that.
//! Besides ATTRNAME, `$ref` is accepted as a name, because RFC 7643 uses it (`members.$ref`).

use crate::scim::error::{Error, ScimType};
use std::fmt;

#[cfg(test)]
mod tests;

/// An attribute path: `[schema URN ":"] name ["." sub]`. Names compare case-insensitively (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub schema: Option<String>,
    /// The attribute name, e.g. `name` or `emails`.
    pub name: String,
    /// The sub-attribute name, e.g. `givenName` in `name.givenName`.
    pub sub: Option<String>,
}

/// Why an attribute path is malformed.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The path is the empty string.
    #[error("empty attribute path")]
    Empty,
    /// A name is not `ALPHA *(ALPHA / DIGIT / "-" / "_")` (nor `$ref`).
    #[error("invalid attribute name {found:?}; expected a letter followed by letters, digits, \"-\" or \"_\"")]
    BadName {
        /// The offending name.
        found: String,
    },
    /// The schema URN prefix is not `urn:<nid>:...` made of URN characters.
    #[error("invalid schema URN {found:?}; expected \"urn:\" followed by URN characters")]
    BadSchema {
        /// The offending URN.
        found: String,
    },
    /// More than one `.`: `a.b.c`. SCIM complex attributes have one level of sub-attributes (RFC 7643 §2.3.8).
    #[error("attribute path {found:?} has more than one sub-attribute; expected name or name.subAttribute")]
    TooManyLevels {
        /// The offending attribute part.
        found: String,
    },
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Error::bad_request(ScimType::InvalidPath, e.to_string())
    }
}

// === impl AttrPath ===

impl AttrPath {
    /// Parse `[URN ":"] ATTRNAME ["." ATTRNAME]`. No whitespace is allowed anywhere.
    pub fn parse(s: &str) -> Result<AttrPath, PathError> {
        if s.is_empty() {
            return Err(PathError::Empty);
        }
        let (schema, attr) = split_schema(s)?;
        let (name, sub) = match attr.split_once('.') {
            None => (attr, None),
            Some((name, sub)) if sub.contains('.') && is_attr_name(name) => {
                return Err(PathError::TooManyLevels {
                    found: format!("{name}.{sub}"),
                });
            }
            Some((name, sub)) => (name, Some(sub)),
        };
        let name = checked_name(name)?;
        let sub = sub.map(checked_name).transpose()?;
        Ok(AttrPath {
            schema: schema.map(str::to_owned),
            name,
            sub,
        })
    }

    /// A path with just a name, no schema, no sub-attribute. The name is not validated.
    pub fn simple(name: &str) -> AttrPath {
        AttrPath {
            schema: None,
            name: name.to_owned(),
            sub: None,
        }
    }

    /// True when `self` names the same attribute as `other`, ignoring case. A missing schema matches any schema
    /// (core or extension): schemas are compared only if both paths have one.
    pub fn same_attr(&self, other: &AttrPath) -> bool {
        let schema_ok = match (&self.schema, &other.schema) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, Some(_)) | (Some(_), None) | (None, None) => true,
        };
        let sub_ok = match (&self.sub, &other.sub) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            (None, Some(_)) | (Some(_), None) => false,
        };
        schema_ok && sub_ok && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// Split off the schema URN: everything up to the last `:` when `s` starts with `urn:` (any case).
fn split_schema(s: &str) -> Result<(Option<&str>, &str), PathError> {
    let is_urn = s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if !is_urn {
        return Ok((None, s));
    }
    let Some((urn, attr)) = s.rsplit_once(':') else {
        return Ok((None, s));
    };
    // "urn:" + a namespace id, then at least one more ':' separated part.
    let valid = urn.len() > 4 && urn[4..].contains(':') && !urn.ends_with(':') && urn.chars().all(is_urn_char);
    if valid {
        Ok((Some(urn), attr))
    } else {
        Err(PathError::BadSchema { found: urn.to_owned() })
    }
}

/// RFC 8141 URN characters, minus the parentheses that delimit filter groups.
fn is_urn_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~%!$&'*+,;=:@/".contains(c)
}

pub(crate) fn checked_name(name: &str) -> Result<String, PathError> {
    if is_attr_name(name) {
        Ok(name.to_owned())
    } else {
        Err(PathError::BadName { found: name.to_owned() })
    }
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`; also `$ref` (RFC 7643 §2.3.7).
pub(crate) fn is_attr_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (first_ok && rest_ok) || name.eq_ignore_ascii_case("$ref")
}
