//! Building SCIM resources from product objects (`schemas`, `id`, attributes, `meta`) and validating the
//! resources IdPs send, shared by every resource type.

use crate::mapping::ResourceMapping;
use crate::mapping::attribute::{Empty, Rule};
use crate::scim::patch::{Op, Operation};
use crate::scim::schema::ResourceSchema;
use crate::scim::{Error, ScimType};
use serde_json::{Map, Value};

/// A SCIM resource type served by the gateway.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// `User`.
    pub name: &'static str,
    /// Endpoint segment, `Users`.
    pub endpoint: &'static str,
    /// Core schema URN.
    pub schema: &'static str,
}

/// SCIM Users (RFC 7643 §4.1).
pub const USER: Kind = Kind {
    name: "User",
    endpoint: "Users",
    schema: "urn:ietf:params:scim:schemas:core:2.0:User",
};

/// SCIM Groups (RFC 7643 §4.2).
pub const GROUP: Kind = Kind {
    name: "Group",
    endpoint: "Groups",
    schema: "urn:ietf:params:scim:schemas:core:2.0:Group",
};

/// A rendered resource and what the reply needs of it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The SCIM JSON.
    pub json: Value,
    /// `meta.location`.
    pub location: String,
    /// `meta.version`, if the product gives one.
    pub version: Option<String>,
}

/// The SCIM resource of a product object: `schemas`, `id`, the mapped attributes, `meta`, in that order.
pub fn render(kind: Kind, res: &ResourceMapping, object: &Value, base_url: &str) -> Result<Rendered, Error> {
    let id = res.id_of(object)?;
    let location = location_of(base_url, kind, &id);
    // `schemas` is filled in once the extensions present are known, `meta` moved to the end.
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Null);
    out.insert("id".into(), Value::String(id));
    res.attributes.to_scim_into(object, &mut out)?;
    let schemas: Vec<Value> = std::iter::once(kind.schema)
        .chain(out.keys().map(String::as_str).filter(|k| k.starts_with("urn:")))
        .map(Value::from)
        .collect();
    out.insert("schemas".into(), Value::Array(schemas));
    let mut meta = match out.shift_remove("meta") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    meta.insert("resourceType".into(), Value::from(kind.name));
    meta.insert("location".into(), Value::String(location.clone()));
    let version = meta.get("version").and_then(etag_of);
    if let Some(v) = &version {
        meta.insert("version".into(), Value::String(v.clone()));
    }
    out.insert("meta".into(), Value::Object(meta));
    Ok(Rendered {
        json: Value::Object(out),
        location,
        version,
    })
}

/// A weak entity tag (RFC 7232 §2.3) from a product version number or string.
fn etag_of(v: &Value) -> Option<String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.starts_with("W/\"") || s.starts_with('"') => return Some(s.clone()),
        Value::String(s) => s.clone(),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => return None,
    };
    Some(format!("W/\"{}\"", text.replace('"', "")))
}

/// `meta.location` (and a member's `$ref`): `{base_url}/{endpoint}/{id}`, the id as one URL path segment.
pub fn location_of(base_url: &str, kind: Kind, id: &str) -> String {
    let mut location = String::with_capacity(base_url.len() + kind.endpoint.len() + id.len() + 2);
    location.push_str(base_url);
    location.push('/');
    location.push_str(kind.endpoint);
    location.push('/');
    location.extend(percent_encoding::utf8_percent_encode(
        id,
        crate::mapping::endpoint::COMPONENT,
    ));
    location
}

/// The prefix of the marker schema Entra ID lists beside the core one
/// (`http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`).
const ENTRA_MARKER_SCHEMAS: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/";

/// Check a resource sent by the IdP: a JSON object whose `schemas` names the core schema of `kind`, each attribute
/// with a value of its type.
pub fn check_incoming(kind: Kind, body: &Value) -> Result<(), Error> {
    let obj = body
        .as_object()
        .ok_or_else(|| Error::bad_request(ScimType::InvalidSyntax, "the body must be a JSON object"))?;
    let schemas = obj.get("schemas").and_then(Value::as_array).ok_or_else(|| {
        Error::bad_request(
            ScimType::InvalidSyntax,
            format!("schemas is required and must list {}", kind.schema),
        )
    })?;
    if !schemas
        .iter()
        .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(kind.schema)))
    {
        return Err(Error::bad_request(
            ScimType::InvalidSyntax,
            format!("schemas must contain {}", kind.schema),
        ));
    }
    let definitions = if kind.name == GROUP.name {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    };
    for urn in schemas {
        let known = urn.as_str().is_some_and(|u| {
            u.eq_ignore_ascii_case(kind.schema)
                || definitions.extension(u).is_some()
                // Entra lists its own marker schema on group creates; it carries no attributes.
                || u.starts_with(ENTRA_MARKER_SCHEMAS)
        });
        if !known {
            return Err(Error::bad_request(
                ScimType::InvalidSyntax,
                format!(
                    "schemas lists {urn}, which is not a schema of the {} resource type",
                    kind.name
                ),
            ));
        }
    }
    // RFC 7643 §2.3: every attribute's value is of its type before anything reaches the product.
    definitions
        .check_resource(body)
        .map_err(|detail| Error::bad_request(ScimType::InvalidValue, detail))
}

/// The required attribute `name` as a non-empty string.
pub fn required_string<'v>(body: &'v Value, name: &str) -> Result<&'v str, Error> {
    match crate::scim::json::get(body, name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(Error::bad_request(
            ScimType::InvalidValue,
            format!("{name} is required"),
        )),
        Some(_) => Err(Error::bad_request(
            ScimType::InvalidValue,
            format!("{name} must be a string"),
        )),
    }
}

/// Attributes the mapping marks `required` (the product always holds them) must be in a create, unless a default
/// fills them, and in a PUT.
pub fn check_required(res: &ResourceMapping, resource: &Value, creating: bool) -> Result<(), Error> {
    // A create takes its defaults (computed ones too) before the check.
    let mut filled = resource.clone();
    if creating {
        res.attributes.apply_defaults(&mut filled, &res.schema);
    }
    for rule in res.attributes.required() {
        // `""` clears an attribute (unless its rule keeps empty strings): it is no value.
        let absent = crate::scim::json::get(&filled, &rule.key)
            .is_none_or(|v| v.is_null() || rule.to_product(v).is_some_and(|p| p.is_null()));
        if absent {
            return Err(Error::bad_request(
                ScimType::InvalidValue,
                format!("{} is required", rule.key),
            ));
        }
    }
    Ok(())
}

/// A PATCH may not change a read-only mapped attribute (a `read_only` rule or a template): RFC 7644 §3.5.2 makes
/// that 400 `mutability`, where the change would otherwise be dropped without a word. POST and PUT ignore
/// read-only values (RFC 7643 §2.2).
pub fn check_read_only(res: &ResourceMapping, before: &Value, after: &Value) -> Result<(), Error> {
    match res.attributes.read_only_changed(before, after) {
        None => Ok(()),
        Some(key) => Err(Error::bad_request(
            ScimType::Mutability,
            format!("{key} is read-only: this service reads it from the product and cannot change it"),
        )),
    }
}

/// A PATCH may not remove an attribute the product always holds: RFC 7644 §3.5.2, "An operation that is not
/// compatible with an attribute's mutability or schema SHALL return the appropriate HTTP response status code".
pub fn check_removals(res: &ResourceMapping, ops: &[Operation]) -> Result<(), Error> {
    for op in ops {
        let Some(path) = &op.path else { continue };
        let whole = path.attr.sub.is_none() && path.sub.is_none() && path.filter.is_none();
        // A remove, or `""` where the empty string clears.
        let clears = |r: &Rule| {
            matches!(op.op, Op::Remove)
                || (r.empty == Empty::Clear && op.value.as_ref().and_then(Value::as_str) == Some(""))
        };
        if whole
            && res
                .attributes
                .required()
                .any(|r| r.key.eq_ignore_ascii_case(&path.attr.name) && clears(r))
        {
            return Err(Error::bad_request(
                ScimType::Mutability,
                format!("{} is required: the product always holds a value", path.attr.name),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
