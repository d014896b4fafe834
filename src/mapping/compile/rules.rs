//! `[[mappings.NAME.errors]]`, `unique`, `before_delete` and `immutable`: config → runtime, naming the key of a
//! mistake (`mappings.NAME.errors[2].scim_type`).

use super::pointer;
use crate::config::ConfigError;
use crate::config::file::{AttributeFile, ErrorRuleFile, ResourceMappingFile};
use crate::mapping::endpoint::Endpoint;
use crate::mapping::errors::{self, BodyMatch, ErrorRule, Operation};
use crate::mapping::steps::{DeleteStep, Unique};
use http::StatusCode;

/// The error rules of a mapping; `key` is `mappings.NAME`.
pub fn compile_errors(files: &[ErrorRuleFile], key: &str) -> Result<Vec<ErrorRule>, ConfigError> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| error_rule(f, &format!("{key}.errors[{i}]")))
        .collect()
}

fn error_rule(f: &ErrorRuleFile, at: &str) -> Result<ErrorRule, ConfigError> {
    let key = |k: &str| format!("{at}.{k}");
    let statuses = f.status.to_vec();
    if statuses.is_empty() {
        return Err(ConfigError::invalid(key("status"), "needs at least one status"));
    }
    let statuses = statuses
        .into_iter()
        .map(|s| error_status(s, &key("status")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut operations = Vec::new();
    for name in f.operation.as_ref().map(|o| o.to_vec()).unwrap_or_default() {
        operations.push(Operation::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = Operation::NAMES.iter().map(|(n, _)| *n).collect();
            ConfigError::invalid(
                key("operation"),
                format!("{name:?}: expected one of {}", names.join(", ")),
            )
        })?);
    }
    let ptr = f.pointer.as_deref().map(|p| pointer(p, &key("pointer"))).transpose()?;
    let body = match (&f.equals, &f.contains) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                key("contains"),
                "give equals or contains, not both",
            ));
        }
        (Some(text), None) => Some(BodyMatch::Equals(ptr, text.clone())),
        (None, Some(text)) => Some(BodyMatch::Contains(ptr, text.clone())),
        (None, None) if ptr.is_some() => {
            return Err(ConfigError::invalid(key("pointer"), "needs equals or contains"));
        }
        (None, None) => None,
    };
    if matches!(&body, Some(BodyMatch::Equals(None, _))) {
        return Err(ConfigError::invalid(
            key("equals"),
            "needs a pointer (without one, use contains)",
        ));
    }
    let scim_status = error_status(f.scim_status, &key("scim_status"))?;
    let scim_type = match &f.scim_type {
        None => None,
        Some(t) => Some(errors::scim_type(t).ok_or_else(|| {
            ConfigError::invalid(
                key("scim_type"),
                format!(
                    "{t:?}: expected one of invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, \
                     invalidPath, noTarget, invalidValue, invalidVers, sensitive"
                ),
            )
        })?),
    };
    if scim_type.is_some() && scim_status != StatusCode::BAD_REQUEST && scim_status != StatusCode::CONFLICT {
        return Err(ConfigError::invalid(
            key("scim_type"),
            "a scimType goes with scim_status 400 or 409 (RFC 7644 §3.12)",
        ));
    }
    Ok(ErrorRule {
        statuses,
        operations,
        body,
        scim_status,
        scim_type,
    })
}

fn error_status(status: u16, at: &str) -> Result<StatusCode, ConfigError> {
    StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .ok_or_else(|| ConfigError::invalid(at, format!("{status}: expected an error status (400-599)")))
}

/// `unique`; `key` is the resource's key (`mappings.NAME.users`).
pub fn compile_unique(file: &ResourceMappingFile, key: &str) -> Result<Unique, ConfigError> {
    match file.unique.as_deref() {
        None | Some("product") => Ok(Unique::Product),
        Some("lookup") => Ok(Unique::Lookup),
        Some(other) => Err(ConfigError::invalid(
            format!("{key}.unique"),
            format!("{other:?}: expected one of product, lookup"),
        )),
    }
}

/// `before_delete`; `"members"` only where there are members (`groups`).
pub fn compile_before_delete(
    file: &ResourceMappingFile,
    key: &str,
    has_members: bool,
) -> Result<Vec<DeleteStep>, ConfigError> {
    let mut steps = Vec::new();
    for (i, text) in file.before_delete.iter().enumerate() {
        let at = format!("{key}.before_delete[{i}]");
        if text == "members" {
            if !has_members {
                return Err(ConfigError::invalid(at, "\"members\" applies to groups"));
            }
            steps.push(DeleteStep::Members);
            continue;
        }
        let e = Endpoint::parse(text)
            .map_err(|m| ConfigError::invalid(&at, format!("expected \"members\" or \"METHOD /path/{{id}}\": {m}")))?;
        if !e.has_id() {
            return Err(ConfigError::invalid(&at, "must contain {id}"));
        }
        steps.push(DeleteStep::Call(e));
    }
    Ok(steps)
}

/// The keys of the `immutable` attributes; each a top-level attribute that is written (not `read_only`, not a
/// template).
pub fn compile_immutable(file: &ResourceMappingFile, key: &str) -> Result<Vec<String>, ConfigError> {
    let mut keys = Vec::new();
    for (k, value) in &file.attributes {
        let AttributeFile::Full(t) = value else { continue };
        if !t.immutable {
            continue;
        }
        let at = format!("{key}.attributes.{k:?}.immutable");
        if t.read_only || t.template.is_some() || t.write_only {
            return Err(ConfigError::invalid(
                at,
                "applies to an attribute that is written and read back (not read_only, write_only or a template)",
            ));
        }
        if !k.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConfigError::invalid(at, "applies to a top-level attribute"));
        }
        keys.push(k.clone());
    }
    Ok(keys)
}

/// `after_create`: product calls on the new object, each with `{id}`.
pub fn compile_after_create(file: &ResourceMappingFile, key: &str) -> Result<Vec<Endpoint>, ConfigError> {
    let mut calls = Vec::new();
    for (i, text) in file.after_create.iter().enumerate() {
        let at = format!("{key}.after_create[{i}]");
        let e = Endpoint::parse(text)
            .map_err(|m| ConfigError::invalid(&at, format!("expected \"METHOD /path/{{id}}\": {m}")))?;
        if !e.has_id() {
            return Err(ConfigError::invalid(&at, "must contain {id}"));
        }
        calls.push(e);
    }
    Ok(calls)
}
