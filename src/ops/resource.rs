//! Building SCIM resources from product objects (`schemas`, `id`, attributes, `meta`) and validating the
//! resources IdPs send, shared by every resource type.

use crate::mapping::ResourceMapping;
use crate::scim::doc::{self, Doc, Scalar, View};
use crate::scim::patch::{Op, Operation};
use crate::scim::schema::ResourceSchema;
use crate::scim::{Error, ScimType};
use serde_json::Value;
use std::borrow::Cow;

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

/// A resource rendered as a [`Doc`]: its values borrowed from the product object and the mapping where they pass
/// unchanged, serialised without building a `Value` (see [`crate::scim::doc`]).
#[derive(Debug, Clone)]
pub struct RenderedDoc<'a> {
    /// The SCIM JSON.
    pub doc: Doc<'a>,
    /// `meta.location`.
    pub location: String,
    /// `meta.version`, if the product gives one.
    pub version: Option<String>,
}

/// The SCIM resource of a product object.
pub fn render(kind: Kind, res: &ResourceMapping, object: &Value, base_url: &str) -> Result<Rendered, Error> {
    let RenderedDoc { doc, location, version } = render_doc(kind, res, View::Value(object), base_url)?;
    Ok(Rendered {
        json: doc.into_value(),
        location,
        version,
    })
}

/// [`render`], as a [`Doc`].
pub fn render_doc<'a>(
    kind: Kind,
    res: &'a ResourceMapping,
    object: View<'a, '_>,
    base_url: &str,
) -> Result<RenderedDoc<'a>, Error> {
    let id = res.id_in(object)?;
    let location = location_of(base_url, kind, &id);
    // Built in answer order (`schemas`, `id`, the attributes, `meta`): `schemas` is filled in once the extensions
    // present are known, `meta` moved to the end.
    let mut out = Doc::Object(Vec::with_capacity(24));
    if let Some(members) = out.members_mut() {
        members.push((Cow::Borrowed("schemas"), Doc::Null));
        members.push((Cow::Borrowed("id"), Doc::string(id)));
    }
    res.attributes.to_scim_into(object, &mut out);
    let Some(members) = out.members_mut() else {
        return Err(Error::internal("a rendered resource is not an object"));
    };
    let schemas = std::iter::once(Doc::string(kind.schema))
        .chain(
            members
                .iter()
                .filter(|(k, _)| k.starts_with("urn:"))
                .map(|(k, _)| Doc::Str(k.clone())),
        )
        .collect();
    doc::insert(members, "schemas", Doc::Array(schemas));
    let mut meta = match doc::remove(members, "meta") {
        Some(m) if m.is_object() => m,
        _ => Doc::object(),
    };
    let mut version = None;
    if let Some(meta_members) = meta.members_mut() {
        doc::insert(meta_members, "resourceType", Doc::string(kind.name));
        doc::insert(meta_members, "location", Doc::string(location.clone()));
        version = doc::exact(meta_members, "version")
            .and_then(Doc::scalar)
            .and_then(etag_of);
        if let Some(v) = &version {
            doc::insert(meta_members, "version", Doc::string(v.clone()));
        }
    }
    members.push((Cow::Borrowed("meta"), meta));
    Ok(RenderedDoc {
        doc: out,
        location,
        version,
    })
}

/// A weak entity tag (RFC 7232 §2.3) from a product version number or string.
fn etag_of(v: Scalar<'_>) -> Option<String> {
    let number;
    let text = match v {
        Scalar::Num(n) => {
            number = n.to_string();
            &number
        }
        Scalar::Str(s) if s.starts_with("W/\"") || s.starts_with('"') => return Some(s.to_owned()),
        Scalar::Str(s) => s,
        Scalar::Null | Scalar::Bool(_) => return None,
    };
    let mut tag = String::with_capacity(text.len() + 3);
    tag.push_str("W/\"");
    tag.extend(text.chars().filter(|&c| c != '"'));
    tag.push('"');
    Some(tag)
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

/// Check a resource sent by the IdP: a JSON object whose `schemas` names the core schema of `kind`.
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
    Ok(())
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
    for rule in res.attributes.required() {
        let absent = crate::scim::json::get(resource, &rule.key).is_none_or(Value::is_null);
        if absent && !(creating && rule.default.is_some()) {
            return Err(Error::bad_request(
                ScimType::InvalidValue,
                format!("{} is required", rule.key),
            ));
        }
    }
    Ok(())
}

/// A PATCH may not remove an attribute the product always holds: RFC 7644 §3.5.2, "An operation that is not
/// compatible with an attribute's mutability or schema SHALL return the appropriate HTTP response status code".
pub fn check_removals(res: &ResourceMapping, ops: &[Operation]) -> Result<(), Error> {
    for path in ops
        .iter()
        .filter(|o| matches!(o.op, Op::Remove))
        .filter_map(|o| o.path.as_ref())
    {
        let whole = path.attr.sub.is_none() && path.sub.is_none() && path.filter.is_none();
        if whole
            && res
                .attributes
                .required()
                .any(|r| r.key.eq_ignore_ascii_case(&path.attr.name))
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
