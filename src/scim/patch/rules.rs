//! What PATCH may change, and how values are typed: by the core attribute names, or by a [`ResourceSchema`].
//!
//! Schema rules (RFC 7644 §3.5.2, RFC 7643 §7):
//! - A path must name an attribute of the schema, and a sub-attribute of it where one is given; a value filter
//!   needs a multi-valued attribute; the members of a complex value must be sub-attributes. Otherwise
//!   `400 invalidPath` (Table 9: "The "path" attribute was invalid or malformed").
//! - readOnly: "The attribute SHALL NOT be modified", so any operation on it is `400 mutability`.
//! - immutable: "The attribute MAY be defined at resource creation ... The attribute SHALL NOT be updated"; `add`
//!   is accepted (it may define the value), `replace` and `remove` are `400 mutability`.
//! - `schemas` in a path-less value is not an attribute and is skipped (clients echo the resource).
//! - Every value must be of its target's type (RFC 7643 §2.3), after the IdP dialects are read ([`check_types`]):
//!   otherwise `400 invalidValue` naming the attribute, before the resource is read or anything is written.

use super::apply::is_schema_urn;
use super::values::coerce;
use super::{Op, Operation, PatchError};
use crate::scim::filter::AttrTypes;
use crate::scim::patch_path::PatchPath;
use crate::scim::path::AttrPath;
use crate::scim::schema::{Attribute, Mutability, ResourceSchema};
use serde_json::Value;

/// Multi-valued attributes of the core User and Group schemas (RFC 7643 §4).
const MULTI_VALUED: [&str; 10] = [
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
    "members",
];

/// Attributes no client may change (RFC 7643 §3.1: `id` and `meta` are readOnly).
const READ_ONLY: [&str; 2] = ["id", "meta"];

/// The rules an application of PATCH follows.
pub(super) enum Rules<'a> {
    /// The core attributes by name, types from the given lookup.
    Core(&'a dyn AttrTypes),
    /// Everything from the schema.
    Schema(&'a ResourceSchema),
}

impl Rules<'_> {
    /// Types for filters and coercion.
    pub(super) fn types(&self) -> &dyn AttrTypes {
        match self {
            Rules::Core(types) => *types,
            Rules::Schema(schema) => *schema,
        }
    }

    /// Is the top-level attribute of `attr` multi-valued?
    pub(super) fn is_multi(&self, attr: &AttrPath) -> bool {
        match self {
            Rules::Core(_) => MULTI_VALUED.iter().any(|m| m.eq_ignore_ascii_case(&attr.name)),
            Rules::Schema(schema) => schema.resolve(&top(attr)).is_some_and(|r| r.attr.multi_valued),
        }
    }

    /// A member of a path-less value that is not an attribute.
    pub(super) fn skipped_key(&self, key: &str) -> bool {
        matches!(self, Rules::Schema(_)) && key.eq_ignore_ascii_case("schemas")
    }

    /// A whole extension used as a path or a path-less key must be one of the schema's.
    pub(super) fn check_extension(&self, urn: &str) -> Result<(), PatchError> {
        match self {
            Rules::Core(_) => Ok(()),
            Rules::Schema(schema) if schema.extension(urn).is_some() => Ok(()),
            Rules::Schema(_) => Err(PatchError::Path(format!(
                "{urn} is not a schema extension of this resource"
            ))),
        }
    }

    /// May `op` target `path`?
    pub(super) fn check(&self, op: Op, path: &PatchPath) -> Result<(), PatchError> {
        let schema = match self {
            Rules::Core(_) => {
                let attr = &path.attr;
                if attr.schema.is_none() && READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&attr.name)) {
                    return Err(PatchError::Mutability(format!("{} is read-only", attr.name)));
                }
                return Ok(());
            }
            Rules::Schema(schema) => schema,
        };
        let unknown = || PatchError::Path(format!("{path}: no such attribute"));
        let resolved = schema.resolve(&top(&path.attr)).ok_or_else(unknown)?;
        let attr = resolved.attr;
        let sub_name = path.attr.sub.as_deref().or(path.sub.as_deref());
        let sub = match sub_name {
            None => None,
            Some(name) => Some(attr.sub(name).ok_or_else(unknown)?),
        };
        if path.filter.is_some() && !attr.multi_valued {
            return Err(PatchError::Path(format!(
                "{path}: a value filter needs a multi-valued attribute, and {} is single-valued",
                attr.name
            )));
        }
        for a in std::iter::once(attr).chain(sub) {
            mutable(op, a, path)?;
        }
        Ok(())
    }

    /// The members of a complex value must be sub-attributes of the target.
    pub(super) fn check_value(&self, path: &PatchPath, value: &Value) -> Result<(), PatchError> {
        let Rules::Schema(schema) = self else { return Ok(()) };
        if path.attr.sub.is_some() || path.sub.is_some() {
            return Ok(());
        }
        let Some(attr) = schema.resolve(&top(&path.attr)).map(|r| r.attr) else {
            return Ok(());
        };
        if attr.sub_attributes.is_empty() {
            return Ok(());
        }
        let objects: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for key in objects.iter().filter_map(|v| v.as_object()).flat_map(|o| o.keys()) {
            if attr.sub(key).is_none() {
                return Err(PatchError::Path(format!(
                    "{path}: {} has no sub-attribute {key:?}",
                    attr.name
                )));
            }
        }
        Ok(())
    }
}

/// Check that each operation's value fits the type of the attribute it targets; paths the schema does not know
/// are left to the application, which names them.
pub(super) fn check_types(ops: &[Operation], schema: &ResourceSchema) -> Result<(), PatchError> {
    let rules = Rules::Schema(schema);
    for op in ops {
        let Some(value) = &op.value else { continue };
        match &op.path {
            Some(path) => check_at(&rules, schema, path, value)?,
            None => {
                for (key, v) in value.as_object().into_iter().flatten() {
                    check_keyed(&rules, schema, key, v)?;
                }
            }
        }
    }
    Ok(())
}

/// A member of a path-less value (or of a whole extension's value): an attribute path or an extension object.
fn check_keyed(rules: &Rules<'_>, schema: &ResourceSchema, key: &str, value: &Value) -> Result<(), PatchError> {
    if rules.skipped_key(key) {
        return Ok(());
    }
    if is_schema_urn(key) {
        for (name, v) in value.as_object().into_iter().flatten() {
            check_keyed(rules, schema, &format!("{key}:{name}"), v)?;
        }
        return Ok(());
    }
    match PatchPath::parse(key) {
        Ok(path) => check_at(rules, schema, &path, value),
        // A malformed key is the application's to name.
        Err(_) => Ok(()),
    }
}

fn check_at(rules: &Rules<'_>, schema: &ResourceSchema, path: &PatchPath, value: &Value) -> Result<(), PatchError> {
    let text = path.to_string();
    if path.filter.is_none() && is_schema_urn(&text) {
        return check_keyed(rules, schema, &text, value);
    }
    let Some(attr) = schema.resolve(&top(&path.attr)).map(|r| r.attr) else {
        return Ok(());
    };
    let value = coerce(path, value, rules);
    let sub = match path.attr.sub.as_deref().or(path.sub.as_deref()) {
        None => None,
        Some(name) => match attr.sub(name) {
            Some(sub) => Some(sub),
            None => return Ok(()),
        },
    };
    let checked = match (sub, &path.filter, &value) {
        (Some(sub), _, _) => sub.check_value(&text, &value),
        // `emails[type eq "work"]`: the value is merged into the matching elements.
        (None, Some(_), _) => attr.check_element(&text, &value),
        // `add` of one element to a multi-valued attribute.
        (None, None, v) if attr.multi_valued && !v.is_array() => attr.check_element(&text, &value),
        (None, None, _) => attr.check_value(&text, &value),
    };
    checked.map_err(PatchError::Value)
}

fn mutable(op: Op, a: &Attribute, path: &PatchPath) -> Result<(), PatchError> {
    match (a.mutability, op) {
        (Mutability::ReadOnly, _) => Err(PatchError::Mutability(format!("{path}: {} is readOnly", a.name))),
        (Mutability::Immutable, Op::Replace | Op::Remove) => Err(PatchError::Mutability(format!(
            "{path}: {} is immutable and cannot be replaced or removed",
            a.name
        ))),
        (Mutability::Immutable, Op::Add) | (Mutability::ReadWrite | Mutability::WriteOnly, _) => Ok(()),
    }
}

fn top(attr: &AttrPath) -> AttrPath {
    AttrPath {
        sub: None,
        ..attr.clone()
    }
}
