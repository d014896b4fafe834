//! The SCIM endpoints (RFC 7644 §3.2): one table that the router dispatches on, and that names each request's
//! metric labels, its audit action and, for a method an endpoint does not serve, the `Allow` header of the 405.

use crate::audit::Action;
use http::Method;

/// A SCIM endpoint below the base path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/Users`
    Users,
    /// `/Users/{id}`
    User,
    /// `/Users/.search`
    UsersSearch,
    /// `/Groups`
    Groups,
    /// `/Groups/{id}`
    Group,
    /// `/Groups/.search`
    GroupsSearch,
    /// `/.search`, across resource types.
    Search,
    /// `/ServiceProviderConfig`
    ServiceProviderConfig,
    /// `/ResourceTypes`
    ResourceTypes,
    /// `/ResourceTypes/{id}`
    ResourceType,
    /// `/Schemas`
    Schemas,
    /// `/Schemas/{id}`
    Schema,
}

impl Route {
    /// The endpoint of a path below the base path, and its id segment (still percent-encoded) where it has one;
    /// `None` for a path that names no endpoint. Empty segments are skipped. Endpoint names match in any letter
    /// case (`/users`, `/serviceproviderconfig`), as clients of RFC 7644 expect; ids are kept as sent.
    pub fn parse(rest: &str) -> Option<(Route, Option<&str>)> {
        let mut segments = rest.split('/').filter(|s| !s.is_empty());
        let (first, second) = (segments.next()?, segments.next());
        let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
        let search = second.is_some_and(|s| is(s, ".search"));
        let found = if is(first, "Users") {
            match second {
                None => (Route::Users, None),
                Some(_) if search => (Route::UsersSearch, None),
                Some(id) => (Route::User, Some(id)),
            }
        } else if is(first, "Groups") {
            match second {
                None => (Route::Groups, None),
                Some(_) if search => (Route::GroupsSearch, None),
                Some(id) => (Route::Group, Some(id)),
            }
        } else if is(first, ".search") && second.is_none() {
            (Route::Search, None)
        } else if is(first, "ServiceProviderConfig") && second.is_none() {
            (Route::ServiceProviderConfig, None)
        } else if is(first, "ResourceTypes") {
            (second.map_or(Route::ResourceTypes, |_| Route::ResourceType), second)
        } else if is(first, "Schemas") {
            (second.map_or(Route::Schemas, |_| Route::Schema), second)
        } else {
            return None;
        };
        segments.next().is_none().then_some(found)
    }

    /// The methods the endpoint serves, as the `Allow` header lists them.
    pub fn allow(self) -> &'static str {
        match self {
            Route::Users | Route::Groups => "GET, POST",
            Route::User | Route::Group => "GET, PUT, PATCH, DELETE",
            Route::UsersSearch | Route::GroupsSearch | Route::Search => "POST",
            Route::ServiceProviderConfig
            | Route::ResourceTypes
            | Route::ResourceType
            | Route::Schemas
            | Route::Schema => "GET",
        }
    }

    /// Whether the endpoint serves `method`.
    pub fn allows(self, method: &Method) -> bool {
        self.allow().split(", ").any(|m| m == method.as_str())
    }

    /// The `resource` label of its requests.
    pub fn resource(self) -> &'static str {
        match self {
            Route::Users | Route::User | Route::UsersSearch => "Users",
            Route::Groups | Route::Group | Route::GroupsSearch => "Groups",
            Route::Search => "other",
            Route::ServiceProviderConfig => "ServiceProviderConfig",
            Route::ResourceTypes | Route::ResourceType => "ResourceTypes",
            Route::Schemas | Route::Schema => "Schemas",
        }
    }

    /// The `operation` label of a `method` request here: `list`, `get`, `search`, `create`, `replace`, `patch`,
    /// `delete`, or `other` for a method the endpoint does not serve.
    pub fn operation(self, method: &Method) -> &'static str {
        if !self.allows(method) {
            return "other";
        }
        match (self, method.as_str()) {
            (Route::UsersSearch | Route::GroupsSearch | Route::Search, _) => "search",
            (Route::Users | Route::Groups, "POST") => "create",
            (Route::Users | Route::Groups | Route::ResourceTypes | Route::Schemas, _) => "list",
            (_, "PUT") => "replace",
            (_, "PATCH") => "patch",
            (_, "DELETE") => "delete",
            _ => "get",
        }
    }

    /// The resource type and audit action of a `method` request here that changes a resource.
    pub fn audit(self, method: &Method) -> Option<(&'static str, Action)> {
        let resource = match self {
            Route::Users | Route::User => "User",
            Route::Groups | Route::Group => "Group",
            _ => return None,
        };
        let action = match self.operation(method) {
            "create" => Action::Create,
            "replace" | "patch" => Action::Update,
            "delete" => Action::Delete,
            _ => return None,
        };
        Some((resource, action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_endpoints_and_ids() {
        assert_eq!(Route::parse("/Users"), Some((Route::Users, None)));
        assert_eq!(Route::parse("//Users//1/"), Some((Route::User, Some("1"))));
        assert_eq!(Route::parse("/Groups/.search"), Some((Route::GroupsSearch, None)));
        assert_eq!(Route::parse("/.search"), Some((Route::Search, None)));
        assert_eq!(Route::parse("/Schemas/urn:x"), Some((Route::Schema, Some("urn:x"))));
        assert_eq!(Route::parse("/Users/1/x"), None);
        assert_eq!(Route::parse("/whatever"), None);
        assert_eq!(Route::parse(""), None);
        assert_eq!(Route::parse("/ServiceProviderConfig/x"), None);
    }

    #[test]
    fn endpoint_names_match_in_any_letter_case_and_ids_keep_theirs() {
        assert_eq!(Route::parse("/users"), Some((Route::Users, None)));
        assert_eq!(Route::parse("/USERS/Alice"), Some((Route::User, Some("Alice"))));
        assert_eq!(Route::parse("/users/.SEARCH"), Some((Route::UsersSearch, None)));
        assert_eq!(Route::parse("/groups/g1"), Some((Route::Group, Some("g1"))));
        assert_eq!(Route::parse("/.Search"), Some((Route::Search, None)));
        assert_eq!(
            Route::parse("/serviceproviderconfig"),
            Some((Route::ServiceProviderConfig, None))
        );
        assert_eq!(
            Route::parse("/resourcetypes/User"),
            Some((Route::ResourceType, Some("User")))
        );
        assert_eq!(Route::parse("/SCHEMAS"), Some((Route::Schemas, None)));
        assert_eq!(Route::parse("/userz"), None);
        assert_eq!(Route::parse("/.search/x"), None);
    }

    #[test]
    fn labels_never_carry_ids() {
        let label = |method: Method, rest: &str| {
            let (route, _) = Route::parse(rest).expect("a route");
            (route.resource(), route.operation(&method))
        };
        assert_eq!(label(Method::GET, "/Users/123"), ("Users", "get"));
        assert_eq!(label(Method::GET, "/Users"), ("Users", "list"));
        assert_eq!(label(Method::POST, "/Users"), ("Users", "create"));
        assert_eq!(label(Method::POST, "/Groups/.search"), ("Groups", "search"));
        assert_eq!(label(Method::DELETE, "/Groups/g"), ("Groups", "delete"));
        assert_eq!(label(Method::PUT, "/Users/u"), ("Users", "replace"));
        assert_eq!(label(Method::PATCH, "/Users/u"), ("Users", "patch"));
        assert_eq!(label(Method::GET, "/Schemas/s"), ("Schemas", "get"));
        assert_eq!(label(Method::GET, "/ResourceTypes"), ("ResourceTypes", "list"));
        assert_eq!(label(Method::DELETE, "/Users"), ("Users", "other"));
    }

    #[test]
    fn an_operation_is_named_for_each_listed_method_and_no_other() {
        for route in [
            Route::Users,
            Route::User,
            Route::UsersSearch,
            Route::Groups,
            Route::Group,
            Route::GroupsSearch,
            Route::Search,
            Route::ServiceProviderConfig,
            Route::ResourceTypes,
            Route::ResourceType,
            Route::Schemas,
            Route::Schema,
        ] {
            for method in [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::HEAD,
            ] {
                let listed = route.allow().split(", ").any(|m| m == method.as_str());
                assert_eq!(route.operation(&method) != "other", listed, "{route:?} {method}");
            }
        }
    }

    #[test]
    fn writes_to_users_and_groups_are_audited() {
        assert_eq!(Route::User.audit(&Method::PATCH), Some(("User", Action::Update)));
        assert_eq!(Route::Groups.audit(&Method::POST), Some(("Group", Action::Create)));
        assert_eq!(Route::Group.audit(&Method::DELETE), Some(("Group", Action::Delete)));
        assert_eq!(Route::User.audit(&Method::GET), None);
        assert_eq!(Route::UsersSearch.audit(&Method::POST), None);
        assert_eq!(Route::Users.audit(&Method::DELETE), None);
    }
}
