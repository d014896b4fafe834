//! A resource schema restricted to what a mapping holds, so discovery advertises only attributes the gateway can
//! serve, with the mapping's read/write limits.
//!
//! Input: the SCIM paths the mapping fills (`userName`, `name.givenName`, `emails[type eq "work"].value`,
//! `urn:…:enterprise:2.0:User:employeeNumber`, `members`, or a whole extension URN), each with an [`Access`].
//! Rules:
//! - `id` and `meta` are always kept (RFC 7643 §3.1: every resource has them); `externalId` only when mapped.
//! - A plain path keeps the whole attribute (all sub-attributes); `a.b` keeps `a` with `b` (and other mapped
//!   sub-attributes of `a`).
//! - A value path `emails[type eq "work"].value` keeps `emails` with `value` and `type` (not `primary`); the
//!   `canonicalValues` of `type` become the types the filters name (`work`), unless some path maps the attribute
//!   without a type filter.
//! - An extension is kept only when one of its attributes is mapped.
//! - [`Access::ReadOnly`] makes the kept attribute `readOnly`; [`Access::WriteOnly`] makes it `writeOnly` and
//!   returned `never` (RFC 7643 §7: writeOnly "Attribute values SHALL NOT be returned"). [`Access::ReadWrite`]
//!   keeps the definition's own mutability (a mapping cannot make `groups` writable). A complex attribute whose
//!   kept sub-attributes all share one override takes it too.

use super::{Attribute, Mutability, ResourceSchema, Returned, Schema};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::patch_path::{PatchPath, PatchPathError};
use crate::scim::path::AttrPath;
use crate::scim::{Error, ScimType};
use std::collections::BTreeMap;

/// How the mapping lets clients use an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Read and written as the schema defines.
    #[default]
    ReadWrite,
    /// The product value is only read (the mapping's `read_only`).
    ReadOnly,
    /// The product value is only written (the mapping's `write_only`).
    WriteOnly,
}

/// One SCIM path the mapping fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The SCIM path, in PATCH path syntax (RFC 7644 §3.5.2), or a whole extension URN.
    pub path: String,
    /// What clients may do with it.
    pub access: Access,
}

impl Mapped {
    /// A mapped path with the given access.
    pub fn new(path: impl Into<String>, access: Access) -> Mapped {
        Mapped {
            path: path.into(),
            access,
        }
    }
}

/// Why a mapped path cannot restrict the schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The path is malformed.
    #[error("mapped path {path:?}: {source}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        source: PatchPathError,
    },
    /// The path names no attribute of the resource type.
    #[error("mapped path {0:?} names no attribute of the resource type")]
    Unknown(String),
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Self {
        Error::bad_request(ScimType::InvalidPath, e.to_string())
    }
}

/// What is selected of one top-level attribute.
#[derive(Debug, Default)]
struct Selection {
    /// The whole attribute, with this access (the strictest wins when mapped twice).
    whole: Option<Access>,
    /// Sub-attribute (lower-case name) → access.
    subs: BTreeMap<String, Access>,
    /// `type` values named by value filters.
    types: Vec<String>,
    /// Some path maps the attribute without a `type` filter: canonical values stay.
    any_type: bool,
}

/// Key of a top-level attribute: (schema URN or "" for common/core, lower-case name).
type Key = (String, String);

impl ResourceSchema {
    /// The schema restricted to `mapped` (see the module documentation for the rules).
    pub fn restricted(&self, mapped: &[Mapped]) -> Result<ResourceSchema, SchemaError> {
        let mut selected: BTreeMap<Key, Selection> = BTreeMap::new();
        for m in mapped {
            self.select(m, &mut selected)?;
        }
        let pick = |urn: &str, attrs: &[Attribute]| -> Vec<Attribute> {
            attrs
                .iter()
                .filter_map(|a| {
                    selected
                        .get(&(urn.to_owned(), a.name.to_ascii_lowercase()))
                        .map(|s| (a, s))
                })
                .map(|(a, s)| restrict(a, s))
                .collect()
        };
        let common = self
            .common
            .iter()
            .filter_map(|a| {
                if a.name == "id" || a.name == "meta" {
                    return Some(a.clone());
                }
                selected
                    .get(&(String::new(), a.name.to_ascii_lowercase()))
                    .map(|s| restrict(a, s))
            })
            .collect();
        let core = Schema {
            attributes: pick("", &self.core.attributes),
            ..self.core.clone()
        };
        let extensions = self
            .extensions
            .iter()
            .map(|ext| Schema {
                attributes: pick(&ext.id, &ext.attributes),
                ..ext.clone()
            })
            .filter(|ext| !ext.attributes.is_empty())
            .collect();
        Ok(ResourceSchema {
            common,
            core,
            extensions,
            ..self.clone()
        })
    }

    fn select(&self, m: &Mapped, selected: &mut BTreeMap<Key, Selection>) -> Result<(), SchemaError> {
        if let Some(ext) = self.extension(&m.path) {
            for a in &ext.attributes {
                let sel = selected
                    .entry((ext.id.clone(), a.name.to_ascii_lowercase()))
                    .or_default();
                sel.whole = Some(stricter(sel.whole, m.access));
                sel.any_type = true;
            }
            return Ok(());
        }
        let path = PatchPath::parse(m.path.trim()).map_err(|source| SchemaError::BadPath {
            path: m.path.clone(),
            source,
        })?;
        let unknown = || SchemaError::Unknown(m.path.clone());
        let top = AttrPath {
            sub: None,
            ..path.attr.clone()
        };
        let found = self.resolve(&top).ok_or_else(unknown)?;
        // Core attributes are keyed with "" like the common ones: the core URN prefix is optional.
        let urn = match found.schema {
            Some(urn) if !urn.eq_ignore_ascii_case(&self.core.id) => urn.to_owned(),
            Some(_) | None => String::new(),
        };
        let attr = found.attr;
        let sub = path.attr.sub.as_deref().or(path.sub.as_deref());
        if let Some(sub) = sub
            && attr.sub(sub).is_none()
        {
            return Err(unknown());
        }
        let sel = selected.entry((urn, attr.name.to_ascii_lowercase())).or_default();
        match &path.filter {
            Some(filter) => {
                let types = type_values(filter);
                sel.any_type |= types.is_empty();
                sel.types.extend(types);
            }
            None => sel.any_type = true,
        }
        match (sub, &path.filter) {
            (None, _) => sel.whole = Some(stricter(sel.whole, m.access)),
            (Some(sub), filter) => {
                let mut names = vec![sub.to_ascii_lowercase()];
                if filter.is_some() {
                    // The element's type travels with a value-path mapping. Its primary flag is not advertised:
                    // the product holds one value per type, so an IdP's `primary` (Entra and Okta send `true`) is
                    // accepted as a qualifier but is not stored.
                    names.push("type".to_owned());
                }
                for name in names.into_iter().filter(|n| attr.sub(n).is_some()) {
                    let access = sel.subs.get(&name).copied();
                    sel.subs.insert(name, stricter(access, m.access));
                }
            }
        }
        Ok(())
    }
}

/// Combining two mappings of the same attribute: ReadWrite only if both are.
fn stricter(have: Option<Access>, new: Access) -> Access {
    match (have, new) {
        (None, a) | (Some(Access::ReadWrite), a) => a,
        (Some(a), Access::ReadWrite) => a,
        (Some(a), b) if a == b => a,
        // One mapping only reads it and another only writes it: neither direction is complete.
        (Some(_), _) => Access::ReadOnly,
    }
}

fn restrict(def: &Attribute, sel: &Selection) -> Attribute {
    let mut out = def.clone();
    if let Some(access) = sel.whole {
        apply_access(&mut out, access);
        for sub in &mut out.sub_attributes {
            apply_access(sub, access);
        }
    } else {
        out.sub_attributes = def
            .sub_attributes
            .iter()
            .filter_map(|s| sel.subs.get(&s.name.to_ascii_lowercase()).map(|a| (s, *a)))
            .map(|(s, access)| {
                let mut s = s.clone();
                apply_access(&mut s, access);
                s
            })
            .collect();
        let accesses: Vec<Access> = sel.subs.values().copied().collect();
        if let Some(first) = accesses.first()
            && accesses.iter().all(|a| a == first)
        {
            apply_access(&mut out, *first);
        }
    }
    if !sel.any_type && !sel.types.is_empty() {
        for sub in out.sub_attributes.iter_mut().filter(|s| s.name == "type") {
            let mut values: Vec<String> = sub
                .canonical_values
                .iter()
                .filter(|v| sel.types.iter().any(|t| t.eq_ignore_ascii_case(v)))
                .cloned()
                .collect();
            for t in &sel.types {
                if !values.iter().any(|v| v.eq_ignore_ascii_case(t)) {
                    values.push(t.clone());
                }
            }
            sub.canonical_values = values;
        }
    }
    out
}

fn apply_access(a: &mut Attribute, access: Access) {
    match access {
        Access::ReadWrite => {}
        Access::ReadOnly => a.mutability = Mutability::ReadOnly,
        Access::WriteOnly => {
            a.mutability = Mutability::WriteOnly;
            a.returned = Returned::Never;
        }
    }
}

/// The `type eq "x"` terms of a value filter.
fn type_values(filter: &Filter) -> Vec<String> {
    match filter {
        Filter::Compare(p, CompareOp::Eq, CompValue::Str(v))
            if p.sub.is_none() && p.name.eq_ignore_ascii_case("type") =>
        {
            vec![v.clone()]
        }
        Filter::And(a, b) | Filter::Or(a, b) => {
            let mut out = type_values(a);
            out.extend(type_values(b));
            out
        }
        Filter::Compare(..) | Filter::Present(_) | Filter::Not(_) | Filter::ValuePath(..) => Vec::new(),
    }
}
