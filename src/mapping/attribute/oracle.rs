//! The attribute map's reads rendered into `serde_json` maps, as they were before [`Doc`](crate::scim::doc::Doc):
//! the reference the document renderer is held to by property tests.

use super::{AttributeMap, Target, Transform};
use crate::scim::json;
use serde_json::{Map, Value};

/// The SCIM attributes of a product object, written into `out`.
pub(crate) fn to_scim_into(map: &AttributeMap, product: &Value, out: &mut Map<String, Value>) {
    for rule in map.rules.iter().filter(|r| !r.write_only) {
        let Some(value) = rule.pointer.get(product).filter(|v| !v.is_null()) else {
            continue;
        };
        if let Some(scim) = to_scim(&rule.transform, value) {
            write(&rule.target, out, scim);
        }
    }
    for (_, target, template) in &map.templates {
        if read_in(target, out).is_none()
            && let Some(text) = template.render(crate::scim::doc::View::Value(product))
        {
            write(target, out, Value::String(text));
        }
    }
}

fn to_scim(transform: &Transform, product: &Value) -> Option<Value> {
    match transform {
        Transform::Identity => Some(product.clone()),
        Transform::Map(pairs) => pairs.iter().find(|(_, p)| p == product).map(|(s, _)| s.clone()),
    }
}

fn read_in<'v>(target: &Target, resource: &'v Map<String, Value>) -> Option<&'v Value> {
    let container = match target.schema() {
        None => resource,
        Some(urn) => json::member(resource, urn)?.as_object()?,
    };
    match target {
        Target::Plain { name, sub: None, .. } => json::member(container, name),
        Target::Plain {
            name, sub: Some(sub), ..
        } => json::get(json::member(container, name)?, sub),
        Target::Typed {
            name, type_value, sub, ..
        } => {
            let element = json::member(container, name)?
                .as_array()?
                .iter()
                .find(|e| is_type_value(e, type_value))?;
            json::get(element, sub)
        }
    }
    .filter(|v| !v.is_null())
}

fn write(target: &Target, resource: &mut Map<String, Value>, value: Value) {
    let container = match target.schema() {
        None => resource,
        Some(urn) => match object_entry(resource, urn) {
            Some(c) => c,
            None => return,
        },
    };
    match target {
        Target::Plain { name, sub: None, .. } => {
            container.insert(name.clone(), value);
        }
        Target::Plain {
            name, sub: Some(sub), ..
        } => {
            if let Some(object) = object_entry(container, name) {
                object.insert(sub.clone(), value);
            }
        }
        Target::Typed {
            name, type_value, sub, ..
        } => {
            let Some(list) = json::slot(container, name, || Value::Array(Vec::new())) else {
                return;
            };
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            let Value::Array(items) = list else { return };
            let index = match items.iter().position(|e| is_type_value(e, type_value)) {
                Some(i) => i,
                None => {
                    let mut element = Map::new();
                    element.insert("type".into(), Value::String(type_value.clone()));
                    items.push(Value::Object(element));
                    items.len() - 1
                }
            };
            if let Some(element) = items[index].as_object_mut() {
                element.insert(sub.clone(), value);
            }
        }
    }
}

fn object_entry<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    let slot = json::slot(map, key, || Value::Object(Map::new()))?;
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn is_type_value(element: &Value, type_value: &str) -> bool {
    json::get(element, "type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(type_value))
}
