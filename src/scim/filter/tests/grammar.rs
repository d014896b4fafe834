//! One test per grammar rule and the RFC 7644 §3.4.2.2 example filters.

use super::*;
use serde_json::Number;

// === RFC 7644 §3.4.2.2 example filters ===

#[test]
fn rfc_examples_parse_to_expected_trees() {
    let j = "urn:ietf:params:scim:schemas:core:2.0:User:userName";
    let ex = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let when = "2011-05-13T04:42:34Z";
    let cases = [
        ("userName eq \"bjensen\"", eq("userName", "bjensen")),
        (
            "name.familyName co \"O'Malley\"",
            cmp("name.familyName", CompareOp::Co, s("O'Malley")),
        ),
        ("userName sw \"J\"", cmp("userName", CompareOp::Sw, s("J"))),
        (&format!("{j} sw \"J\""), cmp(j, CompareOp::Sw, s("J"))),
        ("title pr", pr("title")),
        (
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
            cmp("meta.lastModified", CompareOp::Gt, s(when)),
        ),
        (
            "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
            cmp("meta.lastModified", CompareOp::Ge, s(when)),
        ),
        (
            "meta.lastModified lt \"2011-05-13T04:42:34Z\"",
            cmp("meta.lastModified", CompareOp::Lt, s(when)),
        ),
        (
            "meta.lastModified le \"2011-05-13T04:42:34Z\"",
            cmp("meta.lastModified", CompareOp::Le, s(when)),
        ),
        (
            "title pr and userType eq \"Employee\"",
            and(pr("title"), eq("userType", "Employee")),
        ),
        (
            "title pr or userType eq \"Intern\"",
            or(pr("title"), eq("userType", "Intern")),
        ),
        (&format!("schemas eq \"{ex}\""), eq("schemas", ex)),
        (
            "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
            and(
                eq("userType", "Employee"),
                or(
                    cmp("emails", CompareOp::Co, s("example.com")),
                    cmp("emails.value", CompareOp::Co, s("example.org")),
                ),
            ),
        ),
        (
            "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
            and(
                cmp("userType", CompareOp::Ne, s("Employee")),
                not(or(
                    cmp("emails", CompareOp::Co, s("example.com")),
                    cmp("emails.value", CompareOp::Co, s("example.org")),
                )),
            ),
        ),
        (
            "userType eq \"Employee\" and (emails.type eq \"work\")",
            and(eq("userType", "Employee"), eq("emails.type", "work")),
        ),
        (
            "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
            and(
                eq("userType", "Employee"),
                vp(
                    "emails",
                    and(eq("type", "work"), cmp("value", CompareOp::Co, s("@example.com"))),
                ),
            ),
        ),
        (
            "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
            or(
                vp(
                    "emails",
                    and(eq("type", "work"), cmp("value", CompareOp::Co, s("@example.com"))),
                ),
                vp(
                    "ims",
                    and(eq("type", "xmpp"), cmp("value", CompareOp::Co, s("@foo.com"))),
                ),
            ),
        ),
        // §3.4.2.2: "filter=userName Eq \"john\"" — operators are case insensitive.
        ("userName Eq \"john\"", eq("userName", "john")),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text), want, "{text}");
    }
}

// === attrExp ===

#[test]
fn every_compare_op_parses_in_any_case() {
    for op in CompareOp::ALL {
        let upper = op.as_str().to_uppercase();
        assert_eq!(parse(&format!("title {upper} \"x\"")), cmp("title", op, s("x")));
        assert_eq!(parse(&format!("title {op} \"x\"")), cmp("title", op, s("x")));
    }
}

#[test]
fn present_keyword_is_case_insensitive() {
    assert_eq!(parse("title PR"), pr("title"));
    assert_eq!(parse("title Pr"), pr("title"));
}

#[test]
fn literals_true_false_null_are_case_insensitive() {
    assert_eq!(
        parse("active eq TRUE"),
        cmp("active", CompareOp::Eq, CompValue::Bool(true))
    );
    assert_eq!(
        parse("active eq False"),
        cmp("active", CompareOp::Eq, CompValue::Bool(false))
    );
    assert_eq!(parse("title eq nULL"), cmp("title", CompareOp::Eq, CompValue::Null));
}

#[test]
fn numbers_follow_json_grammar() {
    let num = |text: &str| match parse(&format!("n eq {text}")) {
        Filter::Compare(_, _, CompValue::Num(n)) => n,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(num("42"), Number::from(42));
    assert_eq!(num("-7"), Number::from(-7));
    assert_eq!(num("0"), Number::from(0));
    assert_eq!(num("18446744073709551615"), Number::from(u64::MAX));
    assert_eq!(num("1.5").as_f64(), Some(1.5));
    assert_eq!(num("-0.25").as_f64(), Some(-0.25));
    assert_eq!(num("1e3").as_f64(), Some(1000.0));
    assert_eq!(num("2.5E-2").as_f64(), Some(0.025));
    assert_eq!(num("1e+2").as_f64(), Some(100.0));
    for bad in ["01", "1.", "-", "1e", "1.2.3", "1e400", "--1", "0x10", "5and"] {
        let e = error(&format!("n eq {bad}"));
        assert_eq!(e, format!("invalid number {bad:?} at offset 5; expected a JSON number"));
    }
    for bad in [".5", "+1"] {
        assert!(
            error(&format!("n eq {bad}")).starts_with(&format!("unexpected {bad:?} at offset 5; expected a value"))
        );
    }
}

#[test]
fn strings_decode_every_json_escape() {
    let cases = [
        (r#""a\"b""#, "a\"b"),
        (r#""a\\b""#, "a\\b"),
        (r#""a\/b""#, "a/b"),
        (r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t"),
        (r#""caf\u00e9""#, "café"),
        (r#""\u00E9""#, "é"),
        (r#""\ud83d\ude00""#, "😀"),
        (r#""plain ünïcode 😀""#, "plain ünïcode 😀"),
        (r#""""#, ""),
        (r#""with ] and ) and [ inside""#, "with ] and ) and [ inside"),
    ];
    for (lit, want) in cases {
        assert_eq!(parse(&format!("title eq {lit}")), eq("title", want), "{lit}");
    }
}

#[test]
fn urn_qualified_paths() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let f = parse(&format!("{ent}:employeeNumber eq \"701984\""));
    let want = AttrPath {
        schema: Some(ent.to_owned()),
        name: "employeeNumber".to_owned(),
        sub: None,
    };
    assert_eq!(f, Filter::Compare(want, CompareOp::Eq, s("701984")));
    let f = parse(&format!(
        "{ent}:manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\""
    ));
    let want = AttrPath {
        schema: Some(ent.to_owned()),
        name: "manager".to_owned(),
        sub: Some("value".to_owned()),
    };
    assert_eq!(
        f,
        Filter::Compare(want, CompareOp::Eq, s("26118915-6090-4610-87e4-49d8ca9f808d"))
    );
}

#[test]
fn ref_is_an_attribute_name() {
    assert_eq!(parse("members[$ref pr]"), vp("members", pr("$ref")));
    assert_eq!(parse("members.$ref pr"), pr("members.$ref"));
}

// === logExp, precedence, grouping ===

#[test]
fn and_binds_tighter_than_or() {
    let f = parse("a eq 1 or b eq 2 and c eq 3");
    let n = |p: &str, v: i32| cmp(p, CompareOp::Eq, CompValue::Num(Number::from(v)));
    assert_eq!(f, or(n("a", 1), and(n("b", 2), n("c", 3))));
    assert_eq!(
        parse("a eq 1 and b eq 2 or c eq 3"),
        or(and(n("a", 1), n("b", 2)), n("c", 3))
    );
}

#[test]
fn and_or_are_left_associative() {
    assert_eq!(parse("a pr and b pr and c pr"), and(and(pr("a"), pr("b")), pr("c")));
    assert_eq!(parse("a pr or b pr or c pr"), or(or(pr("a"), pr("b")), pr("c")));
}

#[test]
fn parentheses_override_precedence() {
    assert_eq!(parse("(a pr or b pr) and c pr"), and(or(pr("a"), pr("b")), pr("c")));
    assert_eq!(parse("a pr and (b pr and c pr)"), and(pr("a"), and(pr("b"), pr("c"))));
    assert_eq!(parse("((a pr))"), pr("a"));
}

#[test]
fn not_binds_tighter_than_and_with_or_without_space() {
    assert_eq!(parse("not (title pr)"), not(pr("title")));
    assert_eq!(parse("not(title pr)"), not(pr("title")));
    assert_eq!(parse("NOT   (title pr)"), not(pr("title")));
    assert_eq!(parse("not (a pr) and b pr"), and(not(pr("a")), pr("b")));
    assert_eq!(parse("not (not (a pr))"), not(not(pr("a"))));
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(parse("a pr AND b pr Or c pr"), or(and(pr("a"), pr("b")), pr("c")));
}

#[test]
fn keyword_words_are_attribute_names_in_attribute_position() {
    assert_eq!(parse("not eq \"x\""), eq("not", "x"));
    assert_eq!(parse("and pr or or pr"), or(pr("and"), pr("or")));
    assert_eq!(parse("pr pr"), pr("pr"));
}

#[test]
fn whitespace_is_tolerated_but_required_between_words() {
    assert_eq!(parse("  title   eq\t\"x\"  "), eq("title", "x"));
    assert_eq!(parse("(a pr)and(b pr)"), and(pr("a"), pr("b")));
    assert_eq!(parse("emails[ type eq \"work\" ]"), vp("emails", eq("type", "work")));
    assert_eq!(
        error("userNameeq \"x\""),
        "unexpected \"\\\"x\\\"\" at offset 11; expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\""
    );
    assert_eq!(
        error("userName eq\"x\""),
        "missing whitespace before \"\\\"x\\\"\" at offset 11"
    );
    assert_eq!(
        error("a eq \"x\"and b pr"),
        "missing whitespace before \"and\" at offset 8"
    );
}

// === valuePath ===

#[test]
fn value_paths_hold_relative_filters() {
    assert_eq!(parse("emails[type eq \"work\"]"), vp("emails", eq("type", "work")));
    assert_eq!(
        parse("emails[not (primary eq true)]"),
        vp("emails", not(cmp("primary", CompareOp::Eq, CompValue::Bool(true))))
    );
    assert_eq!(
        parse("emails[(type eq \"a\" or type eq \"b\") and primary pr]"),
        vp("emails", and(or(eq("type", "a"), eq("type", "b")), pr("primary")))
    );
}

#[test]
fn sub_attribute_after_value_path_joins_the_value_filter() {
    // Entra: `emails[type eq "work"].value eq "x"` ≡ `emails[type eq "work" and value eq "x"]`.
    assert_eq!(
        parse("emails[type eq \"work\"].value eq \"x\""),
        vp("emails", and(eq("type", "work"), eq("value", "x")))
    );
    assert_eq!(
        parse("emails[type eq \"work\"].value pr"),
        vp("emails", and(eq("type", "work"), pr("value")))
    );
    assert_eq!(
        parse("emails[type eq \"a\" or type eq \"b\"].value sw \"j\" and x pr"),
        and(
            vp(
                "emails",
                and(
                    or(eq("type", "a"), eq("type", "b")),
                    cmp("value", CompareOp::Sw, s("j"))
                )
            ),
            pr("x")
        )
    );
    assert!(error("emails[type eq \"work\"].value").starts_with("unexpected end of filter at offset 28"));
    assert!(error("emails[type eq \"work\"].va.lue pr").starts_with("invalid attribute path \".va.lue\" at offset 22"));
}

#[test]
fn value_paths_do_not_nest() {
    assert_eq!(
        error("groups[members[value eq \"1\"]]"),
        "value paths cannot nest: \"[\" at offset 14 is inside another \"[...]\""
    );
    assert!(error("groups[(members[value eq \"1\"])]").starts_with("value paths cannot nest"));
}

#[test]
fn unbalanced_brackets_and_parens_are_rejected() {
    assert_eq!(
        error("emails[type eq \"work\""),
        "unexpected end of filter at offset 21; expected \"and\", \"or\" or \"]\""
    );
    assert_eq!(
        error("(a pr"),
        "unexpected end of filter at offset 5; expected \"and\", \"or\" or \")\""
    );
    assert_eq!(
        error("a pr)"),
        "unexpected \")\" at offset 4; expected \"and\", \"or\" or the end of the filter"
    );
    assert_eq!(
        error("emails]"),
        "unexpected \"]\" at offset 6; expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\""
    );
    assert!(error("emails [type eq \"work\"]").starts_with("unexpected \"[\" at offset 7"));
}
