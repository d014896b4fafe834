//! What the evaluator needs to know about an attribute: its type and whether strings compare case-exactly.
//!
//! RFC 7644 §3.4.2.2: "the filter ... is evaluated against ... the attribute type" — strings honour `caseExact`
//! (RFC 7643 §2.2), dateTimes compare as instants. The schema layer knows the real definitions and implements
//! [`AttrTypes`]; [`CoreTypes`] is the fallback with the well-known RFC 7643 §4 attributes.

use crate::scim::path::AttrPath;

/// What the evaluator needs to know about an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrMeta {
    /// The attribute's data type (RFC 7643 §2.3).
    pub kind: AttrKind,
    /// Whether string values compare case-sensitively (RFC 7643 §2.2 `caseExact`).
    pub case_exact: bool,
}

/// The SCIM data types (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// §2.3.1 String.
    String,
    /// §2.3.2 Boolean.
    Boolean,
    /// §2.3.3 Decimal.
    Decimal,
    /// §2.3.4 Integer.
    Integer,
    /// §2.3.5 DateTime (an xsd:dateTime string).
    DateTime,
    /// §2.3.6 Binary (base64 string).
    Binary,
    /// §2.3.7 Reference (URI string).
    Reference,
    /// §2.3.8 Complex (sub-attributes).
    Complex,
}

impl AttrKind {
    /// The `type` keyword of RFC 7643 §7 (`string`, `dateTime`, `complex`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::String => "string",
            AttrKind::Boolean => "boolean",
            AttrKind::Decimal => "decimal",
            AttrKind::Integer => "integer",
            AttrKind::DateTime => "dateTime",
            AttrKind::Binary => "binary",
            AttrKind::Reference => "reference",
            AttrKind::Complex => "complex",
        }
    }
}

/// Looks up attribute types for the evaluator. Paths inside a value path arrive joined to their parent
/// (`emails[type eq "work"]` asks about `emails.type`).
pub trait AttrTypes {
    /// The type of the attribute at `path`; unknown attributes should answer a case-insensitive string.
    fn meta(&self, path: &AttrPath) -> AttrMeta;
}

/// Types when nothing is known: caseExact=false strings, except well-known RFC 7643 attributes
/// (meta.created/meta.lastModified dateTime; active/primary boolean; id/externalId/meta.version caseExact, ...).
#[derive(Debug, Clone, Copy, Default)]
pub struct CoreTypes;

const STRING: AttrMeta = AttrMeta {
    kind: AttrKind::String,
    case_exact: false,
};
const EXACT_STRING: AttrMeta = AttrMeta {
    kind: AttrKind::String,
    case_exact: true,
};
const BOOLEAN: AttrMeta = AttrMeta {
    kind: AttrKind::Boolean,
    case_exact: false,
};
const DATE_TIME: AttrMeta = AttrMeta {
    kind: AttrKind::DateTime,
    case_exact: false,
};
const COMPLEX: AttrMeta = AttrMeta {
    kind: AttrKind::Complex,
    case_exact: false,
};
const REFERENCE: AttrMeta = AttrMeta {
    kind: AttrKind::Reference,
    case_exact: false,
};
const EXACT_REFERENCE: AttrMeta = AttrMeta {
    kind: AttrKind::Reference,
    case_exact: true,
};
const BINARY: AttrMeta = AttrMeta {
    kind: AttrKind::Binary,
    case_exact: true,
};

impl AttrTypes for CoreTypes {
    fn meta(&self, path: &AttrPath) -> AttrMeta {
        let name = path.name.to_ascii_lowercase();
        let sub = path.sub.as_deref().map(str::to_ascii_lowercase);
        match (name.as_str(), sub.as_deref()) {
            // RFC 7643 §3.1: id and externalId are caseExact; §3.1 meta.version, meta.resourceType likewise.
            ("id" | "externalid", None) => EXACT_STRING,
            ("meta", Some("created" | "lastmodified")) => DATE_TIME,
            ("meta", Some("version" | "resourcetype")) => EXACT_STRING,
            ("meta", Some("location")) => EXACT_REFERENCE,
            // RFC 7643 §4.1.1 active, §2.4 primary.
            ("active", None) | (_, Some("primary")) => BOOLEAN,
            (_, Some("$ref")) => EXACT_REFERENCE,
            ("profileurl", None) | ("photos", Some("value")) => REFERENCE,
            ("x509certificates", Some("value")) => BINARY,
            (
                "meta" | "name" | "emails" | "phonenumbers" | "ims" | "photos" | "addresses" | "groups"
                | "entitlements" | "roles" | "x509certificates" | "members" | "manager",
                None,
            ) => COMPLEX,
            _ => STRING,
        }
    }
}
