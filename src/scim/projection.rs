//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a response carries.
//!
//! RFC 7644 §3.9: `attributes` is "a multi-valued list of strings indicating the names of resource attributes to
//! return in the response, overriding the set of attributes that would be returned by default"; `excludedAttributes`
//! names "resource attributes to be removed from the default set of attributes to return. This parameter SHALL have
//! no effect on attributes whose schema "returned" setting is "always"". Both honour the attribute's `returned`
//! (RFC 7643 §7): `always` is always returned, `never` never, `request` only when named in `attributes`, `default`
//! unless left out. When a client sends both lists, `attributes` selects and `excludedAttributes` then removes.
//!
//! Names are in "standard attribute notation" (RFC 7644 §3.10): `userName`, `name.givenName`, `emails.value`,
//! URN-qualified extension attributes, or a whole extension by its URN. Unqualified names and names qualified with
//! a core URN address the top level; names the schema does not define are treated as `returned: default`.
//!
//! A malformed name is `400 invalidValue`: RFC 7644 §3.12 Table 9 lists `invalidValue` ("the value specified was
//! not compatible with the operation or attribute type") for GET §3.4.2, while `invalidPath` applies to PATCH only.

use crate::scim::path::{AttrPath, PathError};
use crate::scim::schema::{self, Attribute, ResourceSchema, Returned};
use crate::scim::{Error, ScimType, json};
use serde_json::Value;

#[cfg(test)]
mod tests;

/// The parsed `attributes` and `excludedAttributes` of a request. Empty lists mean "not given".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Projection {
    /// `attributes`: when not empty, only these (and `returned: always`) are returned.
    pub attributes: Vec<AttrPath>,
    /// `excludedAttributes`: removed from what would be returned, except `returned: always`.
    pub excluded: Vec<AttrPath>,
}

/// Why `attributes` or `excludedAttributes` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A name is not in standard attribute notation.
    #[error("{param}: invalid attribute name {name:?}: {source}")]
    BadName {
        /// `attributes` or `excludedAttributes`.
        param: &'static str,
        /// The name as given (at most 80 characters).
        name: String,
        /// What is wrong with it.
        source: PathError,
    },
}

impl From<ProjectionError> for Error {
    fn from(e: ProjectionError) -> Self {
        Error::bad_request(ScimType::InvalidValue, e.to_string())
    }
}

/// How a path names an attribute of the resource.
enum Hit<'p> {
    /// The whole attribute (or its whole extension).
    Whole,
    /// One sub-attribute.
    Sub(&'p str),
}

/// Where an attribute sits: at the top level (`ext` None) or in an extension object.
#[derive(Clone, Copy)]
struct Place<'a> {
    ext: Option<&'a str>,
    name: &'a str,
}

// === impl Projection ===

impl Projection {
    /// Parse the comma-separated query parameters (RFC 7644 §3.4.2.5); empty entries are skipped.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Projection, ProjectionError> {
        let split = |s: Option<&str>| -> Vec<String> {
            s.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Projection::from_lists(&split(attributes), &split(excluded))
    }

    /// Build from lists of names, as a `/.search` body carries them (RFC 7644 §3.4.3).
    pub fn from_lists<S: AsRef<str>>(attributes: &[S], excluded: &[S]) -> Result<Projection, ProjectionError> {
        Ok(Projection {
            attributes: parse_names("attributes", attributes)?,
            excluded: parse_names("excludedAttributes", excluded)?,
        })
    }

    /// True when neither list was given: every `default` and `always` attribute is returned.
    pub fn is_default(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Will any part of the attribute at `path` be returned? Lets the caller skip fetching what is not wanted
    /// (`wants(schema, "members")` for Group lists). A malformed `path` answers true.
    pub fn wants(&self, schema: &ResourceSchema, path: &str) -> bool {
        let Ok(path) = AttrPath::parse(path) else { return true };
        let resolved = schema.resolve(&path);
        let ext = resolved
            .and_then(|r| r.schema)
            .filter(|urn| !schema::is_core(urn))
            .or(path.schema.as_deref().filter(|urn| !schema::is_core(urn)));
        let place = Place { ext, name: &path.name };
        let returned = resolved.map_or(Returned::Default, |r| r.target().returned);
        match returned {
            Returned::Never => return false,
            Returned::Always => return true,
            Returned::Default | Returned::Request => {}
        }
        let sub = path.sub.as_deref();
        let named = |list: &[AttrPath], exact_sub: bool| {
            list.iter().any(|p| match (hit(p, place, schema), sub) {
                (Some(Hit::Whole), _) => true,
                (Some(Hit::Sub(s)), Some(want)) => s.eq_ignore_ascii_case(want),
                (Some(Hit::Sub(_)), None) => !exact_sub,
                (None, _) => false,
            })
        };
        let selected = if self.attributes.is_empty() {
            returned != Returned::Request
        } else {
            named(&self.attributes, false)
        };
        selected && !named(&self.excluded, true)
    }

    /// Project a rendered resource: `schemas` is always kept; an extension object left empty is dropped. The
    /// resource is taken by value and projected in place: nothing is copied or re-inserted, and the order of what
    /// is kept is the order it was rendered in.
    pub fn apply(&self, mut resource: Value, schema: &ResourceSchema) -> Value {
        let Value::Object(members) = &mut resource else {
            return resource;
        };
        members.retain(|key, value| {
            if key.eq_ignore_ascii_case("schemas") {
                return true;
            }
            match (schema.extension(key), value) {
                (Some(ext), Value::Object(attributes)) => {
                    attributes.retain(|name, v| {
                        let place = Place {
                            ext: Some(&ext.id),
                            name,
                        };
                        self.attribute(place, ext.attribute(name), v, schema)
                    });
                    !attributes.is_empty()
                }
                (_, value) => {
                    let def = schema.core_or_common(key).map(|(_, a)| a);
                    self.attribute(Place { ext: None, name: key }, def, value, schema)
                }
            }
        });
        resource
    }

    /// Project one attribute's value in place; false to leave the attribute out.
    fn attribute(&self, place: Place<'_>, def: Option<&Attribute>, value: &mut Value, schema: &ResourceSchema) -> bool {
        let was_empty = is_empty(value);
        let returned = def.map_or(Returned::Default, |d| d.returned);
        let sub_def = |name: &str| def.and_then(|d| d.sub(name));
        let sub_returned = |name: &str| sub_def(name).map_or(Returned::Default, |s| s.returned);
        // Whether a sub-attribute is ever left out of the default set: when none is, a value keeps all of its own
        // (sub-attributes the schema does not define are `returned: default`), and only elements left empty go.
        let subs_dropped =
            |dropped: &[Returned]| def.is_some_and(|d| d.sub_attributes.iter().any(|s| dropped.contains(&s.returned)));
        match returned {
            Returned::Never => return false,
            Returned::Always => {
                if subs_dropped(&[Returned::Never]) {
                    keep_subs(value, |s| sub_returned(s) != Returned::Never);
                } else {
                    keep_subs(value, |_| true);
                }
            }
            Returned::Default | Returned::Request if self.attributes.is_empty() => {
                if returned == Returned::Request {
                    return false;
                }
                if subs_dropped(&[Returned::Never, Returned::Request]) {
                    keep_subs(value, |s| {
                        matches!(sub_returned(s), Returned::Always | Returned::Default)
                    });
                } else {
                    keep_subs(value, |_| true);
                }
            }
            Returned::Default | Returned::Request => {
                let hits: Vec<Hit<'_>> = self.attributes.iter().filter_map(|p| hit(p, place, schema)).collect();
                if hits.iter().any(|h| matches!(h, Hit::Whole)) {
                    keep_subs(value, |s| {
                        matches!(sub_returned(s), Returned::Always | Returned::Default)
                    });
                } else if hits.is_empty() {
                    return false;
                } else {
                    let named = |s: &str| {
                        hits.iter()
                            .any(|h| matches!(h, Hit::Sub(n) if n.eq_ignore_ascii_case(s)))
                    };
                    keep_subs(value, |s| match sub_returned(s) {
                        Returned::Never => false,
                        Returned::Always => true,
                        Returned::Default | Returned::Request => named(s),
                    });
                }
            }
        }
        if returned == Returned::Always {
            return true;
        }
        let mut excluded_subs = Vec::new();
        for p in &self.excluded {
            match hit(p, place, schema) {
                Some(Hit::Whole) => return false,
                Some(Hit::Sub(s)) => excluded_subs.push(s),
                None => {}
            }
        }
        if !excluded_subs.is_empty() {
            keep_subs(value, |s| {
                sub_returned(s) == Returned::Always || !excluded_subs.iter().any(|e| e.eq_ignore_ascii_case(s))
            });
        }
        !is_empty(value) || was_empty
    }
}

fn parse_names<S: AsRef<str>>(param: &'static str, names: &[S]) -> Result<Vec<AttrPath>, ProjectionError> {
    names
        .iter()
        .map(|n| {
            let n = n.as_ref().trim();
            AttrPath::parse(n).map_err(|source| ProjectionError::BadName {
                param,
                name: n.chars().take(80).collect(),
                source,
            })
        })
        .collect()
}

/// Does `p` name the attribute at `place`, and how?
fn hit<'p>(p: &'p AttrPath, place: Place<'_>, schema: &ResourceSchema) -> Option<Hit<'p>> {
    if let (Some(ext), Some(whole)) = (place.ext, schema.extension_of_path(p)) {
        return whole.id.eq_ignore_ascii_case(ext).then_some(Hit::Whole);
    }
    let same_schema = match (p.schema.as_deref(), place.ext) {
        (None, None) => true,
        (Some(urn), None) => schema::is_core(urn),
        (Some(urn), Some(ext)) => urn.eq_ignore_ascii_case(ext),
        (None, Some(_)) => false,
    };
    if !same_schema || !p.name.eq_ignore_ascii_case(place.name) {
        return None;
    }
    Some(match &p.sub {
        None => Hit::Whole,
        Some(s) => Hit::Sub(s),
    })
}

/// Keep the sub-attributes `keep` accepts, in a complex value or in each element of a multi-valued one; elements
/// left empty are dropped. Simple values are left as they are.
fn keep_subs(value: &mut Value, keep: impl Fn(&str) -> bool) {
    match value {
        Value::Object(o) => o.retain(|k, _| keep(k)),
        Value::Array(items) => items.retain_mut(|e| match e {
            Value::Object(o) => {
                o.retain(|k, _| keep(k));
                !o.is_empty()
            }
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Array(_) => true,
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Whether this is an empty object or array.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
    }
}

/// The member `name` of a rendered resource, reading extension objects for URN-qualified paths; used by sorting.
pub(crate) fn top_level<'v>(resource: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let root = match path.schema.as_deref() {
        None => resource,
        Some(urn) if schema::is_core(urn) => resource,
        Some(urn) => json::get(resource, urn)?,
    };
    json::get(root, &path.name)
}
