//! Template attributes: a read-only SCIM value composed of product fields, `"{/first_name} {/last_name}"`.

use super::Pointer;
use serde_json::Value;

/// A read-only value composed of product fields: `"{/first_name} {/last_name}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<TemplatePiece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplatePiece {
    Literal(String),
    Field(Pointer),
}

impl Template {
    /// Parse `"{/first_name} {/last_name}"`: literal text with `{pointer}` fields.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or("unclosed '{' in template")? + open;
            if open > 0 {
                pieces.push(TemplatePiece::Literal(rest[..open].to_owned()));
            }
            pieces.push(TemplatePiece::Field(Pointer::parse(&rest[open + 1..close])?));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err("unmatched '}' in template".into());
        }
        if !rest.is_empty() {
            pieces.push(TemplatePiece::Literal(rest.to_owned()));
        }
        if !pieces.iter().any(|p| matches!(p, TemplatePiece::Field(_))) {
            return Err("a template needs at least one {/pointer} field".into());
        }
        Ok(Template { pieces })
    }

    /// The value for a product object: fields as text, absent ones empty, surrounding and doubled spaces removed;
    /// `None` when every field is absent.
    pub fn render(&self, product: &Value) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for piece in &self.pieces {
            match piece {
                TemplatePiece::Literal(s) => out.push_str(s),
                TemplatePiece::Field(p) => match p.get(product) {
                    Some(Value::String(s)) => {
                        any |= !s.is_empty();
                        out.push_str(s);
                    }
                    Some(Value::Number(n)) => {
                        any = true;
                        out.push_str(&n.to_string());
                    }
                    Some(Value::Bool(b)) => {
                        any = true;
                        out.push_str(if *b { "true" } else { "false" });
                    }
                    Some(Value::Null | Value::Object(_) | Value::Array(_)) | None => {}
                },
            }
        }
        any.then(|| out.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}
