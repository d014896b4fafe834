//! The config-driven translation between SCIM resources and the product's API: which endpoint each operation
//! calls, how ids look, how listings page, which filters the product evaluates, and how attributes map.
//!
//! `compile` turns the config tables into these runtime types, naming the exact key on every mistake; serving
//! code never sees a config struct.

pub mod api;
pub mod attribute;
pub mod endpoint;
pub mod paging;
pub mod pointer;
pub mod push_down;

use crate::config::ConfigError;
use crate::config::file::{AttributeFile, MappingFile, ResourceMappingFile};
use crate::scim;
use attribute::{AttributeMap, Rule, Target, Transform};
use endpoint::Endpoint;
use paging::{Paging, Style};
use pointer::Pointer;
use push_down::PushDown;

/// A whole named mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// SCIM Users ⇄ the product's users.
    pub users: ResourceMapping,
    /// Where the product's error bodies carry a message, if they do.
    pub error_message: Option<Pointer>,
}

/// What a valid product id looks like; a SCIM id that cannot be one is answered 404 without a product call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdType {
    /// Decimal digits.
    Integer,
    /// RFC 4122 text form.
    Uuid,
    /// Any text.
    String,
}

/// The endpoints of one resource type.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// List and search.
    pub list: Endpoint,
    /// Read one.
    pub get: Endpoint,
    /// Create.
    pub create: Endpoint,
    /// Update (`PATCH`: changed fields only; `PUT`: the whole object).
    pub update: Endpoint,
    /// Delete.
    pub delete: Endpoint,
}

/// How one SCIM resource type maps onto one product object type.
#[derive(Debug, Clone)]
pub struct ResourceMapping {
    /// Where the product id is in its objects.
    pub id: Pointer,
    /// What product ids look like.
    pub id_type: IdType,
    /// The product's endpoints.
    pub endpoints: Endpoints,
    /// The product's paging.
    pub paging: Paging,
    /// Filters the product evaluates.
    pub push_down: PushDown,
    /// Attributes.
    pub attributes: AttributeMap,
}

/// A translation that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The IdP sent an attribute the product cannot store.
    #[error(
        "attribute {0} cannot be stored by this service (it is not in the mapping); remove it from the IdP's attribute mapping"
    )]
    Unmapped(String),
    /// A value the value map does not know.
    #[error("{attribute}: {detail}")]
    InvalidValue {
        /// The attribute, as written in the mapping.
        attribute: String,
        /// What is wrong.
        detail: String,
    },
    /// Two attributes write different values to one product field.
    #[error("{first} and {second} are stored in the same field and must have the same value")]
    Conflict {
        /// The first attribute.
        first: String,
        /// The second attribute.
        second: String,
    },
    /// The product's answer does not have the shape the mapping describes.
    #[error("the product API answered in an unexpected shape: {0}")]
    ProductShape(String),
}

impl From<MappingError> for scim::Error {
    fn from(e: MappingError) -> Self {
        match e {
            MappingError::Unmapped(_) | MappingError::InvalidValue { .. } | MappingError::Conflict { .. } => {
                scim::Error::bad_request(scim::ScimType::InvalidValue, e.to_string())
            }
            MappingError::ProductShape(_) => scim::Error::new(http::StatusCode::BAD_GATEWAY, e.to_string()),
        }
    }
}

// === impl IdType ===

impl IdType {
    /// Whether `id` can be a product id of this type.
    pub fn accepts(self, id: &str) -> bool {
        match self {
            IdType::Integer => !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()),
            IdType::Uuid => {
                id.len() == 36
                    && id.char_indices().all(|(i, c)| match i {
                        8 | 13 | 18 | 23 => c == '-',
                        _ => c.is_ascii_hexdigit(),
                    })
            }
            IdType::String => !id.is_empty() && id.len() <= 1024 && !id.chars().any(char::is_control),
        }
    }
}

// === compile ===

/// Build a runtime mapping from its config table; `key` is its path (`mappings.NAME`).
pub fn compile(file: &MappingFile, key: &str) -> Result<Mapping, ConfigError> {
    let error_message = match &file.error_message {
        None => None,
        Some(p) => Some(Pointer::parse(p).map_err(|m| ConfigError::invalid(format!("{key}.error_message"), m))?),
    };
    let users = compile_resource(&file.users, &format!("{key}.users"), "userName")?;
    Ok(Mapping { users, error_message })
}

fn compile_resource(file: &ResourceMappingFile, key: &str, required: &str) -> Result<ResourceMapping, ConfigError> {
    let at = |k: &str| format!("{key}.{k}");
    let id = Pointer::parse(&file.id).map_err(|m| ConfigError::invalid(at("id"), m))?;
    let id_type = match file.id_type.as_str() {
        "integer" => IdType::Integer,
        "uuid" => IdType::Uuid,
        "string" => IdType::String,
        other => {
            return Err(ConfigError::invalid(
                at("id_type"),
                format!("{other:?}: expected integer, uuid or string"),
            ));
        }
    };
    let endpoint = |name: &str, text: &str, with_id: bool| {
        let e = Endpoint::parse(text).map_err(|m| ConfigError::invalid(at(&format!("endpoints.{name}")), m))?;
        if e.has_id() != with_id {
            let m = if with_id {
                "must contain {id}"
            } else {
                "must not contain {id}"
            };
            return Err(ConfigError::invalid(at(&format!("endpoints.{name}")), m));
        }
        Ok(e)
    };
    let e = &file.endpoints;
    let endpoints = Endpoints {
        list: endpoint("list", &e.list, false)?,
        get: endpoint("get", &e.get, true)?,
        create: endpoint("create", &e.create, false)?,
        update: endpoint("update", &e.update, true)?,
        delete: endpoint("delete", &e.delete, true)?,
    };
    if endpoints.update.method != http::Method::PATCH && endpoints.update.method != http::Method::PUT {
        return Err(ConfigError::invalid(
            at("endpoints.update"),
            "the update method must be PATCH or PUT",
        ));
    }
    let paging = compile_paging(file, key)?;
    let mut push_rules = Vec::new();
    for (k, param) in &file.filters {
        push_rules.push(
            push_down::Rule::parse(k, param).map_err(|m| ConfigError::invalid(at(&format!("filters.{k:?}")), m))?,
        );
    }
    let mut rules = Vec::new();
    for (k, value) in &file.attributes {
        let key_at = || at(&format!("attributes.{k:?}"));
        let target = Target::parse(k).map_err(|m| ConfigError::invalid(key_at(), m))?;
        let (pointer, transform, read_only) = match value {
            AttributeFile::Pointer(p) => (p, Transform::Identity, false),
            AttributeFile::Full(t) => (
                &t.pointer,
                t.map.as_ref().map_or(Transform::Identity, Transform::from_table),
                t.read_only,
            ),
        };
        let pointer = Pointer::parse(pointer).map_err(|m| ConfigError::invalid(key_at(), m))?;
        rules.push(Rule {
            key: k.clone(),
            target,
            pointer,
            transform,
            read_only,
        });
    }
    if !rules
        .iter()
        .any(|r| matches!(&r.target, Target::Plain { schema: None, name, sub: None } if name == required))
    {
        return Err(ConfigError::invalid(
            at("attributes"),
            format!("{required} must be mapped"),
        ));
    }
    let reject_unmapped = match file.unmapped.as_str() {
        "reject" => true,
        "ignore" => false,
        other => {
            return Err(ConfigError::invalid(
                at("unmapped"),
                format!("{other:?}: expected reject or ignore"),
            ));
        }
    };
    Ok(ResourceMapping {
        id,
        id_type,
        endpoints,
        paging,
        push_down: PushDown::new(push_rules),
        attributes: AttributeMap::new(rules, reject_unmapped),
    })
}

fn compile_paging(file: &ResourceMappingFile, key: &str) -> Result<Paging, ConfigError> {
    let p = &file.paging;
    let at = |k: &str| format!("{key}.paging.{k}");
    let style = match p.style.as_str() {
        "page" => Style::Page {
            page: p.page_param.clone(),
            size: p.size_param.clone(),
        },
        "offset" => Style::Offset {
            offset: p.page_param.clone(),
            limit: p.size_param.clone(),
        },
        "none" => Style::None,
        other => {
            return Err(ConfigError::invalid(
                at("style"),
                format!("{other:?}: expected page, offset or none"),
            ));
        }
    };
    if p.max_size == 0 {
        return Err(ConfigError::invalid(at("max_size"), "must be at least 1"));
    }
    let items = Pointer::parse(&p.items).map_err(|m| ConfigError::invalid(at("items"), m))?;
    let total = match &p.total {
        None => None,
        Some(t) => Some(Pointer::parse(t).map_err(|m| ConfigError::invalid(at("total"), m))?),
    };
    Ok(Paging {
        style,
        max_size: p.max_size,
        items,
        total,
    })
}
