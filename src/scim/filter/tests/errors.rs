//! Error messages (offsets, expectations), the SCIM error they become, and the parser's limits.

use super::*;
use crate::scim::filter::{FilterError, Limits};
use crate::scim::{Error, ScimType};

#[test]
fn bad_strings_are_rejected_with_offsets() {
    assert_eq!(
        error(r#"title eq "abc"#),
        "invalid string at offset 9: unterminated string; expected a closing '\"'"
    );
    assert!(error(r#"title eq "a\qb""#).starts_with("invalid string at offset 11: invalid escape"));
    assert!(error(r#"title eq "\u12""#).contains("four hex digits"));
    assert!(error(r#"title eq "\ud83d""#).contains("unpaired surrogate"));
    assert!(error(r#"title eq "\ude00""#).contains("unpaired surrogate"));
    assert!(error("title eq \"a\tb\"").contains("control characters"));
}

// === errors ===

#[test]
fn errors_name_offset_and_expectation() {
    assert_eq!(
        error("userName foo \"x\""),
        "unexpected \"foo\" at offset 9; expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\""
    );
    assert_eq!(
        error(""),
        "unexpected end of filter at offset 0; expected an attribute path, \"(\" or \"not (\""
    );
    assert_eq!(
        error("   "),
        "unexpected end of filter at offset 3; expected an attribute path, \"(\" or \"not (\""
    );
    assert_eq!(
        error("title eq"),
        "unexpected end of filter at offset 8; expected a value (a JSON string, a number, true, false or null)"
    );
    assert_eq!(
        error("title eq john"),
        "unexpected \"john\" at offset 9; expected a value (a JSON string, a number, true, false or null)"
    );
    assert_eq!(
        error("a pr and"),
        "unexpected end of filter at offset 8; expected an attribute path, \"(\" or \"not (\""
    );
    assert_eq!(
        error("a pr b pr"),
        "unexpected \"b\" at offset 5; expected \"and\", \"or\" or the end of the filter"
    );
    assert_eq!(
        error("()"),
        "unexpected \")\" at offset 1; expected an attribute path, \"(\" or \"not (\""
    );
    assert!(error("not title pr").starts_with("unexpected \"title\" at offset 4; expected a comparison operator"));
    assert!(error("\"x\" eq title").starts_with("unexpected \"\\\"x\\\"\" at offset 0; expected an attribute path"));
}

#[test]
fn offsets_count_characters_not_bytes() {
    assert_eq!(
        error("title eq \"é😀\" zz"),
        "unexpected \"zz\" at offset 14; expected \"and\", \"or\" or the end of the filter"
    );
}

#[test]
fn bad_attribute_paths_are_rejected() {
    assert_eq!(
        error("1abc pr"),
        "invalid number \"1abc\" at offset 0; expected a JSON number"
    );
    assert_eq!(
        error("a..b pr"),
        "invalid attribute path \"a..b\" at offset 0: attribute path \"a..b\" has more than one sub-attribute; expected name or name.subAttribute"
    );
    assert!(error("na%me pr").starts_with("invalid attribute path \"na%me\" at offset 0: invalid attribute name"));
    assert!(error("urn:x pr").starts_with("invalid attribute path \"urn:x\""));
}

#[test]
fn filter_error_becomes_400_invalid_filter() {
    let e: Error = FilterError::TooDeep { max: 2, at: 3 }.into();
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(e.detail, "filter nests deeper than 2 levels at offset 3");
}

// === limits ===

#[test]
fn input_longer_than_max_len_is_rejected_before_parsing() {
    let limits = Limits {
        max_len: 10,
        max_depth: 32,
    };
    assert!(matches!(
        Filter::parse_with("(((((((((((", &limits),
        Err(FilterError::TooLong { len: 11, max: 10 })
    ));
    assert!(Filter::parse_with("title pr", &limits).is_ok());
    let long = format!("title eq \"{}\"", "x".repeat(5000));
    assert_eq!(error(&long), "filter is 5011 characters long; the limit is 4096");
}

#[test]
fn nesting_deeper_than_max_depth_is_rejected() {
    let limits = Limits {
        max_len: 4096,
        max_depth: 3,
    };
    assert!(Filter::parse_with("(((a pr)))", &limits).is_ok());
    assert!(matches!(
        Filter::parse_with("((((a pr))))", &limits),
        Err(FilterError::TooDeep { max: 3, at: 3 })
    ));
    assert!(matches!(
        Filter::parse_with("not (not (not (not (a pr))))", &limits),
        Err(FilterError::TooDeep { .. })
    ));
    assert!(matches!(
        Filter::parse_with("((x[(a pr)]))", &limits),
        Err(FilterError::TooDeep { max: 3, at: 4 })
    ));
    assert!(Filter::parse_with("(x[(a pr)])", &limits).is_ok());
}

#[test]
fn hundred_thousand_parens_error_without_overflow() {
    let limits = Limits {
        max_len: usize::MAX,
        max_depth: 32,
    };
    let deep = format!("{}a pr{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(matches!(
        Filter::parse_with(&deep, &limits),
        Err(FilterError::TooDeep { max: 32, at: 32 })
    ));
    let nots = "not (".repeat(100_000);
    assert!(matches!(
        Filter::parse_with(&nots, &limits),
        Err(FilterError::TooDeep { .. })
    ));
    assert!(matches!(Filter::parse(&deep), Err(FilterError::TooLong { .. })));
}

#[test]
fn longest_default_chains_parse_display_and_evaluate() {
    // `and`/`or` chains are not nesting: the tree grows one level per operator, bounded by max_len.
    for op in [" and ", " or "] {
        let n = (4096 + op.len()) / ("a pr".len() + op.len());
        let chain = vec!["a pr"; n].join(op);
        assert!(chain.len() <= 4096);
        let f = parse(&chain);
        assert_eq!(f.to_string(), chain);
        assert!(f.matches(&serde_json::json!({ "a": 1 }), &crate::scim::filter::CoreTypes));
    }
}
