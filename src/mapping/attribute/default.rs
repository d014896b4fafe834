//! Defaults: the SCIM value an attribute takes on create when the IdP sends none. A fixed value
//! (`default = "en-US"`), another attribute's value (`default = { from = "userName" }`), or the first of a list of
//! cases whose SCIM filter matches the create body
//! (`default = [{ when = 'userType eq "Contractor"', value = "contractor" }, { value = "employee" }]`).
//!
//! `from` and `when` read the body as the IdP sent it, before any default is filled in.

use super::Target;
use crate::scim::filter::{AttrTypes, Filter};
use serde_json::Value;

/// A compiled `default`.
#[derive(Debug, Clone)]
pub enum DefaultValue {
    /// A fixed SCIM value.
    Value(Value),
    /// The value of another SCIM attribute of the create body, when it has one.
    From(Target),
    /// The first case whose filter matches the create body (a case without a filter always matches).
    When(Vec<(Option<Filter>, DefaultValue)>),
}

/// A `default` that cannot be compiled: the sub-key at fault (`from`, `[1].when`, …) and why.
pub type DefaultError = (String, String);

impl DefaultValue {
    /// Compile a `default` as written: a table is computed (`from`, `when`, `value`), a list of tables is a list of
    /// cases, anything else is a fixed value.
    pub fn parse(value: &Value) -> Result<Self, DefaultError> {
        match value {
            Value::Object(_) => {
                let (when, then) = case(value, "")?;
                Ok(match when {
                    None => then,
                    Some(f) => DefaultValue::When(vec![(Some(f), then)]),
                })
            }
            Value::Array(items) if items.first().is_some_and(Value::is_object) => {
                let mut cases = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    cases.push(case(item, &format!("[{i}]"))?);
                }
                Ok(DefaultValue::When(cases))
            }
            _ => Ok(DefaultValue::Value(value.clone())),
        }
    }

    /// The value for a create body that has none; `None` when no case applies or `from` names an absent value.
    pub fn compute(&self, body: &Value, types: &dyn AttrTypes) -> Option<Value> {
        match self {
            DefaultValue::Value(v) => Some(v.clone()),
            DefaultValue::From(target) => target.read(body).cloned(),
            DefaultValue::When(cases) => cases
                .iter()
                .find(|(when, _)| when.as_ref().is_none_or(|f| f.matches(body, types)))
                .and_then(|(_, then)| then.compute(body, types)),
        }
    }

    /// The attribute a `from` (in any case) reads, for checks.
    pub fn sources(&self) -> Vec<&Target> {
        match self {
            DefaultValue::Value(_) => Vec::new(),
            DefaultValue::From(t) => vec![t],
            DefaultValue::When(cases) => cases.iter().flat_map(|(_, then)| then.sources()).collect(),
        }
    }
}

/// One table: `{ from = "…" }`, `{ value = … }`, with an optional `when = "<filter>"`.
fn case(value: &Value, at: &str) -> Result<(Option<Filter>, DefaultValue), DefaultError> {
    let Some(table) = value.as_object() else {
        return Err((at.to_owned(), "each case is a table { when = \"…\", value = … }".into()));
    };
    if let Some(unknown) = table.keys().find(|k| !["from", "when", "value"].contains(&k.as_str())) {
        return Err((
            format!("{at}.{unknown}"),
            "a computed default takes from, value and when".into(),
        ));
    }
    let when = match table.get("when") {
        None => None,
        Some(Value::String(text)) => {
            Some(Filter::parse(text).map_err(|e| (format!("{at}.when"), format!("not a SCIM filter: {e}")))?)
        }
        Some(_) => return Err((format!("{at}.when"), "is a SCIM filter, as a string".into())),
    };
    let then = match (table.get("from"), table.get("value")) {
        (Some(Value::String(path)), None) => {
            DefaultValue::From(Target::parse(path).map_err(|m| (format!("{at}.from"), m))?)
        }
        (Some(_), None) => return Err((format!("{at}.from"), "is a SCIM attribute path, as a string".into())),
        (None, Some(v)) => DefaultValue::Value(v.clone()),
        (Some(_), Some(_)) => return Err((at.to_owned(), "give from or value, not both".into())),
        (None, None) => return Err((at.to_owned(), "needs from or value".into())),
    };
    Ok((when, then))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::ResourceSchema;
    use serde_json::json;

    fn compute(default: Value, body: Value) -> Option<Value> {
        DefaultValue::parse(&default)
            .unwrap()
            .compute(&body, ResourceSchema::user())
    }

    #[test]
    fn a_fixed_value_is_itself() {
        assert_eq!(compute(json!("en-US"), json!({})), Some(json!("en-US")));
        assert_eq!(compute(json!(["a", "b"]), json!({})), Some(json!(["a", "b"])));
        assert_eq!(compute(json!({"value": {"x": 1}}), json!({})), Some(json!({"x": 1})));
    }

    #[test]
    fn from_copies_another_attribute_of_the_create_body() {
        let body = json!({"userName": "ada@example.com", "name": {"givenName": "Ada"}});
        assert_eq!(
            compute(json!({"from": "userName"}), body.clone()),
            Some(json!("ada@example.com"))
        );
        assert_eq!(
            compute(json!({"from": "name.givenName"}), body.clone()),
            Some(json!("Ada"))
        );
        assert_eq!(compute(json!({"from": "title"}), body), None);
    }

    #[test]
    fn the_first_matching_case_wins() {
        let cases = json!([
            {"when": "userType eq \"Contractor\"", "value": "contractor"},
            {"when": "title pr", "from": "title"},
            {"value": "employee"}
        ]);
        let with = |body: Value| compute(cases.clone(), body);
        assert_eq!(
            with(json!({"userType": "contractor", "title": "CTO"})),
            Some(json!("contractor"))
        );
        assert_eq!(with(json!({"title": "CTO"})), Some(json!("CTO")));
        assert_eq!(with(json!({})), Some(json!("employee")));
        let one = json!({"when": "userType eq \"Contractor\"", "value": "c"});
        assert_eq!(compute(one.clone(), json!({"userType": "Employee"})), None);
        assert_eq!(compute(one, json!({"userType": "Contractor"})), Some(json!("c")));
    }

    #[test]
    fn mistakes_name_their_sub_key() {
        let err = |v: Value| DefaultValue::parse(&v).unwrap_err().0;
        assert_eq!(err(json!({"form": "userName"})), ".form");
        assert_eq!(err(json!({"when": "userType eq", "value": 1})), ".when");
        assert_eq!(err(json!([{"value": 1}, {"when": "x pr"}])), "[1]");
        assert_eq!(err(json!({"from": "userName", "value": 1})), "");
        assert_eq!(err(json!({"from": "emails[value eq \"x\"]"})), ".from");
    }
}
