//! The one-call PATCH: operations that only set mapped single-valued attributes — what Entra sends for most
//! changes (`{"op": "Replace", "path": "active", "value": "False"}`) and Okta to deactivate
//! (`{"op": "replace", "value": {"active": false}}`) — go to the product as one partial update, without reading
//! the user first. Anything else (multi-valued paths, filters, removals, read-only or unmapped attributes, values
//! a value map does not know) takes the general path, which reads, applies and explains.

use crate::mapping::attribute::Target;
use crate::mapping::pointer::Pointer;
use crate::mapping::{Deactivate, ResourceMapping, UpdateStyle};
use crate::scim::filter::{AttrKind, AttrTypes};
use crate::scim::patch::{Op, Operation};
use crate::scim::path::AttrPath;
use crate::scim::schema::{ResourceSchema, USER_SCHEMA};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The product body that applies `ops`, when they can be sent as they are.
pub fn plan(res: &ResourceMapping, ops: &[Operation]) -> Option<Value> {
    if res.update != UpdateStyle::Partial || res.deactivate != Deactivate::Field {
        return None;
    }
    let mut fields: BTreeMap<Pointer, Value> = BTreeMap::new();
    for op in ops {
        if op.op == Op::Remove {
            return None;
        }
        let value = op.value.as_ref()?;
        let pairs: Vec<(AttrPath, &Value)> = match &op.path {
            Some(p) if p.filter.is_none() && p.sub.is_none() => vec![(p.attr.clone(), value)],
            Some(_) => return None,
            None => value
                .as_object()?
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("schemas"))
                .map(|(k, v)| (AttrPath::simple(k), v))
                .collect(),
        };
        for (attr, value) in pairs {
            let (pointer, product) = field(res, &attr, value)?;
            if fields.get(&pointer).is_some_and(|v| *v != product) {
                return None;
            }
            fields.insert(pointer, product);
        }
    }
    if fields.is_empty() {
        return None;
    }
    let mut body = Value::Object(Map::new());
    for (pointer, value) in fields {
        pointer.set(&mut body, value).ok()?;
    }
    Some(body)
}

/// Whether the operations set `active` (with a path or inside a path-less value).
pub fn sets_active(ops: &[Operation]) -> bool {
    ops.iter().any(|op| match &op.path {
        Some(p) => p.attr.name.eq_ignore_ascii_case("active"),
        None => op
            .value
            .as_ref()
            .and_then(Value::as_object)
            .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("active"))),
    })
}

/// The product field and value of one single-valued attribute set by a PATCH.
fn field(res: &ResourceMapping, attr: &AttrPath, value: &Value) -> Option<(Pointer, Value)> {
    if attr
        .schema
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case(USER_SCHEMA))
    {
        return None;
    }
    let attr = AttrPath {
        schema: None,
        ..attr.clone()
    };
    let meta = ResourceSchema::user().meta(&attr);
    // Entra sends booleans as strings.
    let value = match (meta.kind, value) {
        (AttrKind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        (AttrKind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        (AttrKind::Boolean, Value::Bool(_)) | (AttrKind::String, Value::String(_)) => value.clone(),
        _ => return None,
    };
    if attr.name.eq_ignore_ascii_case("userName") && value.as_str().is_none_or(|s| s.trim().is_empty()) {
        return None;
    }
    let rule = res.attributes.rules().iter().find(|r| {
        !r.read_only
            && match &r.target {
                Target::Plain {
                    schema: None,
                    name,
                    sub,
                } => {
                    name.eq_ignore_ascii_case(&attr.name)
                        && match (sub.as_deref(), attr.sub.as_deref()) {
                            (None, None) => true,
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            _ => false,
                        }
                }
                _ => false,
            }
    })?;
    // A field inside a sub-object sent whole needs the fresh read of the general path.
    if res.attributes.whole_of(&rule.pointer).is_some() {
        return None;
    }
    Some((rule.pointer.clone(), rule.to_product(&value)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classic() -> ResourceMapping {
        let file = crate::config::from_toml(include_str!("../../../config/examples/classic.toml")).unwrap();
        crate::mapping::compile(&file.mappings["classic"], "m").unwrap().users
    }

    fn ops(body: Value) -> Vec<Operation> {
        crate::scim::patch::parse(&body, 100).unwrap()
    }

    fn patch(operations: Value) -> Value {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
    }

    #[test]
    fn entra_and_okta_single_valued_changes_are_one_partial_update() {
        let res = classic();
        let entra = ops(patch(json!([{"op": "Replace", "path": "active", "value": "False"},
            {"op": "replace", "path": "name.givenName", "value": "Ada"}])));
        assert_eq!(
            plan(&res, &entra),
            Some(json!({"status": "suspended", "first_name": "Ada"}))
        );
        let okta = ops(patch(
            json!([{"op": "replace", "value": {"active": true, "title": "CTO"}}]),
        ));
        assert_eq!(plan(&res, &okta), Some(json!({"status": "active", "title": "CTO"})));
    }

    #[test]
    fn anything_else_takes_the_general_path() {
        let res = classic();
        for operations in [
            json!([{"op": "remove", "path": "title"}]),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x"}]),
            json!([{"op": "replace", "path": "nickName", "value": "A"}]),
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            json!([{"op": "replace", "value": {"name": {"givenName": "A"}}}]),
            json!([{"op": "replace", "path": "title", "value": "A"}, {"op": "replace", "path": "title", "value": "B"}]),
        ] {
            assert_eq!(plan(&res, &ops(patch(operations.clone()))), None, "{operations}");
        }
    }
}
