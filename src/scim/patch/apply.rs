//! The PATCH engine: walks each operation's path into a copy of the resource and changes it (RFC 7644 §3.5.2.1
//! add, §3.5.2.2 remove, §3.5.2.3 replace). What may be changed, and how values are read, is asked of [`Rules`].

use super::rules::Rules;
use super::values::{coerce, element_from_filter, keep_one_primary, same_value};
use super::{Op, Operation, PatchError};
use crate::scim::filter::Filter;
use crate::scim::json::{key_of, member};
use crate::scim::patch_path::PatchPath;
use crate::scim::path::AttrPath;
use serde_json::{Map, Value};

/// Apply operations in order to a copy of `resource`.
pub(super) fn run(resource: &Value, ops: &[Operation], rules: &Rules<'_>) -> Result<Value, PatchError> {
    let mut doc = resource.clone();
    for op in ops {
        match &op.path {
            // A whole extension as the path (`urn:…:enterprise:2.0:User`): its value holds that schema's attributes.
            Some(path) if path.filter.is_none() && is_schema_urn(&path.to_string()) => match (&op.value, op.op) {
                (Some(value), Op::Add | Op::Replace) => apply_keyed(&mut doc, op.op, &path.to_string(), value, rules)?,
                _ => {
                    rules.check_extension(&path.to_string())?;
                    if let Some(root) = doc.as_object_mut() {
                        let key = key_of(root, &path.to_string());
                        root.remove(&key);
                    }
                }
            },
            Some(path) => apply_at(&mut doc, op.op, path, op.value.as_ref(), rules)?,
            None => {
                let Some(Value::Object(attrs)) = &op.value else {
                    continue;
                };
                for (key, value) in attrs.iter().filter(|(k, _)| !rules.skipped_key(k)) {
                    apply_keyed(&mut doc, op.op, key, value, rules)?;
                }
            }
        }
    }
    Ok(doc)
}

/// A member of a path-less value: an attribute name, a dotted or URN-qualified path, or an extension object.
fn apply_keyed(doc: &mut Value, op: Op, key: &str, value: &Value, rules: &Rules<'_>) -> Result<(), PatchError> {
    if let (true, Some(members)) = (is_schema_urn(key), value.as_object()) {
        rules.check_extension(key)?;
        // An extension object: each of its members is an attribute of that schema. A `schemas` member inside it is
        // a client library's serialisation of the extension model (scim2-models), not an attribute.
        for (name, v) in members.iter().filter(|(k, _)| !rules.skipped_key(k)) {
            let path = PatchPath::parse(&format!("{key}:{name}")).map_err(|e| PatchError::Path(e.to_string()))?;
            apply_at(doc, op, &path, Some(v), rules)?;
        }
        return Ok(());
    }
    let path = PatchPath::parse(key).map_err(|e| PatchError::Path(format!("{key}: {e}")))?;
    apply_at(doc, op, &path, Some(value), rules)
}

/// A schema URN rather than a URN-qualified attribute: its last segment names a resource type (`…:2.0:User`),
/// which starts with a capital letter, where attribute names in SCIM schemas start in lower case.
pub(super) fn is_schema_urn(key: &str) -> bool {
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
    rules: &Rules<'_>,
) -> Result<(), PatchError> {
    let attr = &path.attr;
    // Okta renames a group with `{"op":"replace","value":{"id":"<its own id>","displayName":"…"}}`: restating a
    // value unchanged changes nothing, so it is not refused even where the attribute is read-only.
    if op != Op::Remove
        && path.filter.is_none()
        && attr.sub.is_none()
        && attr.schema.is_none()
        && value.is_some()
        && doc.as_object().and_then(|o| member(o, &attr.name)) == value
    {
        return Ok(());
    }
    rules.check(op, path)?;
    if let Some(v) = value {
        rules.check_value(path, v)?;
    }
    let value = value.map(|v| coerce(path, v, rules));
    let root = doc
        .as_object_mut()
        .ok_or_else(|| PatchError::Value("the resource is not an object".into()))?;
    let container = container_of(root, attr, op == Op::Remove);
    let Some(container) = container else { return Ok(()) };
    let name = key_of(container, &attr.name);
    match (&path.filter, &attr.sub) {
        (None, None) => set_attribute(container, &name, op, value, rules.is_multi(attr)),
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
        (Some(filter), _) => apply_filtered(container, &name, op, filter, path.sub.as_deref(), value, path, rules),
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
    rules: &Rules<'_>,
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
    let matched: Vec<usize> = (0..items.len())
        .filter(|i| filter.matches(&items[*i], rules.types()))
        .collect();
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
