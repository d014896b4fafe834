//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`, generated from the tenant's
//! mapping, so that an IdP sees only the attributes this product can hold, with their true mutability.

use super::{Context, Reply};
use crate::scim::Error;
use crate::scim::discovery::Served;

/// What the tenant serves.
fn served(ctx: &Context<'_>) -> Served {
    let mapping = &ctx.tenant.mapping;
    let mut resource_types = vec![mapping.users.schema.clone()];
    if let Some(groups) = &mapping.groups {
        resource_types.push(groups.resource.schema.clone());
    }
    let version_mapped = |r: &crate::mapping::ResourceMapping| {
        r.attributes
            .rules()
            .iter()
            .any(|rule| rule.key.eq_ignore_ascii_case("meta.version"))
    };
    Served {
        base_url: ctx.base_url.clone(),
        max_results: ctx.settings.max_page_size,
        // The gateway sorts (within the scan limit) whatever the product's listing order.
        sort: true,
        etag: version_mapped(&mapping.users),
        documentation_uri: None,
        resource_types,
    }
}

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config(ctx: &Context<'_>, filter: Option<&str>) -> Result<Reply, Error> {
    Served::refuse_filter(filter)?;
    Ok(Reply::ok(served(ctx).service_provider_config()))
}

/// `GET /ResourceTypes` and `GET /ResourceTypes/{id}`.
pub fn resource_types(ctx: &Context<'_>, id: Option<&str>) -> Result<Reply, Error> {
    let served = served(ctx);
    match id {
        None => Ok(Reply::ok(served.resource_types())),
        Some(id) => Ok(Reply::ok(served.resource_type(id)?)),
    }
}

/// `GET /Schemas` and `GET /Schemas/{id}`.
pub fn schemas(ctx: &Context<'_>, id: Option<&str>) -> Result<Reply, Error> {
    let served = served(ctx);
    match id {
        None => Ok(Reply::ok(served.schemas())),
        Some(id) => Ok(Reply::ok(served.schema(id)?)),
    }
}

/// The `filter` parameter of a query string, if any.
pub fn filter_param(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("filter"))
        .map(|(_, v)| v.into_owned())
}
