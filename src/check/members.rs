//! The checks of membership data: for a listed team, its member listing (`endpoints`, `batch`), its member array
//! (`list`), or the users listing that selects its members (`user_field`); and the member key on listed users.

use super::Findings;
use super::live::{Listed, Probe, chain};
use super::paging::page_query;
use crate::mapping::api::ProductId;
use crate::mapping::members::{Listing, Members, Read, Style};
use serde_json::Value;

/// The membership checks, on the first listed team.
pub(super) async fn check(
    users: &Probe<'_>,
    teams: &Probe<'_>,
    members: &Members,
    listed_users: &Listed,
    listed_teams: &Listed,
    f: &mut Findings,
) {
    let check = teams.check("members");
    if let Some(key) = &members.user_key
        && !listed_users.objects.is_empty()
        && !listed_users.objects.iter().any(|u| key.get(u).is_some())
    {
        f.fail(
            &check,
            teams.key("members.user_key"),
            format!("no listed user has a member key at {:?}", key.as_str()),
            "point user_key at the user field the product's membership data holds",
        );
    }
    let Some(team) = listed_teams.objects.first() else {
        f.note(
            check,
            teams.key("members"),
            "no team is listed: membership data was not read",
            "run again once the product holds a team, or with --write",
        );
        return;
    };
    let Ok(id) = teams.api.id_of(team) else {
        return;
    };
    let pid = ProductId::of(&id);
    match &members.style {
        Style::Endpoints {
            read: Read::Listing(listing),
            ..
        }
        | Style::Batch {
            read: Read::Listing(listing),
            ..
        } => {
            member_listing(teams, listing, &pid, &check, f).await;
        }
        Style::Endpoints {
            read: Read::Team { pointer, .. },
            ..
        }
        | Style::Batch {
            read: Read::Team { pointer, .. },
            ..
        }
        | Style::List { pointer, .. } => match pointer.get(team) {
            Some(Value::Array(items)) => f.pass(
                check,
                teams.key("members.pointer"),
                format!(
                    "a listed team holds {} member(s) at {:?}",
                    items.len(),
                    pointer.as_str()
                ),
            ),
            _ => f.fail(
                check,
                teams.key("members.pointer"),
                format!("the listed team {id:?} has no array at {:?}", pointer.as_str()),
                "point pointer at the team's member array",
            ),
        },
        Style::UserField { pointer, filter_param } => {
            let res = users.api.resource();
            let mut query = vec![(filter_param.clone(), id.clone())];
            query.extend(page_query(&res.paging, res.paging.max_size));
            let (call, answer) = users.send(&res.endpoints.list, None, &query).await;
            match answer {
                Ok(resp) if resp.status.is_success() => f.pass(
                    &check,
                    teams.key("members.user_filter"),
                    format!("{call} answered {}", resp.status.as_u16()),
                ),
                Ok(resp) => f.fail(
                    &check,
                    teams.key("members.user_filter"),
                    format!(
                        "{call} answered {}: {}",
                        resp.status.as_u16(),
                        users.api.error(&resp).detail
                    ),
                    "set user_filter to the users' query parameter that selects a team's members",
                ),
                Err(e) => f.fail(
                    &check,
                    teams.key("members.user_filter"),
                    format!("{call}: {}", chain(&e)),
                    "check user_filter",
                ),
            }
            if !listed_users.objects.is_empty() && !listed_users.objects.iter().any(|u| pointer.get(u).is_some()) {
                f.note(
                    check,
                    teams.key("members.pointer"),
                    format!("no listed user has {:?}", pointer.as_str()),
                    "check the pointer, unless the product leaves it out for users in no team",
                );
            }
        }
    }
}

async fn member_listing(teams: &Probe<'_>, listing: &Listing, pid: &ProductId, check: &str, f: &mut Findings) {
    let (call, answer) = teams.send(&listing.endpoint, Some(pid), &[]).await;
    let resp = match answer {
        Ok(resp) if resp.status.is_success() => resp,
        Ok(resp) => {
            let detail = teams.api.error(&resp).detail;
            return f.fail(
                check,
                teams.key("members.list"),
                format!("{call} answered {}: {detail}", resp.status.as_u16()),
                "check the member listing's path",
            );
        }
        Err(e) => {
            return f.fail(
                check,
                teams.key("members.list"),
                format!("{call}: {}", chain(&e)),
                "check members.list",
            );
        }
    };
    let body = match resp.json() {
        Ok(body) => body,
        Err(e) => {
            return f.fail(
                check,
                teams.key("members.list"),
                format!("{call}: {e}"),
                "check members.list",
            );
        }
    };
    let Some(Value::Array(items)) = listing.items.get(&body) else {
        return f.fail(
            check,
            teams.key("members.list_items"),
            format!("{call}: no array at {:?}", listing.items.as_str()),
            "point list_items at the answer's member array",
        );
    };
    if let Some(bad) = items
        .iter()
        .find(|m| !matches!(listing.key.get(m), Some(Value::String(_) | Value::Number(_))))
    {
        return f.fail(
            check,
            teams.key("members.item_key"),
            format!("{call}: the member {bad} has no key at {:?}", listing.key.as_str()),
            "point item_key at the member's user key in one element",
        );
    }
    f.pass(
        check,
        teams.key("members.list"),
        format!("{call} answered {} member(s), each with its key", items.len()),
    );
}
