//! Unmapped detection: every attribute of a write must be held by some rule (or the mapping says to ignore
//! it), so nothing an IdP sends is dropped without a word.

use super::{AttributeMap, CORE_SCHEMAS, MappingError, PROTOCOL_MEMBERS, QUALIFIERS};
use crate::scim::json;
use serde_json::Value;

impl AttributeMap {
    /// Refuse attributes that no rule would store.
    pub(super) fn check_unmapped(&self, resource: &Value) -> Result<(), MappingError> {
        let Some(members) = resource.as_object() else {
            return Err(MappingError::InvalidValue {
                attribute: "(resource)".into(),
                detail: "expected an object".into(),
            });
        };
        for (key, value) in members {
            if PROTOCOL_MEMBERS.iter().any(|m| m.eq_ignore_ascii_case(key)) || value.is_null() {
                continue;
            }
            match (
                key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")),
                value.as_object(),
            ) {
                (true, Some(extension)) => {
                    let schema = (!CORE_SCHEMAS.iter().any(|c| c.eq_ignore_ascii_case(key))).then_some(key.as_str());
                    for (name, v) in extension {
                        self.check_attribute(schema, name, v)?;
                    }
                }
                _ => self.check_attribute(None, key, value)?,
            }
        }
        Ok(())
    }

    fn check_attribute(&self, schema: Option<&str>, name: &str, value: &Value) -> Result<(), MappingError> {
        let covered = |t: Option<&str>, s: Option<&str>| {
            self.rules.iter().any(|r| r.target.covers(schema, name, t, s))
                || self.ignored.iter().any(|(_, target)| target.covers(schema, name, t, s))
                || self
                    .templates
                    .iter()
                    .any(|(_, target, _)| target.covers(schema, name, t, s))
        };
        if value.is_null() || covered(None, None) {
            return Ok(());
        }
        let display = |s: &str| match schema {
            Some(urn) => format!("{urn}:{s}"),
            None => s.to_owned(),
        };
        match value {
            Value::Object(subs) => {
                for (sub, _) in subs.iter().filter(|(_, v)| !v.is_null()) {
                    if !covered(None, Some(sub)) {
                        return Err(MappingError::Unmapped(display(&format!("{name}.{sub}"))));
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for item in items {
                    let Some(element) = item.as_object() else {
                        return Err(MappingError::Unmapped(display(name)));
                    };
                    let type_value = json::get(item, "type").and_then(Value::as_str);
                    let data = element
                        .iter()
                        .filter(|(k, v)| !v.is_null() && !QUALIFIERS.iter().any(|q| q.eq_ignore_ascii_case(k)));
                    for (sub, _) in data {
                        if !covered(type_value, Some(sub)) {
                            let selector = type_value.map(|t| format!("[type eq \"{t}\"]")).unwrap_or_default();
                            return Err(MappingError::Unmapped(display(&format!("{name}{selector}.{sub}"))));
                        }
                    }
                }
                Ok(())
            }
            _ => Err(MappingError::Unmapped(display(name))),
        }
    }
}
