//! `Filter::parse` on arbitrary UTF-8: never panics; what parses prints back to the same tree, and evaluating it
//! against a sample user never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimgate::scim::filter::{CoreTypes, Filter, Limits};
use serde_json::{Value, json};
use std::sync::OnceLock;

fn sample() -> &'static Value {
    static USER: OnceLock<Value> = OnceLock::new();
    USER.get_or_init(|| {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "bjensen",
            "userName": "bjensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
            "displayName": "Babs Jensen",
            "active": true,
            "title": "Tour Guide",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
            "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
            },
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "version": "W/\"3694e05e9dff591\""
            }
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = Filter::parse(text) else {
        return;
    };
    let printed = filter.to_string();
    // Escaping can make the canonical text longer than the input (`\u{7f}` prints as `\u007f`), past the default
    // length limit; the round trip is about the grammar, so it is checked without that limit.
    let unbounded = Limits {
        max_len: usize::MAX,
        ..Limits::default()
    };
    let reparsed = Filter::parse_with(&printed, &unbounded)
        .unwrap_or_else(|e| panic!("canonical text {printed:?} of {text:?} does not parse: {e}"));
    assert_eq!(
        reparsed, filter,
        "round trip through {printed:?} changed the tree of {text:?}"
    );
    let _ = filter.matches(sample(), &CoreTypes);
});
