//! Value helpers of the PATCH engine: the element a value filter describes, the single `primary`, element
//! identity, and bringing IdP dialect values to the attribute's type.

use super::rules::Rules;
use crate::scim::filter::{AttrKind, CompValue, CompareOp, Filter};
use crate::scim::json::member;
use crate::scim::patch_path::PatchPath;
use crate::scim::path::AttrPath;
use serde_json::{Map, Value};

/// The element a conjunction of equalities describes (`type eq "work" and primary eq true`).
pub(super) fn element_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
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
pub(super) fn keep_one_primary(items: &mut [Value]) {
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
pub(super) fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y && a.get("type") == b.get("type"),
        _ => a == b,
    }
}

/// Bring IdP dialect values to the attribute's type: `"True"`/`"False"` for booleans, `["x"]` for single values.
pub(super) fn coerce(path: &PatchPath, value: &Value, rules: &Rules<'_>) -> Value {
    let mut target = path.attr.clone();
    if let Some(s) = &path.sub {
        target.sub = Some(s.clone());
    }
    match value {
        Value::Array(items) if items.len() == 1 && !rules.is_multi(&path.attr) && path.filter.is_none() => {
            // Entra wraps single values as `[{"value": "x"}]`; a complex attribute keeps the object.
            let inner = match &items[0] {
                Value::Object(o) if o.len() == 1 && rules.types().meta(&target).kind != AttrKind::Complex => {
                    member(o, "value").unwrap_or(&items[0])
                }
                other => other,
            };
            coerce(path, inner, rules)
        }
        // Elements of a multi-valued attribute: `[{"value": "x", "primary": "True"}]`.
        Value::Array(items) if target.sub.is_none() && path.filter.is_none() => {
            Value::Array(items.iter().map(|e| coerce(path, e, rules)).collect())
        }
        // Entra sends the enterprise `manager` as the bare id; RFC 7643 §4.3 makes it complex, `{"value": id}`.
        Value::String(_)
            if target.sub.is_none()
                && !rules.is_multi(&path.attr)
                && rules.types().meta(&target).kind == AttrKind::Complex =>
        {
            serde_json::json!({"value": value})
        }
        Value::String(s) if rules.types().meta(&target).kind == AttrKind::Boolean => {
            match s.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => value.clone(),
            }
        }
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
                    Value::String(_) => coerce(&sub_path, v, rules),
                    other => other.clone(),
                };
                out.insert(k.clone(), coerced);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}
