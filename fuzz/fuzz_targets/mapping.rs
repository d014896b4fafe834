//! Config text as an operator writes it: TOML → config file structs → every mapping compiled (attribute paths,
//! pointers, templates, endpoint templates, paging, membership styles). Never panics; a mistake is an error that
//! names a key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = scimgate::config::from_toml(text) else { return };
    for (name, table) in &file.mappings {
        if let Err(e) = scimgate::mapping::compile(table, &format!("mappings.{name}")) {
            assert!(e.to_string().starts_with("mappings."), "{e}");
        }
    }
});
