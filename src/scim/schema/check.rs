//! Type checks of written values (RFC 7643 §2.3 data types, §2.4 multi-valued attributes): what a POST, a PUT or
//! a PATCH value gives an attribute must be of the attribute's type before anything reaches the product, so an
//! object or a number never lands in a product's string field.
//!
//! `null` is always accepted (RFC 7643 §2.5: unassigned). Read-only attributes are not checked: a value sent for
//! one is ignored (RFC 7643 §3.1) or refused by PATCH's mutability rule. Members the schema does not know are left
//! to the mapping, which names them when the product cannot hold them. Entra sends booleans as `"True"`/`"False"`
//! strings, which are accepted for booleans.

use super::{Attribute, Mutability, ResourceSchema};
use crate::scim::filter::AttrKind;
use serde_json::Value;

// === impl Attribute ===

impl Attribute {
    /// Check a value given to this whole attribute; `name` is the path as the client wrote it, for the message.
    /// A multi-valued attribute takes an array of elements, a single-valued one a single value.
    pub fn check_value(&self, name: &str, value: &Value) -> Result<(), String> {
        if self.mutability == Mutability::ReadOnly {
            return Ok(());
        }
        match value {
            Value::Null => Ok(()),
            Value::Array(items) if self.multi_valued => items.iter().try_for_each(|e| self.check_element(name, e)),
            _ if self.multi_valued => Err(format!(
                "{name} is multi-valued: expected an array of {}, not {}",
                plural(self.kind),
                describe(value)
            )),
            Value::Array(_) => Err(format!(
                "{name} is single-valued: expected {}, not an array",
                expected(self.kind)
            )),
            _ => self.check_element(name, value),
        }
    }

    /// Check one value of this attribute (one element, for a multi-valued attribute): of its type, and for a
    /// complex value each known sub-attribute of its own type.
    pub fn check_element(&self, name: &str, value: &Value) -> Result<(), String> {
        if self.mutability == Mutability::ReadOnly {
            return Ok(());
        }
        let fits = match (self.kind, value) {
            (_, Value::Null) => true,
            (AttrKind::String | AttrKind::DateTime | AttrKind::Binary | AttrKind::Reference, Value::String(_)) => true,
            (AttrKind::Boolean, Value::Bool(_)) => true,
            // Entra sends booleans as strings.
            (AttrKind::Boolean, Value::String(s)) => s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"),
            (AttrKind::Decimal, Value::Number(_)) => true,
            (AttrKind::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (AttrKind::Complex, Value::Object(members)) => {
                for (key, v) in members {
                    if let Some(sub) = self.sub(key) {
                        sub.check_value(&format!("{name}.{}", sub.name), v)?;
                    }
                }
                true
            }
            _ => false,
        };
        if fits {
            Ok(())
        } else {
            Err(format!(
                "{name} must be {}, not {}",
                expected(self.kind),
                describe(value)
            ))
        }
    }
}

// === impl ResourceSchema ===

impl ResourceSchema {
    /// Check the attributes of a resource a client sends (POST, PUT): core and common attributes by name, and the
    /// attributes inside each extension object.
    pub fn check_resource(&self, resource: &Value) -> Result<(), String> {
        let Some(members) = resource.as_object() else {
            return Err("the resource must be a JSON object".into());
        };
        for (key, value) in members {
            if let Some(extension) = self.extension(key) {
                match value {
                    Value::Null => {}
                    Value::Object(attrs) => {
                        for (name, v) in attrs {
                            if let Some(attr) = extension.attribute(name) {
                                attr.check_value(&format!("{}:{}", extension.id, attr.name), v)?;
                            }
                        }
                    }
                    other => {
                        return Err(format!(
                            "{key} must be an object of the extension's attributes, not {}",
                            describe(other)
                        ));
                    }
                }
            } else if let Some((_, attr)) = self.core_or_common(key) {
                attr.check_value(&attr.name, value)?;
            }
        }
        Ok(())
    }
}

/// "a string", "an object", … for a value that does not fit.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::String => "a string",
        AttrKind::Boolean => "a boolean",
        AttrKind::Decimal => "a number",
        AttrKind::Integer => "an integer",
        AttrKind::DateTime => "a dateTime string",
        AttrKind::Binary => "a base64 string",
        AttrKind::Reference => "a reference (a URI string)",
        AttrKind::Complex => "an object",
    }
}

fn plural(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::String => "strings",
        AttrKind::Boolean => "booleans",
        AttrKind::Decimal => "numbers",
        AttrKind::Integer => "integers",
        AttrKind::DateTime => "dateTime strings",
        AttrKind::Binary => "base64 strings",
        AttrKind::Reference => "references",
        AttrKind::Complex => "objects",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(body: Value) -> Result<(), String> {
        ResourceSchema::user().check_resource(&body)
    }

    #[test]
    fn values_of_the_attribute_type_pass() {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada", "active": true, "name": {"givenName": "Ada"},
            "emails": [{"type": "work", "value": "a@x", "primary": "True"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "7"}, "department": null},
            "id": 7, "meta": {"created": 1}, "nickName": null, "unknownThing": {"x": 1}
        });
        assert_eq!(user(body), Ok(()));
        assert_eq!(user(json!({"active": "False"})), Ok(()));
    }

    #[test]
    fn values_of_another_type_name_the_attribute() {
        for (body, named) in [
            (
                json!({"userName": {"$ne": 1}}),
                "userName must be a string, not an object",
            ),
            (json!({"userName": ["a"]}), "userName is single-valued"),
            (json!({"title": 5}), "title must be a string, not a number"),
            (json!({"active": "maybe"}), "active must be a boolean, not a string"),
            (json!({"name": "Ada"}), "name must be an object, not a string"),
            (
                json!({"name": {"givenName": {"a": 1}}}),
                "name.givenName must be a string",
            ),
            (json!({"emails": {"value": "a@x"}}), "emails is multi-valued"),
            (
                json!({"emails": [{"value": 1}]}),
                "emails.value must be a string, not a number",
            ),
            (json!({"emails": ["a@x"]}), "emails must be an object, not a string"),
            (
                json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": [{"value": "7"}]}}),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager is single-valued",
            ),
            (
                json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}),
                "must be an object of the extension's attributes",
            ),
        ] {
            let err = user(body.clone()).expect_err(&body.to_string());
            assert!(err.contains(named), "{body}: {err}");
        }
    }

    #[test]
    fn group_members_are_checked() {
        let group = ResourceSchema::group();
        assert_eq!(
            group.check_resource(&json!({"members": [{"value": "1", "display": 5}]})),
            Ok(())
        );
        assert!(group.check_resource(&json!({"displayName": 7})).is_err());
        assert!(
            group
                .check_resource(&json!({"members": [{"value": {"x": 1}}]}))
                .is_err()
        );
    }
}
