//! PATCH (RFC 7644 §3.5.2): parse a `PatchOp` request and apply its operations to a SCIM resource.
//!
//! Applied to the SCIM representation, all or nothing: the caller gets a new resource or an error, never a
//! half-patched one. The IdPs' dialects are accepted as a native server would accept them: op names in any case
//! (Entra sends `Replace`), booleans as strings (Entra sends `"False"`), one-element arrays for single values,
//! value objects without a path whose keys are dotted (`name.givenName`) or URN-qualified, and Okta's
//! `{"op":"replace","value":{"active":false}}`.

use crate::scim::filter::{AttrKind, AttrTypes, CompValue, CompareOp, Filter};
use crate::scim::json::{key_of, member};
use crate::scim::path::{AttrPath, PatchPath};
use crate::scim::{Error, ScimType};
use serde_json::{Map, Value};

/// `schemas` URN of a PATCH request.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

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

/// Apply operations in order to a copy of `resource`; the original is untouched on error.
pub fn apply(resource: &Value, ops: &[Operation], types: &dyn AttrTypes) -> Result<Value, PatchError> {
    let mut doc = resource.clone();
    for op in ops {
        match &op.path {
            // A whole extension as the path (`urn:…:enterprise:2.0:User`): its value holds that schema's attributes.
            Some(path) if path.filter.is_none() && is_schema_urn(&path.to_string()) => match (&op.value, op.op) {
                (Some(value), Op::Add | Op::Replace) => apply_keyed(&mut doc, op.op, &path.to_string(), value, types)?,
                _ => {
                    if let Some(root) = doc.as_object_mut() {
                        let key = key_of(root, &path.to_string());
                        root.remove(&key);
                    }
                }
            },
            Some(path) => apply_at(&mut doc, op.op, path, op.value.as_ref(), types)?,
            None => {
                let Some(Value::Object(attrs)) = &op.value else {
                    continue;
                };
                for (key, value) in attrs {
                    apply_keyed(&mut doc, op.op, key, value, types)?;
                }
            }
        }
    }
    Ok(doc)
}

/// A member of a path-less value: an attribute name, a dotted or URN-qualified path, or an extension object.
fn apply_keyed(doc: &mut Value, op: Op, key: &str, value: &Value, types: &dyn AttrTypes) -> Result<(), PatchError> {
    if let (true, Some(members)) = (is_schema_urn(key), value.as_object()) {
        // An extension object: each of its members is an attribute of that schema.
        for (name, v) in members {
            let path = PatchPath::parse(&format!("{key}:{name}")).map_err(|e| PatchError::Path(e.to_string()))?;
            apply_at(doc, op, &path, Some(v), types)?;
        }
        return Ok(());
    }
    let path = PatchPath::parse(key).map_err(|e| PatchError::Path(format!("{key}: {e}")))?;
    apply_at(doc, op, &path, Some(value), types)
}

/// A schema URN rather than a URN-qualified attribute: its last segment names a resource type (`…:2.0:User`),
/// which starts with a capital letter, where attribute names in SCIM schemas start in lower case.
fn is_schema_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        && key
            .rsplit(':')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
}

fn apply_at(
    doc: &mut Value,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
    types: &dyn AttrTypes,
) -> Result<(), PatchError> {
    let attr = &path.attr;
    if attr.schema.is_none() && READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&attr.name)) {
        // Okta renames a group with `{"op":"replace","value":{"id":"<its own id>","displayName":"…"}}`: restating
        // a read-only value changes nothing, so it is not refused.
        let current = doc.as_object().and_then(|o| member(o, &attr.name));
        if op != Op::Remove && path.filter.is_none() && attr.sub.is_none() && value.is_some() && current == value {
            return Ok(());
        }
        return Err(PatchError::Mutability(format!("{} is read-only", attr.name)));
    }
    let value = value.map(|v| coerce(path, v, types));
    let root = doc
        .as_object_mut()
        .ok_or_else(|| PatchError::Value("the resource is not an object".into()))?;
    let container = container_of(root, attr, op == Op::Remove);
    let Some(container) = container else { return Ok(()) };
    let name = key_of(container, &attr.name);
    match (&path.filter, &attr.sub) {
        (None, None) => set_attribute(container, &name, op, value, is_multi(&attr.name)),
        (None, Some(sub)) => {
            if op == Op::Remove {
                if let Some(Value::Object(o)) = container.get_mut(&name) {
                    let sub = key_of(o, sub);
                    o.remove(&sub);
                }
                return Ok(());
            }
            let slot = container.entry(name).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let (Some(o), Some(v)) = (slot.as_object_mut(), value) {
                let sub = key_of(o, sub);
                merge_or_set(o, &sub, v);
            }
            Ok(())
        }
        (Some(filter), _) => apply_filtered(container, &name, op, filter, path.sub.as_deref(), value, path, types),
    }
}

/// The object holding `attr`: the resource, or its extension object for a URN-qualified path.
fn container_of<'d>(
    root: &'d mut Map<String, Value>,
    attr: &AttrPath,
    lookup_only: bool,
) -> Option<&'d mut Map<String, Value>> {
    let Some(schema) = attr
        .schema
        .as_deref()
        .filter(|s| !s.to_ascii_lowercase().contains(":core:"))
    else {
        return Some(root);
    };
    let key = key_of(root, schema);
    if lookup_only && !root.contains_key(&key) {
        return None;
    }
    let slot = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn set_attribute(
    container: &mut Map<String, Value>,
    name: &str,
    op: Op,
    value: Option<Value>,
    multi: bool,
) -> Result<(), PatchError> {
    match (op, value) {
        // Entra's default dialect removes group members with `{"op":"Remove","path":"members","value":[{"value":
        // "…"}]}`: only the listed values leave. (RFC 7644 §3.5.2.2 gives remove no value; without one, or with
        // null, the whole attribute goes.)
        (Op::Remove, Some(gone)) if multi && !gone.is_null() => {
            let gone = match gone {
                Value::Array(items) => items,
                single => vec![single],
            };
            if let Some(Value::Array(items)) = container.get_mut(name) {
                items.retain(|e| !gone.iter().any(|g| same_value(e, g)));
                if items.is_empty() {
                    container.remove(name);
                }
            }
        }
        (Op::Remove, _) => {
            container.remove(name);
        }
        (Op::Add, Some(v)) if multi => {
            let list = container
                .entry(name.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let additions = match v {
                Value::Array(items) => items,
                single => vec![single],
            };
            if let Value::Array(items) = list {
                for item in additions {
                    if !items.iter().any(|e| same_value(e, &item)) {
                        items.push(item);
                    }
                }
                keep_one_primary(items);
            }
        }
        (Op::Replace, Some(v)) if multi => {
            let mut items = match v {
                Value::Array(items) => items,
                single => vec![single],
            };
            keep_one_primary(&mut items);
            container.insert(name.to_owned(), Value::Array(items));
        }
        (Op::Add | Op::Replace, Some(v)) => merge_or_set(container, name, v),
        (Op::Add | Op::Replace, None) => return Err(PatchError::Syntax(format!("{name}: a value is required"))),
    }
    Ok(())
}

/// Complex values merge into what is there (RFC 7644 §3.5.2.1/3: unspecified sub-attributes stay); others replace.
fn merge_or_set(container: &mut Map<String, Value>, name: &str, value: Value) {
    match (container.get_mut(name), value) {
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (k, v) in new {
                let k2 = key_of(existing, &k);
                existing.insert(k2, v);
            }
        }
        (_, v) => {
            container.insert(name.to_owned(), v);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_filtered(
    container: &mut Map<String, Value>,
    name: &str,
    op: Op,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<Value>,
    path: &PatchPath,
    types: &dyn AttrTypes,
) -> Result<(), PatchError> {
    let items = match container.get_mut(name) {
        Some(Value::Array(items)) => items,
        _ if op == Op::Remove => return no_target_unless_members(name, path),
        _ => {
            container.insert(name.to_owned(), Value::Array(Vec::new()));
            match container.get_mut(name) {
                Some(Value::Array(items)) => items,
                _ => return Err(PatchError::Value(format!("{name} is not multi-valued"))),
            }
        }
    };
    let matched: Vec<usize> = (0..items.len()).filter(|i| filter.matches(&items[*i], types)).collect();
    match op {
        Op::Remove => {
            if matched.is_empty() {
                return no_target_unless_members(name, path);
            }
            match sub {
                None => {
                    let mut i = 0;
                    items.retain(|_| {
                        i += 1;
                        !matched.contains(&(i - 1))
                    });
                }
                Some(s) => {
                    for i in matched {
                        if let Some(o) = items[i].as_object_mut() {
                            let k = key_of(o, s);
                            o.remove(&k);
                        }
                    }
                }
            }
            if items.is_empty() {
                container.remove(name);
            }
        }
        Op::Add | Op::Replace => {
            let value = value.ok_or_else(|| PatchError::Syntax(format!("{path}: a value is required")))?;
            let targets = if matched.is_empty() {
                // Entra adds and replaces `emails[type eq "work"].value` when no work email exists yet: create the
                // element the filter describes, as a native server does.
                let seed = element_from_filter(filter)
                    .ok_or_else(|| PatchError::NoTarget(format!("{path} matches no value")))?;
                items.push(Value::Object(seed));
                vec![items.len() - 1]
            } else {
                matched
            };
            for i in targets {
                match (sub, items[i].as_object_mut()) {
                    (Some(s), Some(o)) => {
                        let k = key_of(o, s);
                        o.insert(k, value.clone());
                    }
                    (None, Some(o)) => {
                        if let Value::Object(new) = &value {
                            for (k, v) in new {
                                let k2 = key_of(o, k);
                                o.insert(k2, v.clone());
                            }
                        } else {
                            return Err(PatchError::Value(format!("{path}: the value must be an object")));
                        }
                    }
                    (_, None) => return Err(PatchError::Value(format!("{path}: the values are not objects"))),
                }
            }
            keep_one_primary(items);
        }
    }
    Ok(())
}

/// Removing a member who is not there succeeds: IdPs retry member removals (DESIGN: idempotent membership).
fn no_target_unless_members(name: &str, path: &PatchPath) -> Result<(), PatchError> {
    if name.eq_ignore_ascii_case("members") {
        Ok(())
    } else {
        Err(PatchError::NoTarget(format!("{path} matches no value")))
    }
}

/// The element a conjunction of equalities describes (`type eq "work" and primary eq true`).
fn element_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(p, CompareOp::Eq, v) if p.sub.is_none() && p.schema.is_none() => {
            let value = match v {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::Num(n) => Value::Number(n.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Null => return None,
            };
            let mut m = Map::new();
            m.insert(p.name.clone(), value);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = element_from_filter(a)?;
            m.extend(element_from_filter(b)?);
            Some(m)
        }
        _ => None,
    }
}

/// RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once; the newest wins.
fn keep_one_primary(items: &mut [Value]) {
    let Some(last) = items.iter().rposition(|e| e.get("primary") == Some(&Value::Bool(true))) else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        if i != last
            && let Some(o) = item.as_object_mut()
            && o.get("primary") == Some(&Value::Bool(true))
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// Two multi-valued elements are the same when equal, or when both are complex with the same `value` (and `type`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y && a.get("type") == b.get("type"),
        _ => a == b,
    }
}

/// Bring IdP dialect values to the attribute's type: `"True"`/`"False"` for booleans, `["x"]` for single values.
fn coerce(path: &PatchPath, value: &Value, types: &dyn AttrTypes) -> Value {
    let mut target = path.attr.clone();
    if let Some(s) = &path.sub {
        target.sub = Some(s.clone());
    }
    match value {
        Value::Array(items) if items.len() == 1 && !is_multi(&path.attr.name) && path.filter.is_none() => {
            coerce(path, &items[0], types)
        }
        Value::String(s) if types.meta(&target).kind == AttrKind::Boolean => match s.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => value.clone(),
        },
        Value::Object(members) if target.sub.is_none() => {
            let mut out = Map::new();
            for (k, v) in members {
                let sub_path = PatchPath {
                    attr: AttrPath {
                        sub: Some(k.clone()),
                        ..path.attr.clone()
                    },
                    filter: None,
                    sub: None,
                };
                let coerced = match v {
                    Value::String(_) => coerce(&sub_path, v, types),
                    other => other.clone(),
                };
                out.insert(k.clone(), coerced);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn is_multi(name: &str) -> bool {
    MULTI_VALUED.iter().any(|m| m.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
