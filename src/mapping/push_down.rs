//! Filter push-down: the conjuncts of a SCIM filter that the product can evaluate become query parameters
//! (`userName eq "x"` → `?email=x`) or a read by path (`GET /users/x`). Whatever is not pushed down is evaluated
//! by the gateway.
//!
//! Each rule says how exact the product's match is ([`Match`]): an `exact` rule's answer is SCIM's own and is
//! trusted; a `superset` rule's answer (a substring or prefix search) is re-checked by the gateway with SCIM
//! semantics; a `case_sensitive` rule's answer is re-checked, and an empty one is confirmed by the gateway's own
//! scan ([`Plan::confirm`]), so that an answer never depends on the letter case the IdP sent, nor on the cache.

use super::endpoint::Endpoint;
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;

/// How the product's match compares with SCIM's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The product answers what SCIM would (case-insensitive equality for `userName`): trusted.
    Exact,
    /// The product compares case-sensitively: every result is re-checked, and an empty answer is confirmed by a
    /// scan of the listing within `limits.scan_limit`.
    CaseSensitive,
    /// The product answers at least what SCIM would (a substring or prefix search): every result is re-checked.
    Superset,
}

impl Match {
    /// The name written in the config.
    pub fn name(self) -> &'static str {
        match self {
            Match::Exact => "exact",
            Match::CaseSensitive => "case_sensitive",
            Match::Superset => "superset",
        }
    }
}

/// How the product is asked.
#[derive(Debug, Clone)]
pub enum Via {
    /// A query parameter of the listing.
    Param(String),
    /// A read by path, `GET /users/{value}`: the value is one percent-encoded segment, and 404 means none.
    Get(Endpoint),
}

/// One rule: `"userName eq" = "email"` or `"userName eq" = { param = "name", match = "case_sensitive" }`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The SCIM attribute.
    pub attr: AttrPath,
    /// The operator the product parameter implements.
    pub op: CompareOp,
    /// The product's query parameter, or its read by path.
    pub via: Via,
    /// How exact the product's match is.
    pub matching: Match,
    /// The SCIM attribute compares case-sensitively (`externalId`): a case-sensitive product match is exact.
    pub case_exact: bool,
}

/// The push-down rules of one resource.
#[derive(Debug, Clone, Default)]
pub struct PushDown {
    rules: Vec<Rule>,
}

/// What part of a filter the product evaluates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Query parameters to send.
    pub query: Vec<(String, String)>,
    /// A read by path instead of the listing: the endpoint and the value in its path.
    pub get: Option<(Endpoint, String)>,
    /// True when the product's answer is the filter's, trusted as it is: every conjunct pushed down by an exact
    /// rule. Otherwise the gateway evaluates the whole filter over the answer.
    pub complete: bool,
    /// A case-sensitive rule was used: an empty answer is confirmed by this plan, which does without such rules.
    pub confirm: Option<Box<Plan>>,
    /// What was pushed down, for `scimgate preview`: the conjunct, how it was sent, and the rule's match.
    pub pushed: Vec<Pushed>,
}

/// One conjunct pushed down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The conjunct, as SCIM text.
    pub conjunct: String,
    /// `?param=value` or `GET /path`.
    pub sent: String,
    /// The match used for it (a case-sensitive rule on a value without letter case, or on a case-exact
    /// attribute, is exact).
    pub matching: Match,
}

impl Rule {
    /// Parse a `"<attrPath> <op>"` key and its parameter name (an exact match).
    pub fn parse(key: &str, param: &str) -> Result<Self, String> {
        if param.is_empty() {
            return Err("the query parameter name is empty".into());
        }
        Self::parse_via(key, Via::Param(param.to_owned()), Match::Exact)
    }

    /// Parse a key with its product call and match.
    pub fn parse_via(key: &str, via: Via, matching: Match) -> Result<Self, String> {
        let (path, op) = key
            .trim()
            .rsplit_once(' ')
            .ok_or("expected \"<attribute> <operator>\", e.g. \"userName eq\"")?;
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            other => return Err(format!("unknown operator {other:?}")),
        };
        let attr = AttrPath::parse(path.trim()).map_err(|e| e.to_string())?;
        if matches!(via, Via::Get(_)) && op != CompareOp::Eq {
            return Err("a read by path (get) finds one object: only an \"eq\" rule can use it".into());
        }
        Ok(Rule {
            attr,
            op,
            via,
            matching,
            case_exact: false,
        })
    }

    /// Whether this rule is `<name> eq` on a top-level core attribute.
    pub fn is_eq_on(&self, name: &str) -> bool {
        self.op == CompareOp::Eq && self.attr.sub.is_none() && self.attr.same_attr(&AttrPath::simple(name))
    }

    /// The match of this rule for one value.
    fn matching_for(&self, value: &str) -> Match {
        // Case cannot change what a case-sensitive comparison finds when the attribute is case-exact in SCIM,
        // or when the value has no letter with a case (digits, an id).
        let caseless = value.to_lowercase() == value.to_uppercase();
        match self.matching {
            Match::CaseSensitive if self.case_exact || caseless => Match::Exact,
            m => m,
        }
    }
}

/// A read-by-path template: `"GET /users/{value}"`, `{value}` being the only placeholder.
pub fn lookup_endpoint(text: &str) -> Result<Endpoint, String> {
    if text.contains("{id}") || !text.contains("{value}") {
        return Err("expected \"GET /path/{value}\": {value} (the filter's value) is the only placeholder".into());
    }
    let e = Endpoint::parse(&text.replace("{value}", "{id}")).map_err(|m| m.replace("{id}", "{value}"))?;
    if e.method != http::Method::GET {
        return Err("a read by path must be a GET".into());
    }
    Ok(e)
}

impl PushDown {
    /// Rules in config order.
    pub fn new(rules: Vec<Rule>) -> Self {
        PushDown { rules }
    }

    /// The rules, in config order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Mark the rules on case-exact SCIM attributes, as `case_exact(rule)` tells.
    pub fn mark_case_exact(&mut self, case_exact: impl Fn(&Rule) -> bool) {
        for rule in &mut self.rules {
            rule.case_exact = case_exact(rule);
        }
    }

    /// The plan that finds objects whose `name` equals `value`, if a rule pushes `name eq` down.
    pub fn eq_plan(&self, name: &str, value: &str) -> Option<Plan> {
        let filter = Filter::Compare(AttrPath::simple(name), CompareOp::Eq, CompValue::Str(value.to_owned()));
        let plan = self.plan(&filter);
        (!plan.pushed.is_empty()).then_some(plan)
    }

    /// Split a filter into what the product evaluates and whether that is all of it.
    pub fn plan(&self, filter: &Filter) -> Plan {
        self.plan_with(filter, true)
    }

    fn plan_with(&self, filter: &Filter, case_sensitive: bool) -> Plan {
        let mut conjuncts = Vec::new();
        flatten_and(filter, &mut conjuncts);
        let mut plan = Plan {
            complete: true,
            ..Plan::default()
        };
        let usable = |r: &&Rule| case_sensitive || r.matching != Match::CaseSensitive;
        // A read by path answers one object for one value: it takes one conjunct, and the rest stays with the
        // gateway.
        let lookup = conjuncts.iter().find_map(|c| {
            let (rule, value) = self.rule_for(c, &usable, true)?;
            Some((c, rule, value))
        });
        let mut case_sensitive_used = false;
        if let Some((conjunct, rule, value)) = lookup {
            let Via::Get(endpoint) = &rule.via else {
                return plan;
            };
            let matching = rule.matching_for(&value);
            plan.pushed.push(Pushed {
                conjunct: conjunct.to_string(),
                sent: format!("GET {}", endpoint.render(Some(&value), &[])),
                matching,
            });
            plan.get = Some((endpoint.clone(), value));
            plan.complete = conjuncts.len() == 1 && matching == Match::Exact;
            case_sensitive_used = matching == Match::CaseSensitive;
        } else {
            for conjunct in conjuncts {
                let pushed = self.rule_for(conjunct, &usable, false).and_then(|(rule, value)| {
                    let Via::Param(param) = &rule.via else {
                        return None;
                    };
                    let matching = rule.matching_for(&value);
                    Some((param, value, matching))
                });
                match pushed {
                    Some((param, value, matching)) if !plan.query.iter().any(|(p, _)| p == param) => {
                        plan.pushed.push(Pushed {
                            conjunct: conjunct.to_string(),
                            sent: format!("?{param}={value}"),
                            matching,
                        });
                        plan.query.push((param.clone(), value));
                        plan.complete &= matching == Match::Exact;
                        case_sensitive_used |= matching == Match::CaseSensitive;
                    }
                    _ => plan.complete = false,
                }
            }
        }
        if case_sensitive_used {
            plan.confirm = Some(Box::new(self.plan_with(filter, false)));
        }
        plan
    }

    /// The rule pushing `filter` down (a read by path when `get`, else a parameter), and the value as text.
    fn rule_for(&self, filter: &Filter, usable: &dyn Fn(&&Rule) -> bool, get: bool) -> Option<(&Rule, String)> {
        let Filter::Compare(path, op, value) = filter else {
            return None;
        };
        let rule = self
            .rules
            .iter()
            .filter(usable)
            .filter(|r| matches!(r.via, Via::Get(_)) == get)
            .find(|r| r.op == *op && r.attr.same_attr(path) && r.attr.sub == path.sub)?;
        let text = match value {
            CompValue::Str(s) => s.clone(),
            CompValue::Num(n) => n.to_string(),
            CompValue::Bool(b) => b.to_string(),
            CompValue::Null => return None,
        };
        Some((rule, text))
    }
}

fn flatten_and<'f>(filter: &'f Filter, out: &mut Vec<&'f Filter>) {
    match filter {
        Filter::And(a, b) => {
            flatten_and(a, out);
            flatten_and(b, out);
        }
        other => out.push(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PushDown {
        PushDown::new(vec![
            Rule::parse("userName eq", "email").unwrap(),
            Rule::parse("externalId eq", "external_ref").unwrap(),
        ])
    }

    #[test]
    fn single_equality_is_pushed_completely() {
        let plan = rules().plan(&Filter::parse(r#"userName eq "ada@example.com""#).unwrap());
        assert_eq!(plan.query, vec![("email".to_owned(), "ada@example.com".to_owned())]);
        assert!(plan.complete);
    }

    #[test]
    fn attribute_names_match_case_insensitively() {
        let plan = rules().plan(&Filter::parse(r#"USERNAME EQ "a@b.c""#).unwrap());
        assert!(plan.complete);
    }

    #[test]
    fn conjunction_pushes_what_it_can() {
        let plan = rules().plan(&Filter::parse(r#"userName eq "a@b.c" and title pr"#).unwrap());
        assert_eq!(plan.query.len(), 1);
        assert!(!plan.complete);
    }

    #[test]
    fn disjunctions_and_other_operators_stay_in_the_gateway() {
        let plan = rules().plan(&Filter::parse(r#"userName eq "a" or userName eq "b""#).unwrap());
        assert!(plan.query.is_empty() && !plan.complete);
        let plan = rules().plan(&Filter::parse(r#"userName sw "a""#).unwrap());
        assert!(plan.query.is_empty() && !plan.complete);
    }

    fn table(key: &str, via: Via, matching: Match) -> Rule {
        Rule::parse_via(key, via, matching).unwrap()
    }

    fn param(p: &str) -> Via {
        Via::Param(p.to_owned())
    }

    #[test]
    fn an_exact_rule_is_trusted() {
        let rules = PushDown::new(vec![table("userName eq", param("name"), Match::Exact)]);
        let plan = rules.plan(&Filter::parse(r#"userName eq "Ada@x""#).unwrap());
        assert!(plan.complete && plan.confirm.is_none());
        assert_eq!(plan.pushed[0].matching, Match::Exact);
    }

    #[test]
    fn a_case_sensitive_rule_is_rechecked_and_an_empty_answer_confirmed_by_a_scan() {
        let rules = PushDown::new(vec![
            table("userName eq", param("name"), Match::CaseSensitive),
            table("active eq", param("enabled"), Match::Exact),
        ]);
        let plan = rules.plan(&Filter::parse(r#"userName eq "ada@x" and active eq true"#).unwrap());
        assert_eq!(
            plan.query,
            vec![
                ("name".to_owned(), "ada@x".to_owned()),
                ("enabled".to_owned(), "true".to_owned())
            ]
        );
        assert!(!plan.complete, "re-checked by the gateway");
        let confirm = plan.confirm.expect("an empty answer is confirmed");
        // The confirming scan does without the case-sensitive rule, and keeps the exact one.
        assert_eq!(confirm.query, vec![("enabled".to_owned(), "true".to_owned())]);
        assert!(!confirm.complete && confirm.confirm.is_none());
    }

    #[test]
    fn a_case_sensitive_rule_is_exact_for_a_value_without_letter_case_or_a_case_exact_attribute() {
        let mut rules = PushDown::new(vec![
            table("userName eq", param("name"), Match::CaseSensitive),
            table("externalId eq", param("ref"), Match::CaseSensitive),
        ]);
        rules.mark_case_exact(|r| r.attr.name == "externalId");
        let plan = rules.plan(&Filter::parse(r#"userName eq "12345""#).unwrap());
        assert!(plan.complete && plan.confirm.is_none());
        let plan = rules.plan(&Filter::parse(r#"externalId eq "Ab-C""#).unwrap());
        assert!(plan.complete && plan.confirm.is_none());
        let plan = rules.plan(&Filter::parse(r#"userName eq "Ab-C""#).unwrap());
        assert!(!plan.complete && plan.confirm.is_some());
    }

    #[test]
    fn a_superset_rule_is_rechecked_without_a_confirming_scan() {
        let rules = PushDown::new(vec![table("userName eq", param("q"), Match::Superset)]);
        let plan = rules.plan(&Filter::parse(r#"userName eq "ada""#).unwrap());
        assert_eq!(plan.query, vec![("q".to_owned(), "ada".to_owned())]);
        assert!(!plan.complete && plan.confirm.is_none());
        assert_eq!(plan.pushed[0].matching, Match::Superset);
    }

    #[test]
    fn a_read_by_path_takes_one_conjunct_with_the_value_as_one_segment() {
        let get = Via::Get(lookup_endpoint("GET /users/{value}").unwrap());
        let rules = PushDown::new(vec![
            table("userName eq", get, Match::CaseSensitive),
            table("title eq", param("title"), Match::Exact),
        ]);
        let plan = rules.plan(&Filter::parse(r#"userName eq "a/../b c" and title eq "x""#).unwrap());
        let (endpoint, value) = plan.get.clone().expect("a read by path");
        assert_eq!(endpoint.render(Some(&value), &[]), "/users/a%2F..%2Fb%20c");
        assert!(plan.query.is_empty() && !plan.complete);
        assert_eq!(plan.pushed[0].sent, "GET /users/a%2F..%2Fb%20c");
        let confirm = plan.confirm.expect("confirmed");
        assert!(confirm.get.is_none());
        assert_eq!(confirm.query, vec![("title".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn read_by_path_templates_are_validated() {
        assert!(lookup_endpoint("GET /users/{id}").is_err());
        assert!(lookup_endpoint("GET /users").is_err());
        assert!(lookup_endpoint("POST /users/{value}").is_err());
        assert!(lookup_endpoint("GET /users/{value}/{other}").is_err());
        let get = Via::Get(lookup_endpoint("GET /users/{value}").unwrap());
        assert!(Rule::parse_via("userName sw", get, Match::Exact).is_err());
    }

    #[test]
    fn an_eq_plan_exists_only_with_a_rule() {
        assert!(rules().eq_plan("userName", "a").is_some());
        assert!(rules().eq_plan("displayName", "a").is_none());
    }

    #[test]
    fn rule_keys_are_validated() {
        assert!(Rule::parse("userName", "email").is_err());
        assert!(Rule::parse("userName like", "email").is_err());
        assert!(Rule::parse("userName eq", "").is_err());
    }
}
