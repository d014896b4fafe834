//! A request body as the gateway reads it, end to end without I/O: strict JSON parsing (`scim::body::parse`),
//! then, for a JSON object, what the classic mapping makes of it (the product body of a create, and the SCIM
//! resource a product object becomes), and a PATCH with it as the path-less value. Never panics; every refusal
//! is a SCIM 4xx.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimgate::preview::{self, Resource};
use scimgate::scim::body;
use std::sync::OnceLock;

fn mapping() -> &'static scimgate::mapping::Mapping {
    static MAPPING: OnceLock<scimgate::mapping::Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        let file = scimgate::config::from_toml(include_str!("../../config/examples/classic.toml")).expect("classic");
        preview::mapping_of(&file, None, None).expect("compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = body::parse(data, 32) else { return };
    for resource in [Resource::User, Resource::Group] {
        if let Err(e) = preview::to_product(mapping(), resource, &value) {
            assert!(e.status.is_client_error(), "{e:?}");
        }
        // Whatever the product answers must render or be a gateway error, never a panic.
        let _ = preview::to_scim(mapping(), resource, &value, "https://scim.example/scim/v2");
    }
});
