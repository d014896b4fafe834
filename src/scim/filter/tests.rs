//! Tests of the filter grammar, canonical text and evaluation.

mod errors;
mod eval;
mod grammar;
mod roundtrip;

use super::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;

/// Parse or fail the test with the error.
fn parse(s: &str) -> Filter {
    match Filter::parse(s) {
        Ok(f) => f,
        Err(e) => panic!("{s:?} should parse: {e}"),
    }
}

/// The error message for a filter that must not parse.
fn error(s: &str) -> String {
    match Filter::parse(s) {
        Ok(f) => panic!("{s:?} should not parse, got {f:?}"),
        Err(e) => e.to_string(),
    }
}

fn path(s: &str) -> AttrPath {
    match AttrPath::parse(s) {
        Ok(p) => p,
        Err(e) => panic!("{s:?} should be a path: {e}"),
    }
}

fn cmp(p: &str, op: CompareOp, v: CompValue) -> Filter {
    Filter::Compare(path(p), op, v)
}

fn eq(p: &str, v: &str) -> Filter {
    cmp(p, CompareOp::Eq, s(v))
}

fn s(v: &str) -> CompValue {
    CompValue::Str(v.to_owned())
}

fn pr(p: &str) -> Filter {
    Filter::Present(path(p))
}

fn and(a: Filter, b: Filter) -> Filter {
    Filter::And(Box::new(a), Box::new(b))
}

fn or(a: Filter, b: Filter) -> Filter {
    Filter::Or(Box::new(a), Box::new(b))
}

fn not(a: Filter) -> Filter {
    Filter::Not(Box::new(a))
}

fn vp(p: &str, inner: Filter) -> Filter {
    Filter::ValuePath(path(p), Box::new(inner))
}
