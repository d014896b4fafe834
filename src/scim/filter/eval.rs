//! Evaluating a [`Filter`] against a SCIM resource as the gateway renders it (a JSON object).
//!
//! RFC 7644 §3.4.2.2 semantics, and the choices made where it is silent:
//! - Attribute names match case-insensitively (RFC 7643 §2.1). A path qualified with a core schema URN
//!   (`urn:ietf:params:scim:schemas:core:...`) reads the top level; any other URN reads the extension object keyed
//!   by that URN. An unqualified path reads the top level only. Inside `[...]`, paths are relative to each element
//!   and a schema prefix is ignored.
//! - "If the specified attribute in a filter expression is a multi-valued attribute, the filter matches if any of
//!   the values of the specified attribute match the specified criterion". For a complex value compared without a
//!   sub-attribute (`emails co "@x"`, `manager eq "42"`) its `value` sub-attribute is compared (RFC 7643 §2.4).
//! - `eq ne co sw ew` honour caseExact (Unicode lower-casing when false); `gt ge lt le` order strings by code
//!   point after the same folding. On dateTime attributes both sides are read as RFC 3339 instants (a missing offset
//!   means UTC, as xsd:dateTime allows); if either does not parse, nothing matches. Numbers compare numerically,
//!   integer against decimal. Booleans support `eq`/`ne` only; `co sw ew` apply to strings only.
//! - `pr`: present and not null, not `""`, not `[]`, not `{}`. `x eq null` means "x is not present", `x ne null`
//!   means "x is present".
//! - `ne` is the negation of `eq`: true on an absent attribute, and on a multi-valued attribute true only when no
//!   value equals (`members ne "42"`: 42 is not a member).

use super::{AttrKind, AttrMeta, AttrTypes, CompValue, CompareOp, Filter};
use crate::scim::json;
use crate::scim::path::AttrPath;
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Does `f` match `base`? `parent` is the multi-valued attribute when `base` is one of its elements.
pub(super) fn matches(f: &Filter, base: &Value, parent: Option<&AttrPath>, types: &dyn AttrTypes) -> bool {
    match f {
        Filter::And(a, b) => matches(a, base, parent, types) && matches(b, base, parent, types),
        Filter::Or(a, b) => matches(a, base, parent, types) || matches(b, base, parent, types),
        Filter::Not(a) => !matches(a, base, parent, types),
        Filter::Present(path) => present(&lookup(base, path, parent)),
        Filter::Compare(path, op, value) => compare(base, path, parent, *op, value, types),
        Filter::ValuePath(path, inner) => {
            let full = joined(parent, path);
            lookup(base, path, parent)
                .into_iter()
                .any(|e| e.is_object() && matches(inner, e, Some(&full), types))
        }
    }
}

fn compare(
    base: &Value,
    path: &AttrPath,
    parent: Option<&AttrPath>,
    op: CompareOp,
    value: &CompValue,
    types: &dyn AttrTypes,
) -> bool {
    let found = lookup(base, path, parent);
    if *value == CompValue::Null {
        return match op {
            CompareOp::Eq => !present(&found),
            CompareOp::Ne => present(&found),
            // Ordering and substring operators against null match nothing.
            CompareOp::Co
            | CompareOp::Sw
            | CompareOp::Ew
            | CompareOp::Gt
            | CompareOp::Ge
            | CompareOp::Lt
            | CompareOp::Le => false,
        };
    }
    // `ne` is the negation of `eq`: true when absent, and for multi-valued attributes when no value equals.
    let (op, negate) = if op == CompareOp::Ne {
        (CompareOp::Eq, true)
    } else {
        (op, false)
    };
    let full = joined(parent, path);
    let meta = types.meta(&full);
    let any = found.into_iter().any(|v| {
        if v.is_object() && full.sub.is_none() {
            // A complex value without a sub-attribute in the path: compare its "value" (RFC 7643 §2.4).
            return json::get(v, "value").is_some_and(|inner| {
                let sub = AttrPath {
                    sub: Some("value".to_owned()),
                    ..full.clone()
                };
                compare_one(inner, op, value, types.meta(&sub))
            });
        }
        compare_one(v, op, value, meta)
    });
    any != negate
}

/// One stored value against the filter value.
fn compare_one(v: &Value, op: CompareOp, value: &CompValue, meta: AttrMeta) -> bool {
    match (value, v) {
        (CompValue::Str(want), Value::String(have)) if meta.kind == AttrKind::DateTime => {
            compare_date_times(have, op, want)
        }
        (CompValue::Str(want), Value::String(have)) => compare_strings(have, op, want, meta.case_exact),
        (CompValue::Num(want), Value::Number(have)) => cmp_numbers(have, want).is_some_and(|o| ordered(op, o)),
        (CompValue::Bool(want), Value::Bool(have)) => op == CompareOp::Eq && have == want,
        (CompValue::Str(_) | CompValue::Num(_) | CompValue::Bool(_), _) => false,
        // Handled as presence in `compare`.
        (CompValue::Null, _) => false,
    }
}

fn compare_strings(have: &str, op: CompareOp, want: &str, case_exact: bool) -> bool {
    let (have, want): (Cow<'_, str>, Cow<'_, str>) = if case_exact {
        (have.into(), want.into())
    } else {
        (have.to_lowercase().into(), want.to_lowercase().into())
    };
    match op {
        CompareOp::Co => have.contains(&*want),
        CompareOp::Sw => have.starts_with(&*want),
        CompareOp::Ew => have.ends_with(&*want),
        CompareOp::Eq | CompareOp::Ne | CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            ordered(op, have.cmp(&want))
        }
    }
}

fn compare_date_times(have: &str, op: CompareOp, want: &str) -> bool {
    match op {
        // Substring operators see the text, not the instant.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => compare_strings(have, op, want, true),
        CompareOp::Eq | CompareOp::Ne | CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            match (parse_date_time(have), parse_date_time(want)) {
                (Some(a), Some(b)) => ordered(op, a.cmp(&b)),
                (None, _) | (_, None) => false,
            }
        }
    }
}

/// RFC 3339, or an xsd:dateTime without offset read as UTC.
pub(super) fn parse_date_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
        PrimitiveDateTime::parse(s, local)
            .ok()
            .map(PrimitiveDateTime::assume_utc)
    })
}

fn cmp_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from));
    match (int(a), int(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        (None, _) | (_, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// Apply an ordering operator; substring operators never match non-strings.
fn ordered(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o.is_eq(),
        CompareOp::Ne => o.is_ne(),
        CompareOp::Gt => o.is_gt(),
        CompareOp::Ge => o.is_ge(),
        CompareOp::Lt => o.is_lt(),
        CompareOp::Le => o.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Some value is not null, `""`, `[]` or `{}`.
fn present(found: &[&Value]) -> bool {
    found.iter().any(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    })
}

/// The values at `path`, with multi-valued attributes flattened one level.
fn lookup<'v>(base: &'v Value, path: &AttrPath, parent: Option<&AttrPath>) -> Vec<&'v Value> {
    let root = match (&path.schema, parent) {
        (None, _) | (Some(_), Some(_)) => Some(base),
        (Some(urn), None) if is_core_schema(urn) => Some(base),
        (Some(urn), None) => json::get(base, urn),
    };
    let Some(top) = root.and_then(|r| json::get(r, &path.name)) else {
        return Vec::new();
    };
    match &path.sub {
        None => flatten(top).collect(),
        Some(sub) => flatten(top)
            .filter_map(|e| json::get(e, sub))
            .flat_map(flatten)
            .collect(),
    }
}

/// The elements of an array, or the value itself when it is not one.
fn flatten(v: &Value) -> impl Iterator<Item = &Value> {
    let (items, single) = match v {
        Value::Array(items) => (items.as_slice(), None),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) | Value::Object(_) => (&[][..], Some(v)),
    };
    items.iter().chain(single)
}

fn is_core_schema(urn: &str) -> bool {
    const CORE: &str = "urn:ietf:params:scim:schemas:core:";
    urn.get(..CORE.len()).is_some_and(|p| p.eq_ignore_ascii_case(CORE))
}

/// The absolute path of `path` for type lookup: `emails` + `type` → `emails.type`.
fn joined(parent: Option<&AttrPath>, path: &AttrPath) -> AttrPath {
    match parent {
        None => path.clone(),
        Some(p) => AttrPath {
            schema: p.schema.clone(),
            name: p.name.clone(),
            sub: Some(path.name.clone()),
        },
    }
}
