//! `PatchPath::parse` and `AttrPath::parse` on arbitrary UTF-8: never panic, and what parses prints back to the
//! same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimgate::scim::filter::FilterError;
use scimgate::scim::patch_path::{PatchPath, PatchPathError};
use scimgate::scim::path::AttrPath;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(path) = PatchPath::parse(text) {
        let printed = path.to_string();
        match PatchPath::parse(&printed) {
            Ok(reparsed) => assert_eq!(reparsed, path, "round trip through {printed:?} changed {text:?}"),
            // Escaping can make the value filter's canonical text longer than the input (`\u{7f}` prints as
            // `\u007f`), past the filter length limit; nothing else may fail.
            Err(PatchPathError::Filter(e)) if matches!(*e, FilterError::TooLong { .. }) => {}
            Err(e) => panic!("canonical text {printed:?} of {text:?} does not parse: {e}"),
        }
    }
    if let Ok(path) = AttrPath::parse(text) {
        let printed = path.to_string();
        let reparsed = AttrPath::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical text {printed:?} of {text:?} does not parse: {e}"));
        assert_eq!(reparsed, path, "round trip through {printed:?} changed {text:?}");
    }
});
