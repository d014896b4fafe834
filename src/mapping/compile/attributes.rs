//! `attributes` tables → the attribute map: pointers (read, write, fallbacks, selectors), value maps and their
//! read fallback, defaults (fixed, copied, conditional), ignored attributes and sub-objects sent whole, each
//! mistake named by its key (`mappings.NAME.users.attributes."title".write`).

use super::{choice, pointer};
use crate::config::ConfigError;
use crate::config::file::{AttributeFile, AttributeTableFile, PointersFile, ResourceMappingFile};
use crate::mapping::attribute::{AttributeMap, DefaultValue, Empty, ReadPointer, Rule, Target, Template, Transform};
use crate::mapping::pointer::Pointer;
use serde_json::Value;

pub(super) fn attributes(
    file: &ResourceMappingFile,
    key: &str,
    required: &str,
    replaces: bool,
) -> Result<AttributeMap, ConfigError> {
    let at = |k: &str| format!("{key}.{k}");
    let mut rules: Vec<Rule> = Vec::new();
    let mut templates = Vec::new();
    let mut ignored = Vec::new();
    let mut whole = Vec::new();
    for (k, value) in &file.attributes {
        let key_at = at(&format!("attributes.{k:?}"));
        let target = Target::parse(k).map_err(|m| ConfigError::invalid(&key_at, m))?;
        let t = match value {
            AttributeFile::Pointer(p) => {
                rules.push(Rule::plain(k, target, pointer(p, &key_at)?));
                continue;
            }
            AttributeFile::Full(t) => t,
        };
        if t.ignore {
            ignored_alone(t, &key_at)?;
            ignored.push((k.clone(), target));
            continue;
        }
        match (&t.pointer, &t.template) {
            (Some(p), None) => {
                let rule = attribute_rule(t, p, k, target, &key_at)?;
                if t.whole {
                    whole.push(whole_parent(&rule.pointer, &format!("{key_at}.whole"), replaces)?);
                }
                rules.push(rule);
            }
            (None, Some(text)) => {
                if t.map.is_some()
                    || t.write_only
                    || t.default.is_some()
                    || t.required
                    || t.empty.is_some()
                    || t.write.is_some()
                    || t.read_fallback.is_some()
                    || t.whole
                {
                    return Err(ConfigError::invalid(
                        &key_at,
                        "a template is read-only: map, read_fallback, write, write_only, default, required, empty and \
                         whole do not apply",
                    ));
                }
                let template = Template::parse(text).map_err(|m| ConfigError::invalid(&key_at, m))?;
                templates.push((k.clone(), target, template));
            }
            (Some(_), Some(_)) => return Err(ConfigError::invalid(&key_at, "give pointer or template, not both")),
            (None, None) => {
                return Err(ConfigError::invalid(
                    &key_at,
                    "needs a pointer or a template (or ignore = true)",
                ));
            }
        }
    }
    once_each(&rules, &templates, &ignored, key)?;
    for (i, w) in file.whole.iter().enumerate() {
        let w_at = at(&format!("whole[{i}]"));
        let p = pointer(w, &w_at)?;
        if p.as_str().is_empty() {
            return Err(ConfigError::invalid(w_at, "names a sub-object, not the whole object"));
        }
        if replaces {
            return Err(ConfigError::invalid(
                w_at,
                "a replace update (update_style) already sends the whole object",
            ));
        }
        whole.push(p);
    }
    if !rules.iter().any(|r| r.target.is_named(required) && !r.write_only) {
        return Err(ConfigError::invalid(
            at("attributes"),
            format!("{required} must be mapped to a product field"),
        ));
    }
    let reject_unmapped = choice(&file.unmapped, &at("unmapped"), &[("reject", true), ("ignore", false)])?;
    Ok(AttributeMap::new(rules, reject_unmapped)
        .with_templates(templates)
        .with_ignored(ignored)
        .with_whole(whole))
}

/// `ignore = true` takes no other key: the attribute is never sent or read.
fn ignored_alone(t: &AttributeTableFile, key_at: &str) -> Result<(), ConfigError> {
    let others = t.pointer.is_some()
        || t.template.is_some()
        || t.write.is_some()
        || t.map.is_some()
        || t.read_fallback.is_some()
        || t.default.is_some()
        || t.required
        || t.read_only
        || t.write_only
        || t.whole
        || t.empty.is_some();
    if others {
        return Err(ConfigError::invalid(
            format!("{key_at}.ignore"),
            "an ignored attribute is never sent, read or advertised: give ignore = true alone",
        ));
    }
    Ok(())
}

/// The rule of a table with pointers.
fn attribute_rule(
    t: &AttributeTableFile,
    pointers: &PointersFile,
    k: &str,
    target: Target,
    key_at: &str,
) -> Result<Rule, ConfigError> {
    let sub = |s: &str| format!("{key_at}.{s}");
    if t.read_only && (t.write_only || t.default.is_some() || t.required) {
        return Err(ConfigError::invalid(
            key_at,
            "read_only cannot be combined with write_only, default or required",
        ));
    }
    if t.required && (t.write_only || !k.chars().all(|c| c.is_ascii_alphanumeric())) {
        return Err(ConfigError::invalid(
            key_at,
            "required applies to a top-level attribute that is read back (not write_only)",
        ));
    }
    if t.write.is_some() && (t.read_only || t.write_only) {
        return Err(ConfigError::invalid(
            sub("write"),
            "splits where a value is read from where it is written: it does not apply to a read_only or \
             write_only rule (pointer says where)",
        ));
    }
    if t.read_fallback.is_some() && (t.map.is_none() || t.write_only) {
        return Err(ConfigError::invalid(
            sub("read_fallback"),
            "applies to a rule with a map that is read back: a product value the map does not know reads as it",
        ));
    }
    if let (Some(fallback), Some(map)) = (&t.read_fallback, &t.map)
        && let Some(expected) = one_kind(
            map.keys()
                .map(|k| serde_json::from_str(k).unwrap_or(Value::String(k.clone()))),
        )
        && kind(fallback) != expected
    {
        return Err(ConfigError::invalid(
            sub("read_fallback"),
            format!("is a SCIM value like the map's keys: a {expected}, not {fallback}"),
        ));
    }
    if t.whole && t.read_only {
        return Err(ConfigError::invalid(
            sub("whole"),
            "a read_only attribute is never written",
        ));
    }
    let texts = pointers.all();
    if texts.is_empty() || (t.write_only && texts.len() > 1) {
        return Err(ConfigError::invalid(
            sub("pointer"),
            "needs one pointer (a list of read pointers only for an attribute that is read back)",
        ));
    }
    let mut reads = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let p_at = match pointers {
            PointersFile::One(_) => sub("pointer"),
            PointersFile::Many(_) => sub(&format!("pointer[{i}]")),
        };
        reads.push(ReadPointer::parse(text).map_err(|m| ConfigError::invalid(p_at, m))?);
    }
    let write = match (&t.write, reads[0].plain()) {
        (Some(w), _) => pointer(w, &sub("write"))?,
        (None, Some(p)) => p,
        (None, None) if t.read_only => reads[0].plain_prefix(),
        (None, None) => {
            return Err(ConfigError::invalid(
                sub("pointer"),
                "a pointer that selects an array element ([key=value]) can only be read: give the rule \
                 write = \"/…\" (where the value is written) or read_only = true",
            ));
        }
    };
    let default = match &t.default {
        None => None,
        Some(v) => {
            let d =
                DefaultValue::parse(v).map_err(|(at, m)| ConfigError::invalid(format!("{}{at}", sub("default")), m))?;
            if d.sources().iter().any(|s| same_target(s, &target)) {
                return Err(ConfigError::invalid(
                    sub("default"),
                    "from names the attribute itself; name another attribute",
                ));
            }
            Some(d)
        }
    };
    Ok(Rule {
        pointer: write,
        reads,
        transform: t.map.as_ref().map_or(Transform::Identity, Transform::from_table),
        read_fallback: t.read_fallback.clone(),
        read_only: t.read_only,
        write_only: t.write_only,
        default,
        required: t.required,
        empty: match t.empty.as_deref() {
            None => Empty::Clear,
            Some(text) => Empty::parse(text).ok_or_else(|| {
                ConfigError::invalid(sub("empty"), format!("expected \"clear\" or \"keep\", not {text:?}"))
            })?,
        },
        ..Rule::plain(k, target, Pointer::parse("").expect("the empty pointer"))
    })
}

/// The JSON type of a value, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The one JSON type of these values, if they share one.
fn one_kind(mut values: impl Iterator<Item = Value>) -> Option<&'static str> {
    let first = kind(&values.next()?);
    values.all(|v| kind(&v) == first).then_some(first)
}

/// The object holding the field a `whole = true` rule writes.
fn whole_parent(write: &Pointer, at: &str, replaces: bool) -> Result<Pointer, ConfigError> {
    if replaces {
        return Err(ConfigError::invalid(
            at,
            "a replace update (update_style) already sends the whole object",
        ));
    }
    match write.as_str().rsplit_once('/') {
        Some((parent, _)) if !parent.is_empty() => pointer(parent, at),
        _ => Err(ConfigError::invalid(
            at,
            "needs a field inside a sub-object (a pointer of two segments or more)",
        )),
    }
}

/// One rule per SCIM attribute: two keys naming one attribute (in another letter case, or with the schema URN)
/// were once the way to read it from one field and write it to another, which `write` now says.
fn once_each(
    rules: &[Rule],
    templates: &[(String, Target, Template)],
    ignored: &[(String, Target)],
    key: &str,
) -> Result<(), ConfigError> {
    let mut seen: Vec<(&str, &Target)> = Vec::new();
    let all = rules
        .iter()
        .map(|r| (r.key.as_str(), &r.target))
        .chain(templates.iter().map(|(k, t, _)| (k.as_str(), t)))
        .chain(ignored.iter().map(|(k, t)| (k.as_str(), t)));
    for (k, target) in all {
        if let Some((first, _)) = seen.iter().find(|(_, t)| same_target(t, target)) {
            return Err(ConfigError::invalid(
                format!("{key}.attributes.{k:?}"),
                format!(
                    "maps the same attribute as {first:?}: give one rule, with write = \"/…\" where writes go \
                     when they differ from its pointer"
                ),
            ));
        }
        seen.push((k, target));
    }
    Ok(())
}

/// Two targets naming one attribute, in any letter case.
fn same_target(a: &Target, b: &Target) -> bool {
    format!("{a:?}").to_lowercase() == format!("{b:?}").to_lowercase()
}

#[cfg(test)]
mod tests;
