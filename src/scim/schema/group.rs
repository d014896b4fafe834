//! The core Group schema, RFC 7643 §4.2.

use super::{Attribute, GROUP_SCHEMA, Mutability, Schema};
use crate::scim::filter::AttrKind;

/// `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub(super) fn schema() -> Schema {
    Schema {
        id: GROUP_SCHEMA.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![
            // RFC 7643 §4.2: displayName "A human-readable name for the Group. REQUIRED."
            Attribute::new("displayName", AttrKind::String, "A human-readable name for the Group.").required(),
            Attribute::new("members", AttrKind::Complex, "A list of members of the Group.")
                .multi()
                .subs(vec![
                    // RFC 7643 §8.7.1: members.value, $ref and type are immutable.
                    Attribute::new("value", AttrKind::String, "Identifier of the member of this Group.")
                        .mutability(Mutability::Immutable),
                    Attribute::new(
                        "$ref",
                        AttrKind::Reference,
                        "The URI corresponding to a SCIM resource that is a member of this Group.",
                    )
                    .references(&["User", "Group"])
                    .mutability(Mutability::Immutable),
                    Attribute::new(
                        "display",
                        AttrKind::String,
                        "A human-readable name, primarily used for display purposes.",
                    )
                    .mutability(Mutability::ReadOnly),
                    Attribute::new(
                        "type",
                        AttrKind::String,
                        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                    )
                    .canonical(&["User", "Group"])
                    .mutability(Mutability::Immutable),
                ]),
        ],
    }
}
