//! The checks of push-down rules (`filters`): each `eq` parameter, sent with a value a listed object holds, must
//! find that object and narrow the listing; the same value in another letter case and cut short tell whether the
//! product matches exactly, case-insensitively, or returns a superset (a prefix or substring search). The gateway
//! takes a pushed-down answer as the result, so the product's match must be the SCIM attribute's own (RFC 7643
//! §2.2 `caseExact`).

use super::Findings;
use super::live::{Listed, Probe, SMALL, chain};
use super::paging::page_query;
use crate::mapping::listing::Source;
use crate::mapping::push_down::{Match, Rule, Via};
use crate::ops::resource;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;
use serde_json::Value;

/// How the product matched a pushed-down value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Measured {
    /// Equal values only, letter case included.
    Exact,
    /// Equal values in any letter case.
    CaseInsensitive,
    /// More than the equal values (a prefix or substring search, or the parameter ignored in part).
    Superset,
}

impl Measured {
    fn as_str(self) -> &'static str {
        match self {
            Measured::Exact => "exactly, letter case included",
            Measured::CaseInsensitive => "case-insensitively",
            Measured::Superset => "as a superset",
        }
    }
}

/// The push-down checks of one resource.
pub(super) async fn check(probe: &Probe<'_>, listed: &Listed, f: &mut Findings) {
    for rule in probe.api.resource().push_down.rules() {
        let name = format!("{} {}", rule.attr, rule.op.as_str());
        let check = probe.check(&format!("filter \"{name}\""));
        let key = probe.key(&format!("filters.{}", super::quoted(&name)));
        if let Via::Get(_) = &rule.via {
            f.note(
                check,
                key,
                "a read by path is not probed",
                "try it with scimgate preview --filter",
            );
            continue;
        }
        if rule.op != CompareOp::Eq {
            f.note(
                check,
                key,
                "only eq rules are probed",
                "try it with scimgate preview --filter",
            );
            continue;
        }
        let Some((id, value)) = sample(probe, listed, &rule.attr) else {
            f.note(
                check,
                key,
                format!("no listed object has a value of {} to search with", rule.attr),
                "run again once the product holds one, or with --write",
            );
            continue;
        };
        rule_check(probe, listed, rule, &id, &value, &check, &key, f).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn rule_check(
    probe: &Probe<'_>,
    listed: &Listed,
    rule: &Rule,
    id: &str,
    value: &str,
    check: &str,
    key: &str,
    f: &mut Findings,
) {
    let res = probe.api.resource();
    let (call, found) = match search(probe, rule, value).await {
        Ok(found) => found,
        Err(detail) => return f.fail(check, key, detail, "check the parameter name"),
    };
    let ids: Vec<String> = found.iter().filter_map(|o| res.id_of(o).ok()).collect();
    if !ids.iter().any(|x| x == id) {
        return f.fail(
            check,
            key,
            format!("{call} did not find the object {id:?} whose {} is {value:?}", rule.attr),
            format!("set the parameter that selects by {} (or remove the rule)", rule.attr),
        );
    }
    if listed.size > 1 && found.len() as u64 >= listed.size {
        return f.fail(
            check,
            key,
            format!(
                "{call} served all {} objects: the product ignores {:?}",
                found.len(),
                param_of(rule)
            ),
            "set the product's parameter for this attribute, or remove the rule (the gateway then filters itself)",
        );
    }
    let filter = Filter::Compare(rule.attr.clone(), CompareOp::Eq, CompValue::Str(value.to_owned()));
    let extra = found.iter().any(|o| {
        resource::render(probe.kind, res, o, "https://check.invalid")
            .is_ok_and(|r| !filter.matches(&r.json, &res.schema))
    });
    let mut measured = if extra { Measured::Superset } else { Measured::Exact };
    let mut tried = Vec::new();
    let shorter: String = value.chars().take(value.chars().count().saturating_sub(1)).collect();
    if measured == Measured::Exact && !shorter.is_empty() {
        tried.push("cut short");
        if finds(probe, rule, &shorter, id).await {
            measured = Measured::Superset;
        }
    }
    let swapped = swap_case(value);
    if measured == Measured::Exact && swapped != value {
        tried.push("in another case");
        if finds(probe, rule, &swapped, id).await {
            measured = Measured::CaseInsensitive;
        }
    }
    let case_exact = res.schema.resolve(&rule.attr).is_some_and(|r| r.target().case_exact);
    let untested_case = measured == Measured::Exact && swapped == value;
    let detail = format!(
        "{call} served {} of {}; the product matches {} (value tried {})",
        found.len(),
        listed.size,
        if untested_case {
            "equal values (letter case not tried: the value has none)"
        } else {
            measured.as_str()
        },
        if tried.is_empty() {
            "as is".to_owned()
        } else {
            tried.join(" and ")
        }
    );
    // A rule declared `case_sensitive` or `superset` has every result re-checked by the gateway (and an empty
    // case-sensitive answer confirmed by a scan): whatever the product matched, the answer is SCIM's.
    if rule.matching != Match::Exact {
        return f.pass(
            check,
            key,
            format!(
                "{detail}; declared match = \"{}\": the gateway re-checks every result",
                rule.matching.name()
            ),
        );
    }
    match verdict(measured, !untested_case, case_exact, &rule.attr) {
        Some((why, fix)) => f.fail(
            check,
            key,
            format!("{detail}{why}"),
            if measured == Measured::Exact {
                "declare match = \"case_sensitive\" on the rule (the gateway then re-checks and confirms misses)"
            } else if measured == Measured::Superset {
                "declare match = \"superset\" on the rule (the gateway then re-checks every result)"
            } else {
                fix
            },
        ),
        None => f.pass(check, key, detail),
    }
}

/// What the gateway needs of a pushed-down `eq` against what the product did: `None` when they agree, else why
/// not (to follow the finding's detail) and the fix. The gateway takes a pushed-down answer as the result, so the
/// product must match as the SCIM attribute compares: ignoring case unless it is `caseExact`, and equal values only.
fn verdict(measured: Measured, case_tried: bool, case_exact: bool, attr: &AttrPath) -> Option<(String, &'static str)> {
    match (measured, case_exact) {
        (Measured::Superset, _) => Some((
            ": the gateway takes the product's answer as the result".into(),
            "remove the rule (the gateway then filters itself), or use a parameter that matches equal values only",
        )),
        (Measured::Exact, false) if case_tried => Some((
            format!(
                ", but SCIM {attr} eq ignores case: a lookup in another case finds nothing and the IdP creates a duplicate"
            ),
            "use a parameter that ignores case, or remove the rule",
        )),
        (Measured::CaseInsensitive, true) => Some((
            format!(", but SCIM {attr} is case-exact: a lookup answers objects that differ in case"),
            "use a parameter that matches case, or remove the rule",
        )),
        _ => None,
    }
}

/// A listed object's id and its value of `attr`, as the gateway renders it.
fn sample(probe: &Probe<'_>, listed: &Listed, attr: &AttrPath) -> Option<(String, String)> {
    let res = probe.api.resource();
    listed.objects.iter().find_map(|o| {
        let rendered = resource::render(probe.kind, res, o, "https://check.invalid").ok()?;
        let value = scim_value(&rendered.json, attr)?;
        Some((res.id_of(o).ok()?, value))
    })
}

/// The string value of `attr` in a SCIM resource (the first element's, for a multi-valued attribute).
fn scim_value(resource: &Value, attr: &AttrPath) -> Option<String> {
    let holder = match &attr.schema {
        Some(urn) if !urn.contains(":core:") => resource.get(urn.as_str())?,
        _ => resource,
    };
    let top = holder
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&attr.name))
        .map(|(_, v)| v)?;
    let top = match top {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let value = match &attr.sub {
        Some(sub) => top
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v)?,
        None => top,
    };
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The query parameter of a rule ("" for a read by path, which is not probed).
fn param_of(rule: &Rule) -> &str {
    match &rule.via {
        Via::Param(p) => p,
        Via::Get(_) => "",
    }
}

/// The objects the product answers for `?param=value`, and the call as sent.
async fn search(probe: &Probe<'_>, rule: &Rule, value: &str) -> Result<(String, Vec<Value>), String> {
    let res = probe.api.resource();
    let mut query = vec![(param_of(rule).to_owned(), value.to_owned())];
    let source = Source::for_query(&probe.api, &query);
    query.extend(page_query(&res.paging, res.paging.max_size.max(SMALL)));
    let (call, answer) = probe.send(source.endpoint, None, &query).await;
    match answer {
        Ok(resp) if resp.status.is_success() => {
            let body = resp.json().map_err(|e| format!("{call}: {e}"))?;
            let items = res.paging.items(&body).map_err(|e| format!("{call}: {e}"))?;
            Ok((call, items))
        }
        Ok(resp) => Err(format!(
            "{call} answered {}: {}",
            resp.status.as_u16(),
            probe.api.error(&resp).detail
        )),
        Err(e) => Err(format!("{call}: {}", chain(&e))),
    }
}

/// Whether the product's answer for `?param=value` holds the object `id`.
async fn finds(probe: &Probe<'_>, rule: &Rule, value: &str, id: &str) -> bool {
    let res = probe.api.resource();
    search(probe, rule, value)
        .await
        .is_ok_and(|(_, found)| found.iter().any(|o| res.id_of(o).is_ok_and(|x| x == id)))
}

/// Upper case made lower and lower made upper.
fn swap_case(text: &str) -> String {
    text.chars()
        .flat_map(|c| -> Box<dyn Iterator<Item = char>> {
            if c.is_lowercase() {
                Box::new(c.to_uppercase())
            } else {
                Box::new(c.to_lowercase())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_read_as_the_gateway_renders_them() {
        let user = json!({
            "userName": "ada",
            "emails": [{"type": "work", "value": "ada@example.com"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
        });
        let path = |p: &str| AttrPath::parse(p).unwrap();
        assert_eq!(scim_value(&user, &path("userName")).as_deref(), Some("ada"));
        assert_eq!(
            scim_value(&user, &path("emails.value")).as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(
            scim_value(
                &user,
                &path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
            )
            .as_deref(),
            Some("R&D")
        );
        assert_eq!(scim_value(&user, &path("title")), None);
    }

    #[test]
    fn a_push_down_must_match_as_the_scim_attribute_compares() {
        let user_name = AttrPath::simple("userName");
        let external_id = AttrPath::simple("externalId");
        // userName ignores case (RFC 7643 §4.1), externalId is case-exact (§3.1).
        assert!(verdict(Measured::CaseInsensitive, true, false, &user_name).is_none());
        assert!(verdict(Measured::Exact, true, true, &external_id).is_none());
        assert!(verdict(Measured::Exact, true, false, &user_name).is_some_and(|(why, _)| why.contains("ignores case")));
        assert!(
            verdict(Measured::CaseInsensitive, true, true, &external_id)
                .is_some_and(|(why, _)| why.contains("case-exact"))
        );
        assert!(verdict(Measured::Superset, true, false, &user_name).is_some());
        // A value without letters says nothing of case.
        assert!(verdict(Measured::Exact, false, false, &user_name).is_none());
    }

    #[test]
    fn case_is_swapped_letter_by_letter() {
        assert_eq!(swap_case("Ada.L@x1"), "aDA.l@X1");
        assert_eq!(swap_case("42"), "42");
    }
}
