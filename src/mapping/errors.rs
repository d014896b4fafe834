//! The mapping's error rules (`[[mappings.NAME.errors]]`): a product answer (its status, the operation, and
//! optionally a value in its body) turned into the SCIM status and `scimType` the IdP gets. The first rule that
//! matches wins; an answer no rule matches goes through the built-in table (`api::Api::error`).

use super::pointer::Pointer;
use crate::scim::ScimType;
use http::StatusCode;
use serde_json::Value;

/// The product operation a call belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A listing (or a search, or a team's member listing).
    List,
    /// Reading one object.
    Get,
    /// Creating one.
    Create,
    /// Updating one (and (de)activation endpoints).
    Update,
    /// Deleting one (and the steps before it).
    Delete,
    /// Adding a member to a team.
    MemberAdd,
    /// Removing a member from a team.
    MemberRemove,
}

impl Operation {
    /// Every operation, with its config name.
    pub const NAMES: [(&'static str, Operation); 7] = [
        ("list", Operation::List),
        ("get", Operation::Get),
        ("create", Operation::Create),
        ("update", Operation::Update),
        ("delete", Operation::Delete),
        ("member_add", Operation::MemberAdd),
        ("member_remove", Operation::MemberRemove),
    ];

    /// The operation of a config name.
    pub fn parse(name: &str) -> Option<Operation> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }
}

/// What a rule tests in the product's error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyMatch {
    /// The value at the pointer is this text.
    Equals(Option<Pointer>, String),
    /// The value at the pointer (or the body's text) contains this text.
    Contains(Option<Pointer>, String),
}

/// One error rule.
#[derive(Debug, Clone)]
pub struct ErrorRule {
    /// Product statuses it applies to.
    pub statuses: Vec<StatusCode>,
    /// Operations it applies to; empty: all.
    pub operations: Vec<Operation>,
    /// What the body must hold, if anything.
    pub body: Option<BodyMatch>,
    /// The SCIM status.
    pub scim_status: StatusCode,
    /// The SCIM `scimType`.
    pub scim_type: Option<ScimType>,
}

impl ErrorRule {
    /// Whether the rule applies to this product answer of `op` (`None`: a call of no one operation, which only
    /// rules without `operation` match).
    pub fn matches(&self, status: StatusCode, op: Option<Operation>, body: &[u8]) -> bool {
        if !self.statuses.contains(&status) {
            return false;
        }
        if !self.operations.is_empty() && !op.is_some_and(|op| self.operations.contains(&op)) {
            return false;
        }
        match &self.body {
            None => true,
            Some(BodyMatch::Equals(pointer, text)) => value_text(pointer.as_ref(), body).is_some_and(|v| v == *text),
            Some(BodyMatch::Contains(pointer, text)) => {
                value_text(pointer.as_ref(), body).is_some_and(|v| v.contains(text.as_str()))
            }
        }
    }

    /// Whether the rule makes the answer "no such object".
    pub fn is_not_found(&self) -> bool {
        self.scim_status == StatusCode::NOT_FOUND
    }
}

/// The first rule matching a product answer.
pub fn first<'r>(
    rules: &'r [ErrorRule],
    status: StatusCode,
    op: Option<Operation>,
    body: &[u8],
) -> Option<&'r ErrorRule> {
    rules.iter().find(|r| r.matches(status, op, body))
}

/// The text a body match tests: the value at the pointer (a string as it is, any other value as its JSON), or
/// without a pointer the body's text.
fn value_text(pointer: Option<&Pointer>, body: &[u8]) -> Option<String> {
    match pointer {
        None => std::str::from_utf8(body).ok().map(str::to_owned),
        Some(p) => {
            let doc: Value = serde_json::from_slice(body).ok()?;
            match p.get(&doc)? {
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        }
    }
}

/// The `scimType` of its keyword (RFC 7644 §3.12).
pub fn scim_type(keyword: &str) -> Option<ScimType> {
    [
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
    ]
    .into_iter()
    .find(|t| t.as_str() == keyword)
}

#[cfg(test)]
mod tests;
