//! Config tables → runtime mapping, naming the exact key (`mappings.NAME.users.paging.style`) on every mistake.

use super::attribute::AttributeMap;
use super::endpoint::Endpoint;
use super::paging::{Paging, Style, Total};
use super::pointer::Pointer;
use super::push_down::{self, PushDown};
use super::{Deactivate, Endpoints, Envelope, GroupMapping, IdType, Mapping, OnConflict, ResourceMapping, UpdateStyle};
use crate::config::ConfigError;

mod attributes;
mod membership;

use crate::config::file::{MappingFile, ResourceMappingFile};
use crate::scim::schema::{Access, Mapped, ResourceSchema, SchemaError};
use attributes::attributes;
use membership::compile_members;

/// Build a runtime mapping from its config table; `key` is its path (`mappings.NAME`).
pub fn compile(file: &MappingFile, key: &str) -> Result<Mapping, ConfigError> {
    let error_message = match &file.error_message {
        None => None,
        Some(p) => Some(pointer(p, &format!("{key}.error_message"))?),
    };
    let mut headers = Vec::new();
    for (name, value) in &file.headers {
        let at = format!("{key}.headers.{name:?}");
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ConfigError::invalid(&at, "not a valid header name"))?;
        let value =
            http::HeaderValue::from_str(value).map_err(|_| ConfigError::invalid(&at, "not a valid header value"))?;
        headers.push((name, value));
    }
    let users = resource(
        &file.users,
        &format!("{key}.users"),
        "userName",
        ResourceSchema::user(),
        &[],
    )?;
    if file.users.members.is_some() {
        return Err(ConfigError::invalid(
            format!("{key}.users.members"),
            "members belong to groups",
        ));
    }
    let groups = match &file.groups {
        None => None,
        Some(g) => {
            let at = format!("{key}.groups");
            // Members are held by the membership style, always read-write.
            let members = [Mapped::new("members", Access::ReadWrite)];
            let resource = resource(g, &at, "displayName", ResourceSchema::group(), &members)?;
            let members = g
                .members
                .as_ref()
                .ok_or_else(|| ConfigError::invalid(format!("{at}.members"), "is required for groups"))?;
            if resource.attributes.rules().iter().any(|r| r.target.is_named("members")) {
                return Err(ConfigError::invalid(
                    format!("{at}.attributes"),
                    "members is mapped by groups.members, not as an attribute",
                ));
            }
            let members = compile_members(members, &format!("{at}.members"))?;
            Some(GroupMapping { resource, members })
        }
    };
    Ok(Mapping {
        users,
        groups,
        error_message,
        headers,
    })
}

fn pointer(text: &str, at: &str) -> Result<Pointer, ConfigError> {
    Pointer::parse(text).map_err(|m| ConfigError::invalid(at, m))
}

fn choice<T: Copy>(value: &str, at: &str, options: &[(&str, T)]) -> Result<T, ConfigError> {
    options
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            ConfigError::invalid(at, format!("{value:?}: expected one of {}", names.join(", ")))
        })
}

fn resource(
    file: &ResourceMappingFile,
    key: &str,
    required: &str,
    full: &ResourceSchema,
    extra: &[Mapped],
) -> Result<ResourceMapping, ConfigError> {
    let at = |k: &str| format!("{key}.{k}");
    let id = pointer(&file.id, &at("id"))?;
    let id_type = choice(
        &file.id_type,
        &at("id_type"),
        &[
            ("integer", IdType::Integer),
            ("uuid", IdType::Uuid),
            ("string", IdType::String),
        ],
    )?;
    let endpoints = endpoints(file, key)?;
    let update = match &file.update_style {
        Some(s) => choice(
            s,
            &at("update_style"),
            &[("partial", UpdateStyle::Partial), ("replace", UpdateStyle::Replace)],
        )?,
        None if endpoints.update.method == http::Method::PATCH => UpdateStyle::Partial,
        None => UpdateStyle::Replace,
    };
    let deactivate = choice(
        &file.deactivate,
        &at("deactivate"),
        &[
            ("field", Deactivate::Field),
            ("endpoint", Deactivate::Endpoint),
            ("delete", Deactivate::Delete),
        ],
    )?;
    if deactivate == Deactivate::Endpoint && (endpoints.deactivate.is_none() || endpoints.reactivate.is_none()) {
        return Err(ConfigError::invalid(
            at("deactivate"),
            "\"endpoint\" needs endpoints.deactivate and endpoints.reactivate",
        ));
    }
    let on_conflict = choice(
        &file.on_conflict,
        &at("on_conflict"),
        &[("reject", OnConflict::Reject), ("adopt", OnConflict::Adopt)],
    )?;
    let paging = compile_paging(file, key)?;
    let mut push_rules = Vec::new();
    for (k, param) in &file.filters {
        push_rules.push(
            push_down::Rule::parse(k, param).map_err(|m| ConfigError::invalid(at(&format!("filters.{k:?}")), m))?,
        );
    }
    let attributes = attributes(file, key, required, update == UpdateStyle::Replace)?;
    let mut schema = restricted(&attributes, full, extra, key, deactivate != Deactivate::Field)?;
    for rule in attributes.required() {
        let named = |a: &&mut crate::scim::schema::Attribute| a.name.eq_ignore_ascii_case(&rule.key);
        let attrs = schema.common.iter_mut().chain(schema.core.attributes.iter_mut());
        if let Some(a) = attrs.into_iter().find(named) {
            a.required = true;
        }
    }
    if on_conflict == OnConflict::Adopt && !push_rules.iter().any(|r| r.is_eq_on(required)) {
        return Err(ConfigError::invalid(
            at("on_conflict"),
            format!("\"adopt\" needs a filters rule \"{required} eq\" to find the existing object"),
        ));
    }
    let envelope = Envelope {
        request: file
            .envelope
            .request
            .as_deref()
            .map(|p| pointer(p, &at("envelope.request")))
            .transpose()?,
        response: file
            .envelope
            .response
            .as_deref()
            .map(|p| pointer(p, &at("envelope.response")))
            .transpose()?,
    };
    let mut create_defaults = Vec::new();
    for (p, v) in &file.create_defaults {
        create_defaults.push((pointer(p, &at(&format!("create_defaults.{p:?}")))?, v.clone()));
    }
    let managed = match &file.managed {
        Some(m) => Some((pointer(&m.pointer, &at("managed.pointer"))?, m.value.clone())),
        None => None,
    };
    Ok(ResourceMapping {
        id,
        id_type,
        endpoints,
        paging,
        push_down: PushDown::new(push_rules),
        attributes,
        schema,
        envelope,
        update,
        deactivate,
        on_conflict,
        create_defaults,
        managed,
    })
}

fn endpoints(file: &ResourceMappingFile, key: &str) -> Result<Endpoints, ConfigError> {
    let endpoint = |name: &str, text: &str, with_id: bool| {
        let at = format!("{key}.endpoints.{name}");
        let e = Endpoint::parse(text).map_err(|m| ConfigError::invalid(&at, m))?;
        if e.has_id() != with_id {
            let m = if with_id {
                "must contain {id}"
            } else {
                "must not contain {id}"
            };
            return Err(ConfigError::invalid(&at, m));
        }
        Ok(e)
    };
    let e = &file.endpoints;
    Ok(Endpoints {
        list: endpoint("list", &e.list, false)?,
        search: e.search.as_deref().map(|t| endpoint("search", t, false)).transpose()?,
        get: endpoint("get", &e.get, true)?,
        create: endpoint("create", &e.create, false)?,
        update: endpoint("update", &e.update, true)?,
        delete: endpoint("delete", &e.delete, true)?,
        deactivate: e
            .deactivate
            .as_deref()
            .map(|t| endpoint("deactivate", t, true))
            .transpose()?,
        reactivate: e
            .reactivate
            .as_deref()
            .map(|t| endpoint("reactivate", t, true))
            .transpose()?,
    })
}

/// The schema advertised for a mapping: only its attributes, with their real access. An attribute key that
/// names no SCIM attribute is a config error at that key.
fn restricted(
    attributes: &AttributeMap,
    full: &ResourceSchema,
    extra: &[Mapped],
    key: &str,
    active_by_endpoint: bool,
) -> Result<ResourceSchema, ConfigError> {
    let mut mapped: Vec<Mapped> = extra.to_vec();
    for (path, read_only, write_only) in attributes.advertised() {
        // `active` read from a field but written through (de)activation endpoints or deletion is read-write.
        let read_only = read_only && !(active_by_endpoint && path.eq_ignore_ascii_case("active"));
        let access = match (read_only, write_only) {
            (true, _) => Access::ReadOnly,
            (_, true) => Access::WriteOnly,
            _ => Access::ReadWrite,
        };
        // `meta` is the gateway's own and always advertised; its sub-attributes only say where values come from.
        if path.to_ascii_lowercase().starts_with("meta.") {
            continue;
        }
        full.restricted(&[Mapped::new(path, access)]).map_err(|e| {
            ConfigError::invalid(
                format!("{key}.attributes.{path:?}"),
                match e {
                    SchemaError::Unknown(_) => format!("{path} is not an attribute of the SCIM {} schema", full.name),
                    other => other.to_string(),
                },
            )
        })?;
        mapped.push(Mapped::new(path, access));
    }
    full.restricted(&mapped)
        .map_err(|e| ConfigError::invalid(format!("{key}.attributes"), e.to_string()))
}

fn compile_paging(file: &ResourceMappingFile, key: &str) -> Result<Paging, ConfigError> {
    let p = &file.paging;
    let at = |k: &str| format!("{key}.paging.{k}");
    let next = || match &p.next {
        Some(n) => pointer(n, &at("next")),
        None => Err(ConfigError::invalid(at("next"), "is required for this paging style")),
    };
    let style = match p.style.as_str() {
        "page" => Style::Page {
            page: p.page_param.clone(),
            size: p.size_param.clone(),
        },
        "offset" => Style::Offset {
            offset: p.page_param.clone(),
            limit: p.size_param.clone(),
        },
        "cursor" => Style::Cursor {
            cursor: p.cursor_param.clone(),
            size: p.size_param.clone(),
            next: next()?,
        },
        "next_link" => Style::NextLink {
            size: p.size_param.clone(),
            next: next()?,
        },
        "none" => Style::None,
        other => {
            return Err(ConfigError::invalid(
                at("style"),
                format!("{other:?}: expected page, offset, cursor, next_link or none"),
            ));
        }
    };
    if p.max_size == 0 {
        return Err(ConfigError::invalid(at("max_size"), "must be at least 1"));
    }
    let items = pointer(&p.items, &at("items"))?;
    let total = match (&p.total, &p.total_header) {
        (Some(t), None) => Total::Pointer(pointer(t, &at("total"))?),
        (None, Some(h)) => Total::Header(
            http::HeaderName::from_bytes(h.as_bytes())
                .map_err(|_| ConfigError::invalid(at("total_header"), "not a valid header name"))?,
        ),
        (None, None) => Total::Count,
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                at("total_header"),
                "give total or total_header, not both",
            ));
        }
    };
    Ok(Paging {
        style,
        max_size: p.max_size,
        items,
        total,
    })
}
