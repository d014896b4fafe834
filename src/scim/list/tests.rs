use super::*;
use serde_json::json;

fn parse(q: &str) -> Result<ListQuery, Error> {
    ListQuery::parse(Some(q), 100, &Limits::default())
}

#[test]
fn defaults_when_absent() {
    let q = ListQuery::parse(None, 100, &Limits::default()).unwrap();
    assert_eq!((q.start_index, q.count, q.filter), (1, 100, None));
}

#[test]
fn plus_and_percent_encoded_spaces_both_decode() {
    let a = parse("filter=userName+eq+%22a%2Bb%40x.com%22").unwrap();
    let b = parse("filter=userName%20eq%20%22a%2Bb%40x.com%22").unwrap();
    assert_eq!(a.filter, b.filter);
    assert_eq!(a.filter.unwrap().to_string(), r#"userName eq "a+b@x.com""#);
}

#[test]
fn start_index_below_one_is_one_and_negative_count_is_zero() {
    let q = parse("startIndex=-5&count=-1").unwrap();
    assert_eq!((q.start_index, q.count), (1, 0));
}

#[test]
fn count_is_lowered_to_the_maximum() {
    assert_eq!(parse("count=100000").unwrap().count, 100);
}

#[test]
fn bad_numbers_and_filters_are_400() {
    assert_eq!(parse("count=ten").unwrap_err().scim_type, Some(ScimType::InvalidValue));
    assert_eq!(
        parse("filter=userName+eq").unwrap_err().scim_type,
        Some(ScimType::InvalidFilter)
    );
}

#[test]
fn response_has_rfc_members() {
    let r = response(vec![json!({"id": "1"})], 7, 3);
    assert_eq!(r["schemas"][0], LIST_SCHEMA);
    assert_eq!(
        (
            r["totalResults"].as_u64(),
            r["startIndex"].as_u64(),
            r["itemsPerPage"].as_u64()
        ),
        (Some(7), Some(3), Some(1))
    );
}

#[test]
fn sort_and_projection_parameters() {
    let q = parse("sortBy=name.givenName&SortOrder=descending&attributes=userName,emails.value&excludedAttributes=")
        .unwrap();
    assert_eq!(q.sort_by.unwrap().to_string(), "name.givenName");
    assert_eq!(q.sort_order, SortOrder::Descending);
    assert_eq!(q.projection.attributes.len(), 2);
    assert!(q.projection.excluded.is_empty());
    assert_eq!(
        parse("sortOrder=sideways").unwrap_err().scim_type,
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        parse("attributes=a..b").unwrap_err().scim_type,
        Some(ScimType::InvalidValue)
    );
}

fn search(body: Value) -> Result<ListQuery, Error> {
    ListQuery::from_search(&body, 100, &Limits::default())
}

#[test]
fn search_body_gives_the_same_query_as_parameters() {
    let q = search(json!({
        "schemas": [SEARCH_SCHEMA],
        "attributes": ["displayName", "userName"],
        "excludedAttributes": [],
        "filter": "displayName sw \"smith\"",
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 0,
        "count": 1000
    }))
    .unwrap();
    let p = parse(
        "attributes=displayName,userName&filter=displayName+sw+%22smith%22&sortBy=userName&sortOrder=descending&startIndex=0&count=1000",
    )
    .unwrap();
    assert_eq!(q, p);
    assert_eq!((q.start_index, q.count), (1, 100));
}

#[test]
fn search_body_defaults_and_leniencies() {
    let q = search(json!({"schemas": [SEARCH_SCHEMA], "count": "-3", "attributes": "userName, id"})).unwrap();
    assert_eq!((q.start_index, q.count, q.filter), (1, 0, None));
    assert_eq!(q.projection.attributes.len(), 2);
}

#[test]
fn search_body_errors() {
    let t = |body: Value| search(body).unwrap_err().scim_type;
    assert_eq!(t(json!([])), Some(ScimType::InvalidSyntax));
    assert_eq!(t(json!({"filter": "userName pr"})), Some(ScimType::InvalidSyntax));
    assert_eq!(
        t(json!({"schemas": [SEARCH_SCHEMA], "attributes": [1]})),
        Some(ScimType::InvalidSyntax)
    );
    assert_eq!(
        t(json!({"schemas": [SEARCH_SCHEMA], "count": 1.5})),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        t(json!({"schemas": [SEARCH_SCHEMA], "filter": "userName eq"})),
        Some(ScimType::InvalidFilter)
    );
    assert_eq!(
        t(json!({"schemas": [SEARCH_SCHEMA], "sortOrder": "up"})),
        Some(ScimType::InvalidValue)
    );
    assert_eq!(
        t(json!({"schemas": [SEARCH_SCHEMA], "filter": 3})),
        Some(ScimType::InvalidSyntax)
    );
}

#[test]
fn a_list_response_names_its_members_in_order() {
    let users = vec![json!({"id": "1", "userName": "a"}), json!({"id": "2"})];
    assert_eq!(
        serde_json::to_string(&response(users, 7, 3)).ok().as_deref(),
        Some(
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":7,"startIndex":3,"itemsPerPage":2,"Resources":[{"id":"1","userName":"a"},{"id":"2"}]}"#
        )
    );
}
