//! PATCH (RFC 7644 §3.5.2): parse a `PatchOp` request and apply its operations to a SCIM resource.
//!
//! Applied to the SCIM representation, all or nothing: the caller gets a new resource or an error, never a
//! half-patched one. The IdPs' dialects are accepted as a native server would accept them: op names in any case
//! (Entra sends `Replace`), booleans as strings (Entra sends `"False"`), one-element arrays for single values,
//! value objects without a path whose keys are dotted (`name.givenName`) or URN-qualified, and Okta's
//! `{"op":"replace","value":{"active":false}}`.
//!
//! Two entry points share one engine (`patch/apply.rs`, value helpers in `patch/values.rs`): [`apply`] knows the
//! core attributes by name (`id` and `meta` read-only, the RFC 7643 §4 multi-valued attributes) and takes types
//! from any [`AttrTypes`]; [`apply_with_schema`] takes everything from a [`ResourceSchema`] (`patch/rules.rs`):
//! unknown paths are `400 invalidPath`, readOnly and immutable attributes `400 mutability`, multiplicity and the
//! booleans to coerce come from the definitions.

use crate::scim::filter::AttrTypes;
use crate::scim::json::member;
use crate::scim::patch_path::PatchPath;
use crate::scim::schema::ResourceSchema;
use crate::scim::{Error, ScimType};
use serde_json::Value;

mod apply;
mod rules;
mod values;

use rules::Rules;

/// `schemas` URN of a PATCH request.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `remove`.
    Remove,
}

/// One entry of `Operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What to do.
    pub op: Op,
    /// Where; `None` means the value is a set of attributes of the resource.
    pub path: Option<PatchPath>,
    /// The value, absent for most removes.
    pub value: Option<Value>,
}

/// Why a PATCH was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PatchError {
    /// The request body is not a PatchOp message.
    #[error("{0}")]
    Syntax(String),
    /// A path is malformed.
    #[error("{0}")]
    Path(String),
    /// A path with a filter selected nothing, or a remove had no path.
    #[error("{0}")]
    NoTarget(String),
    /// The attribute cannot be changed.
    #[error("{0}")]
    Mutability(String),
    /// A value does not fit its attribute.
    #[error("{0}")]
    Value(String),
}

impl From<PatchError> for Error {
    fn from(e: PatchError) -> Self {
        let t = match e {
            PatchError::Syntax(_) => ScimType::InvalidSyntax,
            PatchError::Path(_) => ScimType::InvalidPath,
            PatchError::NoTarget(_) => ScimType::NoTarget,
            PatchError::Mutability(_) => ScimType::Mutability,
            PatchError::Value(_) => ScimType::InvalidValue,
        };
        Error::bad_request(t, e.to_string())
    }
}

/// Parse a PATCH request body; `max_ops` bounds `Operations`.
pub fn parse(body: &Value, max_ops: usize) -> Result<Vec<Operation>, PatchError> {
    let obj = body
        .as_object()
        .ok_or_else(|| PatchError::Syntax("the body must be a JSON object".into()))?;
    if let Some(schemas) = member(obj, "schemas") {
        let ok = schemas.as_array().is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_SCHEMA)))
        });
        if !ok {
            return Err(PatchError::Syntax(format!("schemas must contain {PATCH_SCHEMA}")));
        }
    }
    let ops = member(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| PatchError::Syntax("Operations must be an array".into()))?;
    if ops.is_empty() {
        return Err(PatchError::Syntax("Operations is empty".into()));
    }
    if ops.len() > max_ops {
        return Err(PatchError::Syntax(format!(
            "more than {max_ops} operations in one request"
        )));
    }
    ops.iter().enumerate().map(|(i, o)| parse_op(i, o)).collect()
}

fn parse_op(i: usize, raw: &Value) -> Result<Operation, PatchError> {
    let obj = raw
        .as_object()
        .ok_or_else(|| PatchError::Syntax(format!("Operations[{i}] must be an object")))?;
    let op = match member(obj, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => Op::Add,
        Some("replace") => Op::Replace,
        Some("remove") => Op::Remove,
        _ => {
            return Err(PatchError::Syntax(format!(
                "Operations[{i}].op must be add, replace or remove"
            )));
        }
    };
    let path = match member(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => {
            Some(PatchPath::parse(s.trim()).map_err(|e| PatchError::Path(format!("Operations[{i}].path: {e}")))?)
        }
        Some(_) => return Err(PatchError::Syntax(format!("Operations[{i}].path must be a string"))),
    };
    let value = member(obj, "value").cloned();
    match (op, &path, &value) {
        (Op::Remove, None, _) => Err(PatchError::NoTarget(format!("Operations[{i}]: remove needs a path"))),
        (Op::Add | Op::Replace, _, None) => Err(PatchError::Syntax(format!("Operations[{i}] needs a value"))),
        (Op::Add | Op::Replace, None, Some(v)) if !v.is_object() => Err(PatchError::Syntax(format!(
            "Operations[{i}]: without a path the value must be an object"
        ))),
        _ => Ok(Operation { op, path, value }),
    }
}

/// Apply operations in order to a copy of `resource`; the original is untouched on error. Attribute rules are
/// the core ones by name; types come from `types`.
pub fn apply(resource: &Value, ops: &[Operation], types: &dyn AttrTypes) -> Result<Value, PatchError> {
    apply::run(resource, ops, &Rules::Core(types))
}

/// Apply operations with the rules of `schema` (RFC 7644 §3.5.2 with RFC 7643 §7 characteristics): unknown
/// attributes and sub-attributes → `invalidPath`; readOnly targets, and replace or remove of immutable ones →
/// `mutability`; multi-valued and boolean attributes as defined. Pass the schema restricted to the mapping to
/// refuse attributes the product cannot hold.
pub fn apply_with_schema(resource: &Value, ops: &[Operation], schema: &ResourceSchema) -> Result<Value, PatchError> {
    apply::run(resource, ops, &Rules::Schema(schema))
}

/// Check, before anything is read or written, that every operation's value is of the type of the attribute of
/// `schema` it targets (RFC 7643 §2.3), the IdPs' dialect values read as [`apply_with_schema`] reads them:
/// `400 invalidValue` naming the attribute otherwise.
pub fn check_types(ops: &[Operation], schema: &ResourceSchema) -> Result<(), PatchError> {
    rules::check_types(ops, schema)
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod schema_tests;
