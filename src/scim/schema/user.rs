//! The core User schema, RFC 7643 §4.1 (attribute characteristics as in the §8.7.1 representation).

use super::common::multi_subs;
use super::{Attribute, Mutability, Returned, Schema, USER_SCHEMA, Uniqueness};
use crate::scim::filter::AttrKind;

fn string(name: &str, description: &str) -> Attribute {
    Attribute::new(name, AttrKind::String, description)
}

/// `urn:ietf:params:scim:schemas:core:2.0:User`.
pub(super) fn schema() -> Schema {
    Schema {
        id: USER_SCHEMA.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![
            // RFC 7643 §4.1.1: userName "REQUIRED", unique by the service provider, case-insensitive.
            string("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider.")
                .required()
                .uniqueness(Uniqueness::Server),
            Attribute::new("name", AttrKind::Complex, "The components of the user's real name.").subs(vec![
                string("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
                string("familyName", "The family name of the User, or last name in most Western languages."),
                string("givenName", "The given name of the User, or first name in most Western languages."),
                string("middleName", "The middle name(s) of the User."),
                string("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
                string("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
            ]),
            string("displayName", "The name of the User, suitable for display to end-users."),
            string("nickName", "The casual way to address the user in real life."),
            Attribute::new("profileUrl", AttrKind::Reference, "A fully qualified URL pointing to a page representing the User's online profile.")
                .references(&["external"]),
            string("title", "The user's title, such as \"Vice President\"."),
            string("userType", "Used to identify the relationship between the organization and the user."),
            string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
            string("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
            string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
            Attribute::new("active", AttrKind::Boolean, "A Boolean value indicating the User's administrative status."),
            // RFC 7643 §4.1.1: password is writeOnly and "SHALL NOT be returned" (returned "never").
            string("password", "The User's cleartext password.")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never),
            Attribute::new("emails", AttrKind::Complex, "Email addresses for the user.")
                .multi()
                .subs(multi_subs(AttrKind::String, "Email addresses for the user.", &["work", "home", "other"])),
            Attribute::new("phoneNumbers", AttrKind::Complex, "Phone numbers for the User.")
                .multi()
                .subs(multi_subs(AttrKind::String, "Phone number of the User.", &["work", "home", "mobile", "fax", "pager", "other"])),
            Attribute::new("ims", AttrKind::Complex, "Instant messaging addresses for the User.")
                .multi()
                .subs(multi_subs(AttrKind::String, "Instant messaging address for the User.", &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"])),
            Attribute::new("photos", AttrKind::Complex, "URLs of photos of the User.")
                .multi()
                .subs(multi_subs(AttrKind::Reference, "URL of a photo of the User.", &["photo", "thumbnail"])),
            addresses(),
            // RFC 7643 §4.1.2: groups "has a 'mutability' of 'readOnly'"; membership changes go through Groups.
            Attribute::new("groups", AttrKind::Complex, "A list of groups to which the user belongs.")
                .multi()
                .mutability(Mutability::ReadOnly)
                .subs(vec![
                    string("value", "The identifier of the User's group.").mutability(Mutability::ReadOnly),
                    Attribute::new("$ref", AttrKind::Reference, "The URI of the corresponding 'Group' resource to which the user belongs.")
                        .references(&["User", "Group"])
                        .mutability(Mutability::ReadOnly),
                    string("display", "A human-readable name, primarily used for display purposes.").mutability(Mutability::ReadOnly),
                    string("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.")
                        .canonical(&["direct", "indirect"])
                        .mutability(Mutability::ReadOnly),
                ]),
            Attribute::new("entitlements", AttrKind::Complex, "A list of entitlements for the User that represent a thing the User has.")
                .multi()
                .subs(multi_subs(AttrKind::String, "The value of an entitlement.", &[])),
            Attribute::new("roles", AttrKind::Complex, "A list of roles for the User that collectively represent who the User is.")
                .multi()
                .subs(multi_subs(AttrKind::String, "The value of a role.", &[])),
            Attribute::new("x509Certificates", AttrKind::Complex, "A list of certificates issued to the User.")
                .multi()
                .subs(multi_subs(AttrKind::Binary, "The value of an X.509 certificate.", &[])),
        ],
    }
}

fn addresses() -> Attribute {
    Attribute::new("addresses", AttrKind::Complex, "A physical mailing address for this User.")
        .multi()
        .subs(vec![
            string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
            string("streetAddress", "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information."),
            string("locality", "The city or locality component."),
            string("region", "The state or region component."),
            string("postalCode", "The zip code or postal code component."),
            string("country", "The country name component."),
            string("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.").canonical(&["work", "home", "other"]),
            // RFC 7643 §4.1.2: addresses carry "primary" like the other multi-valued attributes.
            Attribute::new("primary", AttrKind::Boolean, "A Boolean value indicating the 'primary' or preferred address."),
        ])
}
