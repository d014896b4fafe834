//! The JSON representation of a schema (RFC 7643 §7), as served at `/Schemas/{id}`.

use super::{Attribute, Mutability, Returned, SCHEMA_SCHEMA, Schema, Uniqueness};
use crate::scim::filter::AttrKind;
use serde_json::{Map, Value, json};

// === impl Mutability, Returned, Uniqueness ===

impl Mutability {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

impl Uniqueness {
    /// The RFC 7643 §7 keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

// === impl Schema ===

impl Schema {
    /// The `/Schemas/{id}` body (RFC 7643 §7): `schemas`, `id`, `name`, `description`, `attributes`, `meta` with
    /// `resourceType` "Schema" and `location` under `base_url` (no trailing slash).
    pub fn to_json(&self, base_url: &str) -> Value {
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

// === impl Attribute ===

impl Attribute {
    /// One entry of `attributes` (RFC 7643 §7): every characteristic; `caseExact` and `canonicalValues` for
    /// non-complex types, `referenceTypes` for references, `subAttributes` for complex ones.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("type".into(), json!(self.kind.as_str()));
        out.insert("multiValued".into(), json!(self.multi_valued));
        out.insert("description".into(), json!(self.description));
        out.insert("required".into(), json!(self.required));
        if self.kind == AttrKind::Complex {
            let subs: Vec<Value> = self.sub_attributes.iter().map(Attribute::to_json).collect();
            out.insert("subAttributes".into(), Value::Array(subs));
        } else {
            out.insert("caseExact".into(), json!(self.case_exact));
        }
        if !self.canonical_values.is_empty() {
            out.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if self.kind == AttrKind::Reference {
            out.insert("referenceTypes".into(), json!(self.reference_types));
        }
        out.insert("mutability".into(), json!(self.mutability.as_str()));
        out.insert("returned".into(), json!(self.returned.as_str()));
        out.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        Value::Object(out)
    }
}
