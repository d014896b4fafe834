//! PATCH paths (RFC 7644 §3.5.2): `PATH = attrPath / valuePath [subAttr]`, an attribute path or a value filter
//! selecting elements of a multi-valued attribute, with the sub-attribute after it: `emails[type eq "work"].value`,
//! `members[value eq "42"]`, `name.givenName`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.
//!
//! The attribute path is [`crate::scim::path`]'s, the value filter [`crate::scim::filter`]'s; this module puts them
//! together. What a path selects inside a resource belongs to PATCH.

use crate::scim::error::{Error, ScimType};
use crate::scim::filter::{self, Filter, FilterError};
use crate::scim::path::{AttrPath, PathError, checked_name};
use std::fmt;

#[cfg(test)]
mod tests;

/// A PATCH path: attrPath, or valuePath with an optional trailing sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute the path starts at (`emails` in `emails[type eq "work"].value`).
    pub attr: AttrPath,
    /// The value filter selecting elements of a multi-valued attribute (`type eq "work"`), relative to `attr`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the value filter (`value` in `emails[type eq "work"].value`).
    pub sub: Option<String>,
}

/// Why a PATCH path is malformed.
#[derive(Debug, thiserror::Error)]
pub enum PatchPathError {
    /// The attribute path, or the sub-attribute after the value filter, is malformed.
    #[error(transparent)]
    Attr(#[from] PathError),
    /// Something other than `.subAttr` or the end follows the `]` of a value filter.
    #[error("unexpected {found:?} at offset {at}; expected {expected}")]
    Unexpected {
        /// The text found (at most 40 characters).
        found: String,
        /// Character offset from the start of the path.
        at: usize,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// The value filter between `[` and `]` is malformed; offsets count from the start of the path.
    #[error("invalid value filter in path: {0}")]
    Filter(#[source] Box<FilterError>),
}

impl From<PatchPathError> for Error {
    fn from(e: PatchPathError) -> Self {
        Error::bad_request(ScimType::InvalidPath, e.to_string())
    }
}

// === impl PatchPath ===

impl PatchPath {
    /// Parse `attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2). The value filter follows the filter grammar
    /// without nested value paths; offsets in errors count from the start of `s`.
    pub fn parse(s: &str) -> Result<PatchPath, PatchPathError> {
        let Some(open) = s.find('[') else {
            return Ok(PatchPath {
                attr: AttrPath::parse(s)?,
                filter: None,
                sub: None,
            });
        };
        let attr = AttrPath::parse(&s[..open])?;
        let (value_filter, end) =
            filter::parse_value_filter(s, open + 1).map_err(|e| PatchPathError::Filter(Box::new(e)))?;
        let rest = &s[end..];
        let sub = if rest.is_empty() {
            None
        } else if let Some(name) = rest.strip_prefix('.') {
            Some(checked_name(name)?)
        } else {
            return Err(PatchPathError::Unexpected {
                found: rest.chars().take(40).collect(),
                at: s[..end].chars().count(),
                expected: "\".\" and a sub-attribute name, or the end of the path",
            });
        };
        Ok(PatchPath {
            attr,
            filter: Some(value_filter),
            sub,
        })
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(value_filter) = &self.filter {
            write!(f, "[{value_filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
