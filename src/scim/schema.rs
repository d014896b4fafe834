//! Attribute definitions (RFC 7643 §2, §7): the User and Group schemas, the Enterprise User extension, and the
//! common attributes `id`, `externalId` and `meta`.
//!
//! This module owns what an attribute *is*: its type, multiplicity, case sensitivity, mutability, when it is
//! returned and its sub-attributes. Other modules ask it: the filter evaluator and PATCH through
//! [`AttrTypes`], projection for `returned`, discovery for the `/Schemas` bodies. The static definitions live in
//! `schema/{common,user,enterprise,group}.rs`; a [`ResourceSchema`] restricted to what a mapping holds is built by
//! [`ResourceSchema::restricted`] (`schema/restrict.rs`), and the RFC 7643 §7 JSON is written by `schema/render.rs`.
//! Written values are checked against the attribute types by `schema/check.rs` ([`ResourceSchema::check_resource`],
//! [`Attribute::check_value`]).
//!
//! RFC 7643 §2.1: "Attribute names are case insensitive"; every lookup here ignores case.

use crate::scim::filter::{AttrKind, AttrMeta, AttrTypes, CoreTypes};
use crate::scim::path::AttrPath;
use std::sync::LazyLock;

mod check;
mod common;
mod enterprise;
mod group;
mod render;
mod restrict;
mod user;

#[cfg(test)]
mod tests;

pub use restrict::{Access, Mapped, SchemaError};

/// `id` of the core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// `id` of the Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// `id` of the core Group schema (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// `schemas` URN of a schema definition (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// Prefix shared by the core schema URNs; RFC 7644 §3.10 lets clients omit it.
const CORE_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// "The attribute SHALL NOT be modified."
    ReadOnly,
    /// "The attribute MAY be updated and read at any time."
    ReadWrite,
    /// "The attribute MAY be defined at resource creation ... The attribute SHALL NOT be updated."
    Immutable,
    /// "The attribute MAY be updated at any time. Attribute values SHALL NOT be returned."
    WriteOnly,
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always returned, whatever `attributes` or `excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned by default, unless `attributes` leaves it out or `excludedAttributes` names it.
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No uniqueness is enforced.
    None,
    /// Unique within the service provider's current set of resources.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition (RFC 7643 §7 "attributes").
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name, in the case the RFC writes it.
    pub name: String,
    /// Its data type.
    pub kind: AttrKind,
    /// Whether it holds a list of values.
    pub multi_valued: bool,
    /// Human-readable description.
    pub description: String,
    /// Whether a value is required.
    pub required: bool,
    /// Whether string values compare case-sensitively.
    pub case_exact: bool,
    /// Whether and when clients may change it.
    pub mutability: Mutability,
    /// When it appears in responses.
    pub returned: Returned,
    /// How unique its values are.
    pub uniqueness: Uniqueness,
    /// Suggested values (`type` of `emails`: work, home, other).
    pub canonical_values: Vec<String>,
    /// For references: what they point at (`User`, `Group`, `external`, `uri`).
    pub reference_types: Vec<String>,
    /// For complex attributes: the sub-attributes.
    pub sub_attributes: Vec<Attribute>,
}

/// A schema (RFC 7643 §7): an id (URN), a name, a description and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Human-readable name (`User`).
    pub name: String,
    /// Human-readable description.
    pub description: String,
    /// The attributes, in RFC order.
    pub attributes: Vec<Attribute>,
}

/// Everything a resource type holds: the common attributes, its core schema and its extensions (RFC 7643 §3, §6).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// The resource type's id and name (`User`, `Group`).
    pub name: String,
    /// Its endpoint relative to the base URL (`/Users`).
    pub endpoint: String,
    /// Human-readable description of the resource type.
    pub description: String,
    /// `id`, `externalId`, `meta` (RFC 7643 §3.1): part of every resource, in no schema of their own.
    pub common: Vec<Attribute>,
    /// The core schema.
    pub core: Schema,
    /// The schema extensions; a restricted resource schema keeps only those with a mapped attribute.
    pub extensions: Vec<Schema>,
}

/// Where a path leads: the attribute and, for `name.sub`, the sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    /// The schema URN holding the attribute; `None` for the common attributes.
    pub schema: Option<&'a str>,
    /// The (top-level) attribute.
    pub attr: &'a Attribute,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'a Attribute>,
}

// === impl Attribute ===

impl Attribute {
    /// A single-valued, optional, case-insensitive, readWrite attribute returned by default, not unique.
    pub fn new(name: &str, kind: AttrKind, description: &str) -> Attribute {
        Attribute {
            name: name.to_owned(),
            kind,
            multi_valued: false,
            description: description.to_owned(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// Make it multi-valued.
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Make it required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Make string comparisons case-sensitive.
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Set the mutability.
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    /// Set when it is returned.
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    /// Set the uniqueness.
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }

    /// Set the canonical values.
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// Set the reference types (and make the attribute case-exact: RFC 7643 §2.3.7 references are URIs).
    pub fn references(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| (*v).to_owned()).collect();
        self.case_exact = true;
        self
    }

    /// Set the sub-attributes of a complex attribute.
    pub fn subs(mut self, subs: Vec<Attribute>) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute called `name`, ignoring case.
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// What the filter evaluator needs.
    pub fn meta(&self) -> AttrMeta {
        AttrMeta {
            kind: self.kind,
            case_exact: self.case_exact,
        }
    }
}

// === impl Schema ===

impl Schema {
    /// The attribute called `name`, ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

// === impl ResourceSchema ===

static USER: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
    name: "User".into(),
    endpoint: "/Users".into(),
    description: "User Account".into(),
    common: common::attributes(),
    core: user::schema(),
    extensions: vec![enterprise::schema()],
});

static GROUP: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
    name: "Group".into(),
    endpoint: "/Groups".into(),
    description: "Group".into(),
    common: common::attributes(),
    core: group::schema(),
    extensions: Vec::new(),
});

impl ResourceSchema {
    /// The full User resource type: RFC 7643 §4.1 with the §4.3 Enterprise User extension.
    pub fn user() -> &'static ResourceSchema {
        &USER
    }

    /// The full Group resource type (RFC 7643 §4.2).
    pub fn group() -> &'static ResourceSchema {
        &GROUP
    }

    /// The extension with this URN, ignoring case.
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The extension a bare schema URN names when parsed as a path: `urn:…:enterprise:2.0:User` parses as schema
    /// `urn:…:enterprise:2.0`, name `User` (see [`crate::scim::path`]).
    pub fn extension_of_path(&self, path: &AttrPath) -> Option<&Schema> {
        let schema = path.schema.as_deref()?;
        if path.sub.is_some() {
            return None;
        }
        self.extension(&format!("{schema}:{}", path.name))
    }

    /// Look up a path. RFC 7644 §3.10: an unqualified name, or one qualified with the core schema URN, is a common
    /// or core attribute; an extension attribute needs its URN. Names ignore case.
    pub fn resolve(&self, path: &AttrPath) -> Option<Resolved<'_>> {
        let (schema, attr) = match path.schema.as_deref() {
            None => self.core_or_common(&path.name)?,
            Some(urn) if urn.eq_ignore_ascii_case(&self.core.id) => self.core_or_common(&path.name)?,
            // Another core URN (a Group path on a User) names nothing here.
            Some(urn) if is_core(urn) => return None,
            Some(urn) => {
                let ext = self.extension(urn)?;
                (Some(ext.id.as_str()), ext.attribute(&path.name)?)
            }
        };
        let sub = match &path.sub {
            None => None,
            Some(name) => Some(attr.sub(name)?),
        };
        Some(Resolved { schema, attr, sub })
    }

    /// The top-level attribute `name`, common (`id`, `externalId`, `meta`) or of the core schema, with its URN.
    pub(crate) fn core_or_common(&self, name: &str) -> Option<(Option<&str>, &Attribute)> {
        if let Some(a) = self.common.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
            return Some((None, a));
        }
        self.core.attribute(name).map(|a| (Some(self.core.id.as_str()), a))
    }

    /// Every schema URN of the resource type: the core schema first, then the extensions.
    pub fn schema_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.core.id.as_str()).chain(self.extensions.iter().map(|s| s.id.as_str()))
    }
}

/// Types from the real definitions; paths the schema does not know fall back to [`CoreTypes`].
impl AttrTypes for ResourceSchema {
    fn meta(&self, path: &AttrPath) -> AttrMeta {
        match self.resolve(path) {
            Some(r) => r.target().meta(),
            None => CoreTypes.meta(path),
        }
    }
}

// === impl Resolved ===

impl Resolved<'_> {
    /// The attribute the path ends at: the sub-attribute if named, else the attribute.
    pub fn target(&self) -> &Attribute {
        self.sub.unwrap_or(self.attr)
    }
}

/// Whether `urn` is a core schema URN (`urn:ietf:params:scim:schemas:core:…`), whose prefix clients may omit.
pub(crate) fn is_core(urn: &str) -> bool {
    urn.get(..CORE_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(CORE_PREFIX))
}
