//! Discovery bodies (RFC 7644 §4, RFC 7643 §5–§7): `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`.
//!
//! Built from a plain description of what a tenant serves ([`Served`]), not from the mapping: the caller passes
//! resource schemas already restricted to the mapping ([`ResourceSchema::restricted`]), so discovery advertises
//! only attributes the gateway can serve. A resource type is listed only when served; a schema extension only
//! when the restricted schema kept it (some attribute of it is mapped). The common attributes `id`, `externalId`
//! and `meta` are part of every resource and of no schema (RFC 7643 §3.1), so `/Schemas` bodies do not list them.

use crate::scim::Error;
use crate::scim::list;
use crate::scim::schema::{ResourceSchema, Schema};
use serde_json::{Value, json};

/// `schemas` URN of `/ServiceProviderConfig` (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// `schemas` URN of a resource type (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// What a tenant serves: the input of every discovery body.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// The SCIM base URL of the tenant, without a trailing slash (`https://gw.example/scim/v2/acme`).
    pub base_url: String,
    /// The largest page: `filter.maxResults`.
    pub max_results: u32,
    /// Whether `sortBy` is honoured: `sort.supported`.
    pub sort: bool,
    /// Whether ETags are served: `etag.supported`.
    pub etag: bool,
    /// `documentationUri`, if any.
    pub documentation_uri: Option<String>,
    /// The served resource types (User, and Group when groups are configured), restricted to the mapping.
    pub resource_types: Vec<ResourceSchema>,
}

impl Served {
    /// The `/ServiceProviderConfig` body (RFC 7643 §5). PATCH and filtering are supported; bulk and password
    /// change are not; authentication is by OAuth bearer token (RFC 6750).
    pub fn service_provider_config(&self) -> Value {
        let mut body = json!({
            "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": self.max_results},
            "changePassword": {"supported": false},
            "sort": {"supported": self.sort},
            "etag": {"supported": self.etag},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication scheme using the OAuth Bearer Token Standard",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", self.base_url),
            },
        });
        if let (Some(uri), Some(map)) = (&self.documentation_uri, body.as_object_mut()) {
            map.insert("documentationUri".into(), json!(uri));
        }
        body
    }

    /// `/ResourceTypes` as a ListResponse.
    pub fn resource_types(&self) -> Value {
        let all: Vec<Value> = self.resource_types.iter().map(|r| self.resource_type_json(r)).collect();
        let total = all.len() as u64;
        list::response(all, total, 1)
    }

    /// `/ResourceTypes/{id}`; an unknown id is 404.
    pub fn resource_type(&self, id: &str) -> Result<Value, Error> {
        self.resource_types
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(id))
            .map(|r| self.resource_type_json(r))
            .ok_or_else(|| Error::not_found(format!("no resource type {:?}", truncate(id))))
    }

    /// `/Schemas` as a ListResponse: each served schema once, core schemas before their extensions.
    pub fn schemas(&self) -> Value {
        let all: Vec<Value> = self.all_schemas().map(|s| s.to_json(&self.base_url)).collect();
        let total = all.len() as u64;
        list::response(all, total, 1)
    }

    /// `/Schemas/{id}`; an unknown URN is 404.
    pub fn schema(&self, id: &str) -> Result<Value, Error> {
        self.all_schemas()
            .find(|s| s.id.eq_ignore_ascii_case(id))
            .map(|s| s.to_json(&self.base_url))
            .ok_or_else(|| Error::not_found(format!("no schema {:?}", truncate(id))))
    }

    /// RFC 7644 §4, `/ServiceProviderConfig`: "If a "filter" is provided, the service provider SHOULD respond with
    /// HTTP status code 403 (Forbidden) to ensure that clients cannot incorrectly assume that any matching
    /// conditions specified in a filter are true." Call with the request's `filter` parameter, if any.
    pub fn refuse_filter(filter: Option<&str>) -> Result<(), Error> {
        match filter {
            None => Ok(()),
            Some(_) => Err(Error::new(
                http::StatusCode::FORBIDDEN,
                "discovery endpoints do not support filtering",
            )),
        }
    }

    fn all_schemas(&self) -> impl Iterator<Item = &Schema> {
        let mut seen: Vec<&str> = Vec::new();
        self.resource_types
            .iter()
            .flat_map(|r| std::iter::once(&r.core).chain(r.extensions.iter()))
            .filter(move |s| {
                let new = !seen.iter().any(|id| id.eq_ignore_ascii_case(&s.id));
                if new {
                    seen.push(&s.id);
                }
                new
            })
    }

    /// One resource type (RFC 7643 §6).
    fn resource_type_json(&self, r: &ResourceSchema) -> Value {
        let mut body = json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": r.name,
            "name": r.name,
            "endpoint": r.endpoint,
            "description": r.description,
            "schema": r.core.id,
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{}/ResourceTypes/{}", self.base_url, r.name),
            },
        });
        if !r.extensions.is_empty()
            && let Some(map) = body.as_object_mut()
        {
            let ext: Vec<Value> = r
                .extensions
                .iter()
                .map(|e| json!({"schema": e.id, "required": false}))
                .collect();
            map.insert("schemaExtensions".into(), Value::Array(ext));
        }
        body
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{Access, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, Mapped, USER_SCHEMA};

    fn served(enterprise: bool, groups: bool) -> Served {
        let mut mapped = vec![Mapped::new("userName", Access::ReadWrite)];
        if enterprise {
            mapped.push(Mapped::new(
                format!("{ENTERPRISE_USER_SCHEMA}:department"),
                Access::ReadWrite,
            ));
        }
        let mut resource_types = vec![ResourceSchema::user().restricted(&mapped).unwrap()];
        if groups {
            let g = [
                Mapped::new("displayName", Access::ReadWrite),
                Mapped::new("members", Access::ReadWrite),
            ];
            resource_types.push(ResourceSchema::group().restricted(&g).unwrap());
        }
        Served {
            base_url: "https://gw.example/scim/v2/acme".into(),
            max_results: 200,
            sort: true,
            etag: false,
            documentation_uri: None,
            resource_types,
        }
    }

    #[test]
    fn service_provider_config_has_rfc_members() {
        let c = served(false, false).service_provider_config();
        assert_eq!(c["schemas"][0], SERVICE_PROVIDER_CONFIG_SCHEMA);
        assert_eq!(c["patch"]["supported"], true);
        assert_eq!(
            c["bulk"],
            json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0})
        );
        assert_eq!(c["filter"], json!({"supported": true, "maxResults": 200}));
        assert_eq!(
            (c["sort"]["supported"].as_bool(), c["etag"]["supported"].as_bool()),
            (Some(true), Some(false))
        );
        assert_eq!(c["changePassword"]["supported"], false);
        assert_eq!(c["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(c["authenticationSchemes"][0]["primary"], true);
        assert_eq!(
            c["meta"]["location"],
            "https://gw.example/scim/v2/acme/ServiceProviderConfig"
        );
        assert!(c.get("documentationUri").is_none());
    }

    #[test]
    fn resource_types_list_extensions_only_when_mapped_and_groups_only_when_served() {
        let plain = served(false, false).resource_types();
        assert_eq!(plain["totalResults"], 1);
        assert!(plain["Resources"][0].get("schemaExtensions").is_none());
        let full = served(true, true).resource_types();
        assert_eq!(full["totalResults"], 2);
        let user = &full["Resources"][0];
        assert_eq!(
            user["schemaExtensions"],
            json!([{"schema": ENTERPRISE_USER_SCHEMA, "required": false}])
        );
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_SCHEMA);
        assert_eq!(
            full["Resources"][1]["meta"]["location"],
            "https://gw.example/scim/v2/acme/ResourceTypes/Group"
        );
    }

    #[test]
    fn schemas_list_and_single_lookups() {
        let s = served(true, true);
        let list = s.schemas();
        let ids: Vec<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert_eq!(ids, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
        let user = s.schema(USER_SCHEMA).unwrap();
        assert_eq!(
            user["attributes"].as_array().unwrap().len(),
            1,
            "only userName is mapped"
        );
        assert_eq!(s.schema("urn:nope").unwrap_err().status, http::StatusCode::NOT_FOUND);
        assert_eq!(s.resource_type("group").unwrap()["id"], "Group");
        assert!(served(false, false).resource_type("Group").is_err());
        assert!(served(false, false).schema(ENTERPRISE_USER_SCHEMA).is_err());
        assert_eq!(
            Served::refuse_filter(Some("x")).unwrap_err().status,
            http::StatusCode::FORBIDDEN
        );
    }
}
