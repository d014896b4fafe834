//! The `[mappings.NAME]` tables as written: how SCIM Users and Groups map onto a product's API.

use super::*;

/// One `[mappings.NAME]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// How SCIM Users map onto the product's users.
    pub users: ResourceMappingFile,
    /// How SCIM Groups map onto the product's teams; without it, `/Groups` is not served.
    #[serde(default)]
    pub groups: Option<ResourceMappingFile>,
    /// Where the product puts a human-readable message in its error bodies (JSON pointer).
    #[serde(default)]
    pub error_message: Option<String>,
    /// Extra headers sent with every product request (`"X-Client" = "scimgate"`); values are plain text, so
    /// credentials belong in the tenant's `upstream.auth`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// `[mappings.NAME.users]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceMappingFile {
    /// JSON pointer of the product's id in its objects.
    #[serde(default = "default_id_pointer")]
    pub id: String,
    /// `integer`, `uuid` or `string`: what a valid product id looks like.
    #[serde(default = "default_id_type")]
    pub id_type: String,
    /// `"METHOD /path/{id}"` per operation.
    pub endpoints: EndpointsFile,
    /// How the product pages its listings.
    #[serde(default)]
    pub paging: PagingFile,
    /// Filter push-down: `"userName eq" = "email"` sends `?email=<value>`.
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// SCIM attribute path → product field.
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeFile>,
    /// What to do with a SCIM attribute in a write that no mapping holds: `reject` (400) or `ignore` (it is not
    /// advertised in `/Schemas` either).
    #[serde(default = "default_unmapped")]
    pub unmapped: String,
    /// Where single objects sit in the product's request and response bodies (`{"user": {...}}`).
    #[serde(default)]
    pub envelope: EnvelopeFile,
    /// `partial` (send only the changed fields) or `replace` (send the whole object, built from a fresh read).
    /// Defaults to `partial` for a PATCH update endpoint and `replace` otherwise.
    #[serde(default)]
    pub update_style: Option<String>,
    /// How `active = false` reaches the product: `field` (the attribute mapping of `active`), `endpoint`
    /// (`endpoints.deactivate` / `endpoints.reactivate`) or `delete` (the object is deleted).
    #[serde(default = "default_deactivate")]
    pub deactivate: String,
    /// A create that finds the same `userName` (or group `displayName`) already in the product: `reject`
    /// (409 uniqueness) or `adopt` (the existing object is updated and linked).
    #[serde(default = "default_on_conflict")]
    pub on_conflict: String,
    /// Product fields set on every create, e.g. `{ "/role" = "member" }`, unless a mapped attribute sets them.
    #[serde(default)]
    pub create_defaults: BTreeMap<String, serde_json::Value>,
    /// A marker field written on create and adopt, flagging the object as managed by SCIM.
    #[serde(default)]
    pub managed: Option<ManagedFile>,
    /// Group membership (groups only).
    #[serde(default)]
    pub members: Option<MembersFile>,
    /// Product sub-objects (JSON pointers) that the product replaces whole on update: an update touching a field
    /// inside one sends the entire sub-object, merged from a fresh read.
    #[serde(default)]
    pub whole: Vec<String>,
}

/// `envelope = { request = "/user", response = "/data" }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeFile {
    /// JSON pointer at which the object is placed in request bodies.
    #[serde(default)]
    pub request: Option<String>,
    /// JSON pointer at which the object is found in single-object responses.
    #[serde(default)]
    pub response: Option<String>,
}

/// `managed = { pointer = "/managed_by", value = "scim" }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedFile {
    /// The product field.
    pub pointer: String,
    /// The value written to it.
    pub value: serde_json::Value,
}

/// `[mappings.NAME.groups.members]`: how the product keeps a team's members.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersFile {
    /// `endpoints` (a call per member), `batch` (one call with lists of keys), `list` (a member array on the
    /// team object, read-modify-write) or `user_field` (a team field on the user object).
    pub style: String,
    /// JSON pointer, in the *user* object, of the key the product's membership data uses (default: the user id).
    #[serde(default)]
    pub user_key: Option<String>,
    /// `endpoints`: `"PUT /teams/{id}/members/{member}"`.
    #[serde(default)]
    pub add: Option<String>,
    /// `endpoints`: `"DELETE /teams/{id}/members/{member}"`.
    #[serde(default)]
    pub remove: Option<String>,
    /// `batch`: `"POST /teams/{id}/members"`.
    #[serde(default)]
    pub batch: Option<String>,
    /// `batch`: where the keys to add go in the batch body.
    #[serde(default)]
    pub batch_add: Option<String>,
    /// `batch`: where the keys to remove go in the batch body.
    #[serde(default)]
    pub batch_remove: Option<String>,
    /// `endpoints`/`batch`: `"GET /teams/{id}/members"`, the team's member listing.
    #[serde(default)]
    pub list: Option<String>,
    /// `endpoints`/`batch`: where the member array is in the listing ("" for a bare array).
    #[serde(default)]
    pub list_items: Option<String>,
    /// `endpoints`/`batch`: where the key is in one element of the listing ("" when elements are keys).
    #[serde(default)]
    pub item_key: Option<String>,
    /// `list`: where the member key array is in the team object; `user_field`: where the team id (or an array
    /// of them) is in the user object.
    #[serde(default)]
    pub pointer: Option<String>,
    /// `user_field`: the users' query parameter that lists a team's members (`"filter[team_ids][_contains]"`).
    #[serde(default)]
    pub user_filter: Option<String>,
    /// Product calls run at once for one group PATCH.
    #[serde(default = "default_member_concurrency")]
    pub concurrency: usize,
}

/// `endpoints = { list = "GET /users", ... }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointsFile {
    /// List (and search) the product's objects.
    pub list: String,
    /// Read one object by id.
    pub get: String,
    /// Create an object.
    pub create: String,
    /// Partial update (`PATCH`) or full replace (`PUT`) of one object.
    pub update: String,
    /// Delete one object.
    pub delete: String,
    /// A listing used for pushed-down filters instead of `list` (`"GET /users/search"`), when the product has one.
    #[serde(default)]
    pub search: Option<String>,
    /// `endpoint` deactivation: `"POST /users/{id}/deactivate"`.
    #[serde(default)]
    pub deactivate: Option<String>,
    /// `endpoint` deactivation: `"POST /users/{id}/reactivate"`.
    #[serde(default)]
    pub reactivate: Option<String>,
}

/// `paging = { style = "page", ... }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingFile {
    /// `page` (1-based page number + page size), `offset` (offset + limit), `cursor` (an opaque cursor from
    /// the previous answer), `next_link` (the next page's URL from the previous answer) or `none`.
    #[serde(default = "default_paging_style")]
    pub style: String,
    /// Query parameter of the page number or offset.
    #[serde(default = "default_page_param")]
    pub page_param: String,
    /// Query parameter of the page size or limit.
    #[serde(default = "default_size_param")]
    pub size_param: String,
    /// Largest page the product serves.
    #[serde(default = "default_product_max_page")]
    pub max_size: u32,
    /// JSON pointer of the array of objects in a listing ("" for a bare array).
    #[serde(default = "default_items")]
    pub items: String,
    /// JSON pointer of the total count in a listing, when the product gives one.
    #[serde(default)]
    pub total: Option<String>,
    /// Response header carrying the total count (`X-Total-Count`), when the product gives one there.
    #[serde(default)]
    pub total_header: Option<String>,
    /// `cursor`: the query parameter carrying the cursor.
    #[serde(default = "default_cursor_param")]
    pub cursor_param: String,
    /// `cursor`/`next_link`: JSON pointer of the next cursor or next-page URL in a listing (null or absent on
    /// the last page).
    #[serde(default)]
    pub next: Option<String>,
}

/// An attribute mapping: either a bare JSON pointer or a table with a transform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeFile {
    /// `userName = "/email"`.
    Pointer(String),
    /// `active = { pointer = "/status", map = { true = "active", false = "suspended" } }`.
    Full(Box<AttributeTableFile>),
}

/// The table form of an attribute mapping.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeTableFile {
    /// JSON pointer into the product object (absent for a `template`), or a list of them read in order (the
    /// first present wins; writes go to the first, or to `write`). A read pointer may select an array element,
    /// `/custom_fields/[id=5]/value`.
    #[serde(default)]
    pub pointer: Option<PointersFile>,
    /// Where writes go when they differ from where the value is read (a plain JSON pointer).
    #[serde(default)]
    pub write: Option<String>,
    /// The SCIM value read for a product value the `map` does not know (without it, such a value is a 502).
    #[serde(default)]
    pub read_fallback: Option<serde_json::Value>,
    /// Accepted in writes, never sent to the product, never returned, not advertised.
    #[serde(default)]
    pub ignore: bool,
    /// The product replaces the object holding this field whole: an update sends all of it, from a fresh read.
    #[serde(default)]
    pub whole: bool,
    /// A read-only value built from product fields: `"{/first_name} {/last_name}"`.
    #[serde(default)]
    pub template: Option<String>,
    /// Written to the product, never read back (e.g. a password).
    #[serde(default)]
    pub write_only: bool,
    /// SCIM value used on create when the IdP sends none.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// SCIM value (as its JSON text: `true`, `"x"`) → product value, one to one.
    #[serde(default)]
    pub map: Option<BTreeMap<String, serde_json::Value>>,
    /// Read from the product, never written to it.
    #[serde(default)]
    pub read_only: bool,
    /// The product always holds a value: advertised `required`, refused when absent from a create or a PUT
    /// (unless `default` fills it) and when a PATCH removes it (RFC 7644 §3.5.2: 400 `mutability`).
    #[serde(default)]
    pub required: bool,
    /// What `""` written to the attribute means: `"clear"` (the default: the field is cleared, as `null` clears
    /// it) or `"keep"` (sent as it is, for a product that wants empty strings).
    #[serde(default)]
    pub empty: Option<String>,
}

/// `pointer = "/email"` or `pointer = ["/email", "/contact/email"]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PointersFile {
    /// One pointer.
    One(String),
    /// Read pointers in order.
    Many(Vec<String>),
}

impl PointersFile {
    /// The pointers, in order.
    pub fn all(&self) -> Vec<&str> {
        match self {
            PointersFile::One(p) => vec![p.as_str()],
            PointersFile::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

impl Default for PagingFile {
    fn default() -> Self {
        PagingFile {
            style: default_paging_style(),
            page_param: default_page_param(),
            size_param: default_size_param(),
            max_size: default_product_max_page(),
            items: default_items(),
            total: None,
            total_header: None,
            cursor_param: default_cursor_param(),
            next: None,
        }
    }
}
