//! The throwaway user of the write cycle: a body with a value for each mapped attribute a check can fill in, and
//! the comparison of what was sent with what reads back.

use crate::check::Findings;
use crate::mapping::attribute::Target;
use crate::ops::Context;
use serde_json::{Value, json};

/// A throwaway user with a value for each mapped attribute a check can fill in.
pub(super) fn user_body(ctx: &Context<'_>, tag: &str) -> Value {
    let mut body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": tag});
    for rule in ctx.tenant.mapping.users.attributes.rules() {
        if rule.read_only {
            continue;
        }
        match &rule.target {
            Target::Plain {
                schema: None,
                name,
                sub,
            } => {
                let path = match sub {
                    Some(s) => format!("{name}.{s}"),
                    None => name.clone(),
                };
                let value = match path.as_str() {
                    "displayName" => json!(format!("Scimgate Check {}", &tag[15..])),
                    "name.givenName" => json!("Scimgate"),
                    "name.familyName" => json!("Check"),
                    "name.formatted" => json!("Scimgate Check"),
                    "externalId" => json!(tag),
                    "title" => json!("Throwaway check user"),
                    "nickName" => json!("scimgate"),
                    "active" => json!(true),
                    _ => continue,
                };
                set_path(&mut body, &path, value);
            }
            Target::Typed {
                schema: None,
                name,
                type_value,
                sub,
            } if name == "emails" && sub == "value" => {
                let email = json!({"type": type_value, "value": format!("{tag}@example.com")});
                match body["emails"].as_array_mut() {
                    Some(list) => list.push(email),
                    None => body["emails"] = json!([email]),
                }
            }
            _ => {}
        }
    }
    body
}

pub(super) fn set_path(body: &mut Value, path: &str, value: Value) {
    match path.split_once('.') {
        Some((a, b)) => {
            if !body[a].is_object() {
                body[a] = json!({});
            }
            body[a][b] = value;
        }
        None => body[path] = value,
    }
}

pub(super) fn body_has(body: &Value, path: &str) -> bool {
    match path.split_once('.') {
        Some((a, b)) => !body[a][b].is_null(),
        None => !body[path].is_null(),
    }
}

pub(super) fn writable(ctx: &Context<'_>, path: &str) -> bool {
    ctx.tenant
        .mapping
        .users
        .attributes
        .rules()
        .iter()
        .any(|r| !r.read_only && Target::parse(path).is_ok_and(|t| t == r.target))
}

/// Each attribute the check sent reads back as sent (but `changed`, which `expected` already holds changed).
pub(super) fn kept(
    f: &mut Findings,
    ctx: &Context<'_>,
    key: &str,
    check: &str,
    expected: &Value,
    read: &Value,
    changed: Option<&str>,
) {
    let mut differ = Vec::new();
    for rule in ctx.tenant.mapping.users.attributes.rules() {
        if rule.write_only || rule.read_only {
            continue;
        }
        let (Some(want), got) = (rule.target.read(expected), rule.target.read(read)) else {
            continue;
        };
        if got != Some(want) {
            differ.push(format!(
                "{} sent {want}, read {}",
                rule.key,
                got.map_or("nothing".to_owned(), Value::to_string)
            ));
        }
    }
    if differ.is_empty() {
        let what = changed.map_or("every attribute sent reads back as sent".to_owned(), |a| {
            format!("{a} changed, every other attribute kept")
        });
        f.pass(check, format!("{key}.attributes"), what);
    } else {
        f.fail(
            check,
            format!("{key}.attributes"),
            differ.join("; "),
            "check those rules' pointers (and update_style: a replace sends the whole object)",
        );
    }
}
