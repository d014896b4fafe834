//! `patch::parse` on arbitrary JSON, then `patch::apply` to a sample user: never panics, and a failure leaves a
//! SCIM 400.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimgate::scim::Error;
use scimgate::scim::filter::CoreTypes;
use scimgate::scim::patch;
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
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "displayName": "Babs Jensen",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "primary": true}],
            "members": [{"value": "1"}, {"value": "2"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            },
            "meta": {"resourceType": "User"}
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let result = patch::parse(&body, 1000).and_then(|ops| patch::apply(sample(), &ops, &CoreTypes));
    if let Err(e) = result {
        assert_eq!(Error::from(e).status.as_u16(), 400);
    }
});
