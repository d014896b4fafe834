//! Filter push-down: the conjuncts of a SCIM filter that the product can evaluate become query parameters
//! (`userName eq "x"` → `?email=x`). Whatever is not pushed down is evaluated by the gateway.

use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;

/// One rule: `"userName eq" = "email"`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The SCIM attribute.
    pub attr: AttrPath,
    /// The operator the product parameter implements.
    pub op: CompareOp,
    /// The product's query parameter.
    pub param: String,
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
    /// True when the parameters express the whole filter, so the product's answer needs no further filtering.
    pub complete: bool,
}

impl Rule {
    /// Parse a `"<attrPath> <op>"` key and its parameter name.
    pub fn parse(key: &str, param: &str) -> Result<Self, String> {
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
        if param.is_empty() {
            return Err("the query parameter name is empty".into());
        }
        Ok(Rule {
            attr,
            op,
            param: param.to_owned(),
        })
    }
}

impl Rule {
    /// Whether this rule is `<name> eq` on a top-level core attribute.
    pub fn is_eq_on(&self, name: &str) -> bool {
        self.op == CompareOp::Eq && self.attr.sub.is_none() && self.attr.same_attr(&AttrPath::simple(name))
    }
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

    /// The query that finds objects whose `name` equals `value`, if a rule pushes `name eq` down.
    pub fn eq_query(&self, name: &str, value: &str) -> Option<Vec<(String, String)>> {
        let rule = self.rules.iter().find(|r| r.is_eq_on(name))?;
        Some(vec![(rule.param.clone(), value.to_owned())])
    }

    /// Split a filter into what the product evaluates and whether that is all of it.
    pub fn plan(&self, filter: &Filter) -> Plan {
        let mut conjuncts = Vec::new();
        flatten_and(filter, &mut conjuncts);
        let mut plan = Plan {
            query: Vec::new(),
            complete: true,
        };
        for conjunct in conjuncts {
            match self.push(conjunct) {
                Some((param, value)) if !plan.query.iter().any(|(p, _)| *p == param) => plan.query.push((param, value)),
                _ => plan.complete = false,
            }
        }
        plan
    }

    fn push(&self, filter: &Filter) -> Option<(String, String)> {
        let Filter::Compare(path, op, value) = filter else {
            return None;
        };
        let rule = self
            .rules
            .iter()
            .find(|r| r.op == *op && r.attr.same_attr(path) && r.attr.sub == path.sub)?;
        let text = match value {
            CompValue::Str(s) => s.clone(),
            CompValue::Num(n) => n.to_string(),
            CompValue::Bool(b) => b.to_string(),
            CompValue::Null => return None,
        };
        Some((rule.param.clone(), text))
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

    #[test]
    fn rule_keys_are_validated() {
        assert!(Rule::parse("userName", "email").is_err());
        assert!(Rule::parse("userName like", "email").is_err());
        assert!(Rule::parse("userName eq", "").is_err());
    }
}
