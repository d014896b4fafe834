//! `scimgate preview`: what a mapping makes of a product object (the SCIM resource an IdP would read) and of a
//! SCIM resource (the product body a create would send), offline, without a product or any secret. For the
//! people who write mappings.

pub mod update;

use crate::config::ConfigError;
use crate::config::file::ConfigFile;
use crate::mapping::api::Api;
use crate::mapping::listing::Source;
use crate::mapping::paging::Next;
use crate::mapping::push_down;
use crate::mapping::{self, Deactivate, Mapping, ResourceMapping};
use crate::ops::objects;
use crate::ops::resource::{self, GROUP, Kind, USER};
use crate::scim::{self, filter::Filter, filter::Limits};
use crate::upstream::ProductResponse;
use serde_json::{Map, Value};

/// Which resource type to preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// SCIM Users ⇄ the product's users.
    User,
    /// SCIM Groups ⇄ the product's teams (members excepted: they travel by the membership style).
    Group,
}

/// The mapping named `name`, or the one tenant `tenant` uses, compiled on its own (no secrets are read).
pub fn mapping_of(file: &ConfigFile, name: Option<&str>, tenant: Option<&str>) -> Result<Mapping, ConfigError> {
    let name = match (name, tenant) {
        (Some(n), _) => n.to_owned(),
        (None, Some(t)) => file
            .tenants
            .iter()
            .find(|x| x.id == t)
            .map(|x| x.mapping.clone())
            .ok_or_else(|| ConfigError::invalid("tenants", format!("no tenant {t:?}")))?,
        (None, None) if file.mappings.len() == 1 => file.mappings.keys().next().cloned().unwrap_or_default(),
        (None, None) => {
            return Err(ConfigError::invalid(
                "mappings",
                "several mappings are defined; name one with --mapping or --tenant",
            ));
        }
    };
    let table = file
        .mappings
        .get(&name)
        .ok_or_else(|| ConfigError::invalid("mappings", format!("no mapping named {name:?}")))?;
    mapping::compile(table, &format!("mappings.{name}"))
}

pub(crate) fn pick(mapping: &Mapping, resource: Resource) -> Result<(Kind, &ResourceMapping), scim::Error> {
    match resource {
        Resource::User => Ok((USER, &mapping.users)),
        Resource::Group => mapping
            .groups
            .as_ref()
            .map(|g| (GROUP, &g.resource))
            .ok_or_else(|| scim::Error::not_found("the mapping has no groups")),
    }
}

/// The SCIM resource a product object becomes (`meta.location` under `base_url`).
pub fn to_scim(mapping: &Mapping, resource: Resource, product: &Value, base_url: &str) -> Result<Value, scim::Error> {
    let (kind, res) = pick(mapping, resource)?;
    let object = match &res.envelope.response {
        Some(p) => p.get(product).cloned().unwrap_or_else(|| product.clone()),
        None => product.clone(),
    };
    Ok(resource::render(kind, res, &object, base_url)?.json)
}

/// The product body a create of this SCIM resource sends (inside the request envelope, if any).
pub fn to_product(mapping: &Mapping, resource: Resource, scim: &Value) -> Result<Value, scim::Error> {
    let (kind, res) = pick(mapping, resource)?;
    resource::check_incoming(kind, scim)?;
    let mut scim = scim.clone();
    if resource == Resource::Group
        && let Some(map) = scim.as_object_mut()
    {
        map.retain(|k, _| !k.eq_ignore_ascii_case("members"));
    }
    let body = objects::create_body(res, &scim)?;
    match &res.envelope.request {
        Some(p) => {
            let mut wrapped = Value::Object(Map::new());
            objects::set(p, &mut wrapped, body)?;
            Ok(wrapped)
        }
        None => Ok(body),
    }
}

/// The create call (`POST /users/ada`) of this SCIM resource, when the create path holds fields of the object
/// sent (`{/name}`); `None` for a fixed create path. A missing field is the error the IdP would get.
pub fn create_call(mapping: &Mapping, resource: Resource, scim: &Value) -> Result<Option<String>, scim::Error> {
    let (_, res) = pick(mapping, resource)?;
    let create = &res.endpoints.create;
    if create.fields().next().is_none() {
        return Ok(None);
    }
    let mut object = to_product(mapping, resource, scim)?;
    if let Some(p) = &res.envelope.request {
        object = p.get(&object).cloned().unwrap_or(Value::Null);
    }
    Ok(Some(format!("{} {}", create.method, res.create_path(&object)?)))
}

/// What the product's answer to a create becomes.
#[derive(Debug)]
pub enum CreateAnswer {
    /// The answer held the object (itself, or the one element of an array): the SCIM resource the IdP gets.
    Resource(Value),
    /// The answer was empty: the object is read back with this call (`GET /users/ada`).
    ReadBack(String),
}

/// What a create of `scim` makes of the product's successful answer `answer` (with its `Location` header, if any):
/// the SCIM resource, or the read that fetches the object when the answer is empty. Any other answer is the
/// mapping error the IdP would get.
pub fn create_answer(
    mapping: &Mapping,
    resource: Resource,
    scim: &Value,
    answer: &[u8],
    location: Option<&str>,
    base_url: &str,
) -> Result<CreateAnswer, scim::Error> {
    let (kind, res) = pick(mapping, resource)?;
    let mut sent = to_product(mapping, resource, scim)?;
    if let Some(p) = &res.envelope.request {
        sent = p.get(&sent).cloned().unwrap_or(Value::Null);
    }
    Ok(match mapping::created::read(res, location, answer, &sent)? {
        mapping::created::Created::Object(object) => {
            CreateAnswer::Resource(resource::render(kind, res, &object, base_url)?.json)
        }
        mapping::created::Created::ReadBack(id) => CreateAnswer::ReadBack(format!(
            "{} {}",
            res.endpoints.get.method,
            res.endpoints.get.render(Some(&id), &[])
        )),
    })
}

/// What a product listing page becomes.
#[derive(Debug)]
pub struct Listing {
    /// The SCIM ListResponse of the page, as the first page of an unfiltered `GET /Users` or `GET /Groups`.
    pub response: Value,
    /// For a cursor or next-link listing, where the next page would be read from (`None`: this is the last page).
    /// Offset and page listings ask for the following page by number.
    pub next: Option<Option<String>>,
}

/// The SCIM ListResponse a product listing page becomes (its items at the mapping's `paging.items`, its total
/// where the mapping says, else the items counted).
pub fn listing(mapping: &Mapping, resource: Resource, page: &Value, base_url: &str) -> Result<Listing, scim::Error> {
    let (kind, res) = pick(mapping, resource)?;
    let items = res.paging.items(page)?;
    let total = res
        .paging
        .total(page, &http::HeaderMap::new())
        .unwrap_or(items.len() as u64);
    let mut resources = Vec::with_capacity(items.len());
    for item in &items {
        let mut json = resource::render(kind, res, item, base_url)?.json;
        if res.deactivate == Deactivate::Delete
            && let Some(members) = json.as_object_mut()
        {
            members.entry("active").or_insert(Value::Bool(true));
        }
        resources.push(json);
    }
    let next = res.paging.sequential().then(|| match res.paging.next(page) {
        Next::Query(query) => Some(res.endpoints.list.render(None, &query)),
        Next::Link(link) => Some(link),
        Next::End => None,
    });
    Ok(Listing {
        response: scim::list::response(resources, total, 1),
        next,
    })
}

/// What a SCIM filter becomes at the product.
#[derive(Debug, PartialEq, Eq)]
pub struct Query {
    /// The list call with the pushed-down parameters (paging parameters are added per page), or the read by path.
    pub call: String,
    /// The parameters the product evaluates.
    pub pushed: Vec<(String, String)>,
    /// Each pushed-down conjunct, how it is sent and how exact the product's match is.
    pub matches: Vec<push_down::Pushed>,
    /// The filter the gateway evaluates itself over the listing, when the parameters do not express it all or
    /// a rule's match is not exact.
    pub gateway: Option<String>,
    /// The scan that confirms an empty answer of a case-sensitive rule (within `limits.scan_limit`).
    pub confirm: Option<String>,
}

/// The product query of a SCIM filter: the conjuncts pushed down as parameters, and what is left to the gateway.
pub fn query(mapping: &Mapping, resource: Resource, filter: &str, limits: &Limits) -> Result<Query, scim::Error> {
    let (_, res) = pick(mapping, resource)?;
    let filter = Filter::parse_with(filter, limits)?;
    let plan = res.push_down.plan(&filter);
    let upstream = update::offline()?;
    let api = Api::new(&upstream, mapping, res);
    let call = |plan: &push_down::Plan| match &plan.get {
        Some((endpoint, value)) => format!("GET {}", endpoint.render(Some(value), &[])),
        None => {
            let source = Source::for_query(&api, &plan.query);
            format!(
                "{} {}",
                source.endpoint.method,
                source.endpoint.render(None, &plan.query)
            )
        }
    };
    Ok(Query {
        call: call(&plan),
        gateway: (!plan.complete).then(|| filter.to_string()),
        confirm: plan.confirm.as_deref().map(call),
        matches: plan.pushed,
        pushed: plan.query,
    })
}

/// The SCIM error the IdP gets for a product answer `status` with `body` to `operation` (the mapping's error
/// rules, then the built-in table; the message from the mapping's `error_message`).
pub fn error(
    mapping: &Mapping,
    resource: Resource,
    status: u16,
    body: &[u8],
    operation: Option<&str>,
) -> Result<scim::Error, scim::Error> {
    let (_, res) = pick(mapping, resource)?;
    let op = match operation {
        None => None,
        Some(name) => Some(crate::mapping::errors::Operation::parse(name).ok_or_else(|| {
            scim::Error::new(
                http::StatusCode::BAD_REQUEST,
                "--operation must be one of list, get, create, update, delete, member_add, member_remove",
            )
        })?),
    };
    let status = http::StatusCode::from_u16(status)
        .ok()
        .filter(|s| !s.is_success())
        .ok_or_else(|| {
            scim::Error::new(
                http::StatusCode::BAD_REQUEST,
                "--status must be an error status (300-599)",
            )
        })?;
    let upstream = update::offline()?;
    let api = Api::new(&upstream, mapping, res);
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    Ok(api.error_of(
        &ProductResponse {
            status,
            headers,
            body: bytes::Bytes::copy_from_slice(body),
        },
        op,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classic() -> Mapping {
        let file = crate::config::from_toml(include_str!("../config/examples/classic.toml")).unwrap();
        mapping_of(&file, None, None).unwrap()
    }

    #[test]
    fn a_product_user_becomes_a_scim_user() {
        let product = json!({"id": 7, "username": "ada@example.com", "first_name": "Ada", "status": "suspended",
            "created_at": "2026-01-01T00:00:00Z", "version": 3});
        let scim = to_scim(&classic(), Resource::User, &product, "https://scim.example.com/scim/v2").unwrap();
        assert_eq!(scim["id"], "7");
        assert_eq!(scim["userName"], "ada@example.com");
        assert_eq!(scim["name"]["givenName"], "Ada");
        assert_eq!(scim["active"], false);
        assert_eq!(scim["meta"]["location"], "https://scim.example.com/scim/v2/Users/7");
        assert_eq!(scim["meta"]["version"], "W/\"3\"");
    }

    #[test]
    fn a_scim_user_becomes_a_product_body_and_unmapped_attributes_are_refused() {
        let scim = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com",
            "name": {"givenName": "Ada"}, "active": true});
        let body = to_product(&classic(), Resource::User, &scim).unwrap();
        assert_eq!(
            body,
            json!({"username": "ada@example.com", "first_name": "Ada", "status": "active"})
        );
        let mut bad = scim.clone();
        bad["nickName"] = json!("A");
        let err = to_product(&classic(), Resource::User, &bad).unwrap_err();
        assert!(err.detail.contains("nickName"), "{}", err.detail);
    }

    #[test]
    fn a_create_path_with_fields_of_the_new_object_is_shown() {
        let file = crate::config::from_toml(&include_str!("../config/examples/classic.toml").replacen(
            "create = \"POST /users\"",
            "create = \"PUT /users/{/username}\"",
            1,
        ))
        .unwrap();
        let mapping = mapping_of(&file, None, None).unwrap();
        let scim = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada b"});
        let call = create_call(&mapping, Resource::User, &scim).unwrap();
        assert_eq!(call.as_deref(), Some("PUT /users/ada%20b"));
        assert_eq!(create_call(&classic(), Resource::User, &scim).unwrap(), None);
        let dots = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ".."});
        let err = create_call(&mapping, Resource::User, &dots).unwrap_err();
        assert!(err.detail.starts_with("userName: cannot be"), "{}", err.detail);
    }

    #[test]
    fn a_create_answer_is_its_object_an_array_of_one_or_a_read_back() {
        let scim = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada"});
        let base = "https://scim.example.com/scim/v2";
        let at = |answer: &[u8], location| create_answer(&classic(), Resource::User, &scim, answer, location, base);
        let CreateAnswer::Resource(one) = at(br#"[{"id": 7, "username": "ada"}]"#, None).unwrap() else {
            panic!("an array of one is the object")
        };
        assert_eq!((one["id"].as_str(), one["userName"].as_str()), (Some("7"), Some("ada")));
        let CreateAnswer::ReadBack(call) = at(b"", Some("/api/v1/users/8")).unwrap() else {
            panic!("an empty answer is read back")
        };
        assert_eq!(call, "GET /users/8");
        let err = at(b"[]", None).unwrap_err();
        assert_eq!(err.status, http::StatusCode::BAD_GATEWAY);
        let err = at(b"", None).unwrap_err();
        assert!(err.detail.contains("Location"), "{}", err.detail);
    }

    #[test]
    fn groups_preview_without_members() {
        let scim = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eng",
            "members": [{"value": "1"}]});
        assert_eq!(
            to_product(&classic(), Resource::Group, &scim).unwrap(),
            json!({"name": "Eng"})
        );
    }
}
