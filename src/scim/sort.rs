//! Sorting list results (RFC 7644 §3.4.2.3): `sortBy` and `sortOrder`, and ordering rendered resources.
//!
//! RFC 7644 §3.4.2.3:
//! - sortBy: "If the attribute is multi-valued, resources MUST be sorted by the value of the primary attribute
//!   (see Section 2.4 of [RFC7643]), if any, or else the first value in the list, if any. If the attribute is
//!   complex, the attribute name must be a path to a sub-attribute". A complex attribute named without one is
//!   sorted by its `value` sub-attribute, as the filter evaluator compares it.
//! - sortOrder: "Allowed values are "ascending" and "descending". If a value for "sortBy" is provided and no
//!   "sortOrder" is specified, "sortOrder" SHALL default to ascending." Strings sort case-insensitively unless the
//!   attribute is caseExact ("sort the result using case-insensitive Unicode alphabetic sort order").
//! - "For all attribute types, if there is no data for the specified "sortBy" value, they are sorted via the
//!   "sortOrder" parameter, i.e., they are ordered last if ascending and first if descending."
//!
//! The keywords of `sortOrder` are matched ignoring case; anything else is `400 invalidValue` (RFC 7644 §3.12
//! Table 9 lists invalidValue for GET). The sort is stable, so equal keys keep the product's order.

use crate::scim::filter::{self, AttrKind, AttrTypes};
use crate::scim::path::AttrPath;
use crate::scim::projection::top_level;
use crate::scim::{Error, ScimType, json};
use serde_json::Value;
use std::cmp::Ordering;

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first, missing values last (the default).
    #[default]
    Ascending,
    /// Largest first, missing values first.
    Descending,
}

impl SortOrder {
    /// `ascending` or `descending`, any case; anything else is 400 invalidValue.
    pub fn parse(text: &str) -> Result<SortOrder, Error> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ascending" => Ok(SortOrder::Ascending),
            "descending" => Ok(SortOrder::Descending),
            _ => Err(Error::bad_request(
                ScimType::InvalidValue,
                format!(
                    "sortOrder must be \"ascending\" or \"descending\", got {:?}",
                    text.chars().take(40).collect::<String>()
                ),
            )),
        }
    }
}

/// Parse `sortBy`: one attribute path in standard attribute notation; a malformed one is 400 invalidValue.
pub fn parse_sort_by(text: &str) -> Result<AttrPath, Error> {
    AttrPath::parse(text.trim()).map_err(|e| Error::bad_request(ScimType::InvalidValue, format!("sortBy: {e}")))
}

/// Sort rendered resources by `by`, honouring the attribute's type and caseExact from `types`.
pub fn sort(resources: &mut [Value], by: &AttrPath, order: SortOrder, types: &dyn AttrTypes) {
    let key_path = match by.sub {
        Some(_) => by.clone(),
        None if types.meta(by).kind == AttrKind::Complex => AttrPath {
            sub: Some("value".into()),
            ..by.clone()
        },
        None => by.clone(),
    };
    let meta = types.meta(&key_path);
    let mut keyed: Vec<(Option<Key>, Value)> = resources
        .iter_mut()
        .map(|r| {
            let key = sort_value(r, &key_path).and_then(|v| Key::of(v, meta.kind, meta.case_exact));
            (key, std::mem::take(r))
        })
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let o = match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            // Missing sorts after present; reversing for descending puts it first, as RFC 7644 §3.4.2.3 says.
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        match order {
            SortOrder::Ascending => o,
            SortOrder::Descending => o.reverse(),
        }
    });
    for (slot, (_, value)) in resources.iter_mut().zip(keyed) {
        *slot = value;
    }
}

/// The value a resource sorts by: the primary (else first) element of a multi-valued attribute, then the
/// sub-attribute.
fn sort_value<'v>(resource: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let top = top_level(resource, path)?;
    let element = match top {
        Value::Array(items) => items
            .iter()
            .find(|e| json::get(e, "primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| items.first())?,
        other => other,
    };
    match &path.sub {
        None => Some(element),
        Some(sub) => json::get(element, sub),
    }
}

/// A comparable sort key.
#[derive(Debug, PartialEq, PartialOrd)]
enum Key {
    Bool(bool),
    Number(f64),
    Instant(time::OffsetDateTime),
    Text(String),
}

impl Key {
    fn of(v: &Value, kind: AttrKind, case_exact: bool) -> Option<Key> {
        match v {
            Value::Bool(b) => Some(Key::Bool(*b)),
            Value::Number(n) => n.as_f64().map(Key::Number),
            Value::String(s) if kind == AttrKind::DateTime => Some(
                filter::parse_date_time(s)
                    .map(Key::Instant)
                    .unwrap_or_else(|| Key::Text(s.clone())),
            ),
            Value::String(s) if case_exact => Some(Key::Text(s.clone())),
            Value::String(s) => Some(Key::Text(s.to_lowercase())),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }

    fn cmp(&self, other: &Key) -> Ordering {
        // Keys of different kinds (bad data) order by kind, so the sort stays total.
        self.partial_cmp(other)
            .unwrap_or_else(|| self.rank().cmp(&other.rank()))
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Bool(_) => 0,
            Key::Number(_) => 1,
            Key::Instant(_) => 2,
            Key::Text(_) => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::CoreTypes;
    use crate::scim::schema::ResourceSchema;
    use serde_json::json;

    fn ids(v: &[Value]) -> Vec<&str> {
        v.iter().map(|r| r["id"].as_str().unwrap_or("?")).collect()
    }

    fn sorted(mut v: Vec<Value>, by: &str, order: SortOrder) -> Vec<Value> {
        sort(&mut v, &parse_sort_by(by).unwrap(), order, ResourceSchema::user());
        v
    }

    #[test]
    fn strings_sort_case_insensitively_missing_last_ascending_first_descending() {
        let users = vec![
            json!({"id": "1", "userName": "bob"}),
            json!({"id": "2"}),
            json!({"id": "3", "userName": "Alice"}),
            json!({"id": "4", "userName": "carol"}),
        ];
        assert_eq!(
            ids(&sorted(users.clone(), "userName", SortOrder::Ascending)),
            ["3", "1", "4", "2"]
        );
        assert_eq!(
            ids(&sorted(users, "userName", SortOrder::Descending)),
            ["2", "4", "1", "3"]
        );
    }

    #[test]
    fn case_exact_attributes_sort_by_code_point() {
        let users = vec![json!({"id": "b"}), json!({"id": "B"}), json!({"id": "a"})];
        assert_eq!(ids(&sorted(users, "id", SortOrder::Ascending)), ["B", "a", "b"]);
    }

    #[test]
    fn multi_valued_sorts_by_primary_else_first_value() {
        let users = vec![
            json!({"id": "1", "emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}]}),
            json!({"id": "2", "emails": [{"value": "m@x"}, {"value": "b@x"}]}),
        ];
        assert_eq!(
            ids(&sorted(users.clone(), "emails.value", SortOrder::Ascending)),
            ["1", "2"]
        );
        assert_eq!(ids(&sorted(users, "emails", SortOrder::Descending)), ["2", "1"]);
    }

    #[test]
    fn date_times_sort_as_instants_and_extension_paths_work() {
        let users = vec![
            json!({"id": "1", "meta": {"lastModified": "2024-01-01T10:00:00+02:00"}}),
            json!({"id": "2", "meta": {"lastModified": "2024-01-01T09:00:00Z"}}),
        ];
        assert_eq!(
            ids(&sorted(users, "meta.lastModified", SortOrder::Ascending)),
            ["1", "2"]
        );
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let users = vec![
            json!({"id": "1", ent: {"employeeNumber": "9"}}),
            json!({"id": "2", ent: {"employeeNumber": "10"}}),
        ];
        let mut v = users;
        sort(
            &mut v,
            &parse_sort_by(&format!("{ent}:employeeNumber")).unwrap(),
            SortOrder::Ascending,
            &CoreTypes,
        );
        assert_eq!(ids(&v), ["2", "1"], "strings sort as text");
    }

    #[test]
    fn sort_order_keywords_and_errors() {
        assert_eq!(SortOrder::parse("Descending").unwrap(), SortOrder::Descending);
        assert_eq!(SortOrder::parse("ASCENDING").unwrap(), SortOrder::Ascending);
        assert_eq!(
            SortOrder::parse("up").unwrap_err().scim_type,
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            parse_sort_by("a.b.c").unwrap_err().scim_type,
            Some(ScimType::InvalidValue)
        );
    }
}
