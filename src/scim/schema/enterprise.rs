//! The Enterprise User extension, RFC 7643 §4.3.

use super::{Attribute, ENTERPRISE_USER_SCHEMA, Mutability, Schema};
use crate::scim::filter::AttrKind;

fn string(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrKind::String, description)
}

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub(super) fn schema() -> Schema {
    Schema {
        id: ENTERPRISE_USER_SCHEMA.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![
            string(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
            ),
            string("costCenter", "Identifies the name of a cost center."),
            string("organization", "Identifies the name of an organization."),
            string("division", "Identifies the name of a division."),
            string("department", "Identifies the name of a department."),
            Attribute::new("manager", AttrKind::Complex, "The User's manager.").subs(vec![
                string("value", "The id of the SCIM resource representing the User's manager."),
                Attribute::new(
                    "$ref",
                    AttrKind::Reference,
                    "The URI of the SCIM resource representing the User's manager.",
                )
                .references(&["User"]),
                // RFC 7643 §4.3: manager.displayName is "OPTIONAL and READ-ONLY".
                string("displayName", "The displayName of the User's manager.").mutability(Mutability::ReadOnly),
            ]),
        ],
    }
}
