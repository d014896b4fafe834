//! Calls to the product for one resource type, through its endpoints, with the product's answers turned into
//! objects or SCIM errors. A product status means what the operation makes it mean: a 404 on a read is "no such
//! resource", a 409 on a write is a uniqueness conflict, a 401 is the gateway's own credential problem.

use super::created::Created;
use super::endpoint::Endpoint;
use super::errors::{self, Operation};
use super::{Mapping, ResourceMapping};
use crate::scim::{self, ScimType};
use crate::upstream::{ProductRequest, ProductResponse, Upstream, UpstreamError};
use http::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// Longest product message passed on to the IdP.
const MAX_MESSAGE: usize = 300;

/// One resource type's product API, for one tenant.
pub struct Api<'a> {
    upstream: &'a Upstream,
    mapping: &'a Mapping,
    resource: &'a ResourceMapping,
}

/// A product id that passed the mapping's id check; it is still percent-encoded into every path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductId(String);

impl ProductId {
    /// The id of an object the product itself returned.
    pub fn of(id: &str) -> Self {
        ProductId(id.to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'a> Api<'a> {
    /// The API of `resource` under `mapping`, reached through `upstream`.
    pub fn new(upstream: &'a Upstream, mapping: &'a Mapping, resource: &'a ResourceMapping) -> Self {
        Api {
            upstream,
            mapping,
            resource,
        }
    }

    /// The resource mapping this API serves.
    pub fn resource(&self) -> &'a ResourceMapping {
        self.resource
    }

    /// Check a SCIM id against the mapping's id type: `None` means no product object can have it.
    pub fn product_id(&self, scim_id: &str) -> Option<ProductId> {
        self.resource
            .id_type
            .accepts(scim_id)
            .then(|| ProductId(scim_id.to_owned()))
    }

    /// The product id of a product object, as the SCIM `id`.
    pub fn id_of(&self, object: &Value) -> Result<String, scim::Error> {
        self.resource.id_of(object)
    }

    /// Read one object; `Ok(None)` when the product has none with that id.
    pub async fn get(&self, id: &ProductId) -> Result<Option<Value>, scim::Error> {
        let e = &self.resource.endpoints.get;
        let resp = self.send(e, Some(id), None, &[], None).await?;
        match resp.status {
            s if s.is_success() => Ok(Some(self.unwrap(&resp)?)),
            _ if self.missing(&resp, Operation::Get) => Ok(None),
            _ => Err(self.error_of(&resp, Some(Operation::Get))),
        }
    }

    /// Read one object by a push-down rule's path (`GET /users/{value}`, the value one encoded segment);
    /// `Ok(None)` when the product answers 404 or 410.
    pub async fn get_at(&self, endpoint: &Endpoint, value: &str) -> Result<Option<Value>, scim::Error> {
        let resp = self
            .send(endpoint, Some(&ProductId::of(value)), None, &[], None)
            .await?;
        match resp.status {
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
            s if s.is_success() => Ok(Some(self.unwrap(&resp)?)),
            _ => Err(self.error(&resp)),
        }
    }

    /// One page of a listing (`id` for a team's member listing), with these query parameters: the body and the
    /// headers (which may carry the total).
    pub async fn list_at(
        &self,
        endpoint: &Endpoint,
        id: Option<&ProductId>,
        query: &[(String, String)],
    ) -> Result<(Value, http::HeaderMap), scim::Error> {
        let resp = self.send(endpoint, id, None, query, None).await?;
        self.listing(resp)
    }

    /// The page a product's next-page link points to; a link outside the product API is refused.
    pub async fn list_link(&self, link: &str) -> Result<(Value, http::HeaderMap), scim::Error> {
        let path = self.upstream.relative(link).ok_or_else(|| {
            super::MappingError::ProductShape("a next-page link points outside the product API".into())
        })?;
        let resp = self.call(http::Method::GET, path, None).await?;
        self.listing(resp)
    }

    fn listing(&self, resp: ProductResponse) -> Result<(Value, http::HeaderMap), scim::Error> {
        if resp.status.is_success() {
            Ok((resp.json()?, resp.headers))
        } else {
            Err(self.error_of(&resp, Some(Operation::List)))
        }
    }

    /// Create an object; the created object, from the product's answer (itself, or the one element of an array)
    /// or, when the answer is empty, read back by its id. A create path holding fields of the object
    /// (`POST /users/{/name}`) takes them from `body`.
    pub async fn create(&self, body: Value) -> Result<Value, scim::Error> {
        let e = &self.resource.endpoints.create;
        let path = self.resource.create_path(&body)?;
        let resp = self
            .call(e.method.clone(), path, Some(self.wrap(body.clone())?))
            .await?;
        if !resp.status.is_success() {
            return Err(self.error_of(&resp, Some(Operation::Create)));
        }
        let location = resp.headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok());
        match super::created::read(self.resource, location, &resp.body, &body)? {
            Created::Object(object) => Ok(object),
            Created::ReadBack(id) => self.get(&ProductId(id.clone())).await?.ok_or_else(|| {
                super::MappingError::ProductShape(format!(
                    "the create was answered without a body, and reading the object back at id {id:?} found nothing"
                ))
                .into()
            }),
        }
    }

    /// Update an object; `Ok(None)` when it does not exist, `Ok(Some(Value::Null))` when the product answered
    /// without the object.
    pub async fn update(&self, id: &ProductId, body: Value) -> Result<Option<Value>, scim::Error> {
        let e = &self.resource.endpoints.update;
        let resp = self.send(e, Some(id), None, &[], Some(self.wrap(body)?)).await?;
        self.written(resp)
    }

    /// Call the deactivate (`active == false`) or reactivate endpoint; like [`Api::update`].
    pub async fn set_active(&self, id: &ProductId, active: bool) -> Result<Option<Value>, scim::Error> {
        let endpoints = &self.resource.endpoints;
        let e = if active {
            &endpoints.reactivate
        } else {
            &endpoints.deactivate
        };
        let e = e
            .as_ref()
            .ok_or_else(|| scim::Error::internal("the mapping has no (de)activation endpoint"))?;
        let resp = self.send(e, Some(id), None, &[], None).await?;
        self.written(resp)
    }

    fn written(&self, resp: ProductResponse) -> Result<Option<Value>, scim::Error> {
        match resp.status {
            s if s.is_success() && resp.body.iter().all(u8::is_ascii_whitespace) => Ok(Some(Value::Null)),
            s if s.is_success() => Ok(Some(self.unwrap(&resp)?)),
            _ if self.missing(&resp, Operation::Update) => Ok(None),
            _ => Err(self.error_of(&resp, Some(Operation::Update))),
        }
    }

    /// Whether updates send the whole object rather than the changed fields.
    pub fn update_replaces(&self) -> bool {
        self.resource.update == super::UpdateStyle::Replace
    }

    /// Delete an object; `Ok(false)` when it did not exist.
    pub async fn delete(&self, id: &ProductId) -> Result<bool, scim::Error> {
        let e = &self.resource.endpoints.delete;
        let resp = self.send(e, Some(id), None, &[], None).await?;
        match resp.status {
            s if s.is_success() => Ok(true),
            _ if self.missing(&resp, Operation::Delete) => Ok(false),
            _ => Err(self.error_of(&resp, Some(Operation::Delete))),
        }
    }

    /// A step before a delete (`before_delete`): a product call on the object that must succeed; a product
    /// answer meaning "no such object" is 404.
    pub async fn delete_step(&self, endpoint: &Endpoint, id: &ProductId) -> Result<(), scim::Error> {
        let resp = self.send(endpoint, Some(id), None, &[], None).await?;
        if resp.status.is_success() {
            Ok(())
        } else {
            Err(self.error_of(&resp, Some(Operation::Delete)))
        }
    }

    /// Whether a failed answer of `op` means "no such object": a 404 or 410 no error rule turns into something
    /// else, or whatever a rule turns into 404 (a product answering 403 for a missing id).
    fn missing(&self, resp: &ProductResponse, op: Operation) -> bool {
        match errors::first(&self.mapping.errors, resp.status, Some(op), &resp.body) {
            Some(rule) => rule.is_not_found(),
            None => matches!(resp.status, StatusCode::NOT_FOUND | StatusCode::GONE),
        }
    }

    /// Call an endpoint of this resource (or one of its membership endpoints) and return the raw answer.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        id: Option<&ProductId>,
        member: Option<&str>,
        query: &[(String, String)],
        body: Option<Value>,
    ) -> Result<ProductResponse, UpstreamError> {
        let path = endpoint.render_member(id.map(ProductId::as_str), member, query);
        self.call(endpoint.method.clone(), path, body).await
    }

    /// The object in a request body, inside the request envelope if there is one.
    pub fn wrap(&self, object: Value) -> Result<Value, scim::Error> {
        match &self.resource.envelope.request {
            None => Ok(object),
            Some(p) => {
                let mut body = Value::Object(serde_json::Map::new());
                p.set(&mut body, object)
                    .map_err(|m| scim::Error::internal(format!("the request envelope cannot be built: {m}")))?;
                Ok(body)
            }
        }
    }

    /// The object of a single-object answer, from inside the response envelope if there is one.
    pub fn unwrap(&self, resp: &ProductResponse) -> Result<Value, scim::Error> {
        let body = resp.json()?;
        match &self.resource.envelope.response {
            None => Ok(body),
            Some(p) => p.get(&body).filter(|v| v.is_object()).cloned().ok_or_else(|| {
                super::MappingError::ProductShape(format!("the answer has no object at {:?}", p.as_str())).into()
            }),
        }
    }

    async fn call(
        &self,
        method: http::Method,
        path_and_query: String,
        body: Option<Value>,
    ) -> Result<ProductResponse, UpstreamError> {
        self.upstream
            .call(ProductRequest {
                method,
                path_and_query,
                body,
                headers: self.mapping.headers.clone(),
            })
            .await
    }

    /// The SCIM error for a product answer that is not a success, of no one operation (only error rules without
    /// `operation` apply).
    pub fn error(&self, resp: &ProductResponse) -> scim::Error {
        self.error_of(resp, None)
    }

    /// The SCIM error for a product answer of `op` that is not a success: the mapping's first matching error rule,
    /// else the built-in table.
    pub fn error_of(&self, resp: &ProductResponse, op: Option<Operation>) -> scim::Error {
        let error = match errors::first(&self.mapping.errors, resp.status, op, &resp.body) {
            Some(rule) => self.ruled(resp, rule),
            None => self.refusal(resp),
        };
        if error.status.is_server_error() {
            // The product's own words, for the request's log line.
            let cause = format!("the product answered {}", resp.status.as_u16());
            let text = self.message(resp).or_else(|| body_text(resp));
            return error.with_cause(match text {
                Some(text) => format!("{cause}: {text}"),
                None => cause,
            });
        }
        error
    }

    /// The error an error rule makes of a product answer, with the product's message.
    fn ruled(&self, resp: &ProductResponse, rule: &errors::ErrorRule) -> scim::Error {
        let base = match rule.scim_status {
            StatusCode::NOT_FOUND => "resource not found".to_owned(),
            StatusCode::CONFLICT => "the product already has such a resource".to_owned(),
            _ => format!("the product refused the request (status {})", resp.status.as_u16()),
        };
        let detail = match self.message(resp) {
            Some(m) if rule.scim_status != StatusCode::NOT_FOUND => format!("{base}: {m}"),
            _ => base,
        };
        let mut error = scim::Error::new(rule.scim_status, detail);
        error.scim_type = rule.scim_type;
        error
    }

    /// [`Api::error`] without its cause.
    fn refusal(&self, resp: &ProductResponse) -> scim::Error {
        let message = self.message(resp);
        let with_message = |base: &str| match &message {
            Some(m) => format!("{base}: {m}"),
            None => base.to_owned(),
        };
        match resp.status {
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                scim::Error::bad_request(ScimType::InvalidValue, with_message("the product rejected the values"))
            }
            StatusCode::CONFLICT => scim::Error::conflict(with_message("the product already has such a resource")),
            StatusCode::NOT_FOUND | StatusCode::GONE => scim::Error::not_found("resource not found"),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => scim::Error::new(
                StatusCode::BAD_GATEWAY,
                "the product API refused the gateway's credentials; the operator must check the tenant's upstream auth",
            ),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                let after = crate::upstream::retry_after(&resp.headers)
                    .unwrap_or(Duration::from_secs(1))
                    .clamp(Duration::from_secs(1), Duration::from_secs(3600));
                scim::Error::new(resp.status, "the product API is busy; retry later").with_retry_after(after)
            }
            s => scim::Error::new(
                StatusCode::BAD_GATEWAY,
                format!("the product API failed with status {}", s.as_u16()),
            ),
        }
    }

    fn message(&self, resp: &ProductResponse) -> Option<String> {
        let pointer = self.mapping.error_message.as_ref()?;
        let body: Value = serde_json::from_slice(&resp.body).ok()?;
        let text = pointer.get(&body)?.as_str()?;
        let mut text: String = text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE).collect();
        if text.is_empty() {
            return None;
        }
        text.shrink_to_fit();
        Some(text)
    }
}

/// The start of a product answer's body as text (controls left out), when it is text: what a product that names no
/// error message says.
fn body_text(resp: &ProductResponse) -> Option<String> {
    let text = std::str::from_utf8(&resp.body).ok()?;
    let text: String = text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests;
