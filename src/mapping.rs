//! The config-driven translation between SCIM resources and the product's API: which endpoint each operation
//! calls, how ids look, how listings page, which filters the product evaluates, and how attributes map.
//!
//! `compile` turns the config tables into these runtime types, naming the exact key on every mistake; serving
//! code never sees a config struct.

pub mod api;
pub mod attribute;
mod compile;
pub mod endpoint;
pub mod listing;
pub mod members;
pub mod paging;
pub mod pointer;
pub mod push_down;

use crate::scim;
use attribute::AttributeMap;
pub use compile::compile;
use endpoint::Endpoint;
use members::Members;
use paging::Paging;
use pointer::Pointer;
use push_down::PushDown;
use serde_json::Value;

/// A whole named mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// SCIM Users ⇄ the product's users.
    pub users: ResourceMapping,
    /// SCIM Groups ⇄ the product's teams, when configured.
    pub groups: Option<GroupMapping>,
    /// Where the product's error bodies carry a message, if they do.
    pub error_message: Option<Pointer>,
    /// Extra headers on every product request.
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

/// SCIM Groups ⇄ the product's teams and their members.
#[derive(Debug, Clone)]
pub struct GroupMapping {
    /// The team objects.
    pub resource: ResourceMapping,
    /// How the product keeps members.
    pub members: Members,
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
    /// List.
    pub list: Endpoint,
    /// List with pushed-down filter parameters, when it differs from `list`.
    pub search: Option<Endpoint>,
    /// Read one.
    pub get: Endpoint,
    /// Create.
    pub create: Endpoint,
    /// Update (changed fields only, or the whole object: see [`UpdateStyle`]).
    pub update: Endpoint,
    /// Delete.
    pub delete: Endpoint,
    /// Deactivate (for [`Deactivate::Endpoint`]).
    pub deactivate: Option<Endpoint>,
    /// Reactivate (for [`Deactivate::Endpoint`]).
    pub reactivate: Option<Endpoint>,
}

/// What an update call sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStyle {
    /// Only the changed fields.
    Partial,
    /// The whole object, built from a fresh read.
    Replace,
}

/// How `active = false` reaches the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deactivate {
    /// Through the attribute mapping of `active`, like any field.
    Field,
    /// Through the `deactivate` / `reactivate` endpoints.
    Endpoint,
    /// The object is deleted.
    Delete,
}

/// A create that meets an object with the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// 409 uniqueness.
    Reject,
    /// The existing object is updated with the SCIM values and answered as created.
    Adopt,
}

/// Where single objects sit in request and response bodies.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// Request bodies: the object is placed at this pointer.
    pub request: Option<Pointer>,
    /// Responses: the object is found at this pointer.
    pub response: Option<Pointer>,
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
    /// The SCIM schema restricted to what the mapping holds: what `/Schemas` advertises.
    pub schema: scim::schema::ResourceSchema,
    /// Body envelopes.
    pub envelope: Envelope,
    /// What an update sends.
    pub update: UpdateStyle,
    /// How deactivation is done.
    pub deactivate: Deactivate,
    /// What a create meeting an existing object does.
    pub on_conflict: OnConflict,
    /// Product fields set on create unless mapped attributes set them.
    pub create_defaults: Vec<(Pointer, Value)>,
    /// Marker written on create and adopt.
    pub managed: Option<(Pointer, Value)>,
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
    /// A product value that the attribute's value map does not know, with no `read_fallback` for it.
    #[error(
        "the product holds {value} for {attribute}, which its value map does not know; map it, or give the rule \
         read_fallback = <SCIM value> to read such values as one"
    )]
    UnknownProductValue {
        /// The attribute, as written in the mapping.
        attribute: String,
        /// The product value, as JSON.
        value: String,
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
            MappingError::ProductShape(_) | MappingError::UnknownProductValue { .. } => {
                scim::Error::new(http::StatusCode::BAD_GATEWAY, e.to_string())
            }
        }
    }
}

// === impl ResourceMapping ===

impl ResourceMapping {
    /// The product id of a product object, as the SCIM `id`.
    pub fn id_of(&self, object: &Value) -> Result<String, scim::Error> {
        match self.id.get(object) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(MappingError::ProductShape(format!("an object has no id at {:?}", self.id.as_str())).into()),
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
            // `.` and `..` would be dot segments in a product path (RFC 3986 §5.2.4): no object has such an id.
            IdType::String => {
                !id.is_empty() && id.len() <= 1024 && !id.chars().any(char::is_control) && !endpoint::is_dot_segment(id)
            }
        }
    }
}
