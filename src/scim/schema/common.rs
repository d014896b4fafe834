//! The common attributes of every resource (RFC 7643 §3.1): `id`, `externalId`, `meta`; and the sub-attributes
//! multi-valued attributes share (RFC 7643 §2.4: `type`, `primary`, `display`, `value`).

use super::{Attribute, Mutability, Returned, Uniqueness};
use crate::scim::filter::AttrKind;

/// `id`, `externalId`, `meta`.
pub(super) fn attributes() -> Vec<Attribute> {
    vec![
        // RFC 7643 §3.1: id is "caseExact", "readOnly", returned "always", unique by the service provider.
        Attribute::new(
            "id",
            AttrKind::String,
            "Unique identifier for the SCIM resource as defined by the service provider.",
        )
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .uniqueness(Uniqueness::Server),
        // RFC 7643 §3.1: externalId "is ... caseExact" and issued by the provisioning client.
        Attribute::new(
            "externalId",
            AttrKind::String,
            "An identifier for the resource as defined by the provisioning client.",
        )
        .case_exact(),
        // RFC 7643 §3.1: meta and its sub-attributes "SHALL be ignored" when sent; they are readOnly.
        Attribute::new(
            "meta",
            AttrKind::Complex,
            "A complex attribute containing resource metadata.",
        )
        .mutability(Mutability::ReadOnly)
        .subs(vec![
            read_only(
                Attribute::new(
                    "resourceType",
                    AttrKind::String,
                    "The name of the resource type of the resource.",
                )
                .case_exact(),
            ),
            read_only(Attribute::new(
                "created",
                AttrKind::DateTime,
                "The DateTime that the resource was added to the service provider.",
            )),
            read_only(Attribute::new(
                "lastModified",
                AttrKind::DateTime,
                "The most recent DateTime that the details of this resource were updated at the service provider.",
            )),
            read_only(
                Attribute::new(
                    "location",
                    AttrKind::Reference,
                    "The URI of the resource being returned.",
                )
                .references(&["uri"]),
            ),
            read_only(
                Attribute::new(
                    "version",
                    AttrKind::String,
                    "The version of the resource being returned.",
                )
                .case_exact(),
            ),
        ]),
    ]
}

fn read_only(a: Attribute) -> Attribute {
    a.mutability(Mutability::ReadOnly)
}

/// `value`, `display`, `type`, `primary` of a multi-valued attribute (RFC 7643 §2.4), `value` of kind `kind`.
pub(super) fn multi_subs(kind: AttrKind, value: &str, types: &[&str]) -> Vec<Attribute> {
    let value = match kind {
        AttrKind::Reference => Attribute::new("value", kind, value).references(&["external"]),
        AttrKind::Binary => Attribute::new("value", kind, value).case_exact(),
        AttrKind::String
        | AttrKind::Boolean
        | AttrKind::Decimal
        | AttrKind::Integer
        | AttrKind::DateTime
        | AttrKind::Complex => Attribute::new("value", kind, value),
    };
    let mut ty = Attribute::new("type", AttrKind::String, "A label indicating the attribute's function.");
    if !types.is_empty() {
        ty = ty.canonical(types);
    }
    vec![
        value,
        Attribute::new(
            "display",
            AttrKind::String,
            "A human-readable name, primarily used for display purposes.",
        ),
        ty,
        Attribute::new(
            "primary",
            AttrKind::Boolean,
            "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.",
        ),
    ]
}
