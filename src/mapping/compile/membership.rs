//! `[mappings.NAME.groups.members]` → the runtime membership style.

use super::pointer;
use crate::config::ConfigError;
use crate::config::file::MembersFile;
use crate::mapping::endpoint::Endpoint;
use crate::mapping::members::{self, Item, ListWrite, Listing, MEMBER, MemberCall, Members, Read};
use http::StatusCode;

pub(super) fn compile_members(file: &MembersFile, key: &str) -> Result<Members, ConfigError> {
    let at = |k: &str| format!("{key}.{k}");
    let need = |v: &Option<String>, k: &str| {
        v.clone()
            .ok_or_else(|| ConfigError::invalid(at(k), format!("is required for style {:?}", file.style)))
    };
    let member_endpoint = |text: String, k: &str, with_member: bool| {
        let e = Endpoint::parse_member(&text).map_err(|m| ConfigError::invalid(at(k), m))?;
        if !e.has_id() || e.has_member() != with_member {
            let m = if with_member {
                "must contain {id} and {member}"
            } else {
                "must contain {id} and not {member}"
            };
            return Err(ConfigError::invalid(at(k), m));
        }
        Ok(e)
    };
    // An add or remove call: {member} in its path, or a body template carrying the key(s).
    let member_call = |k: &str, body: &Option<serde_json::Value>| -> Result<MemberCall, ConfigError> {
        let text = need(if k == "add" { &file.add } else { &file.remove }, k)?;
        let e = Endpoint::parse_member(&text).map_err(|m| ConfigError::invalid(at(k), m))?;
        if !e.has_id() {
            return Err(ConfigError::invalid(at(k), "must contain {id}"));
        }
        let body_key = if body.is_some() {
            format!("{k}_body")
        } else {
            k.to_owned()
        };
        MemberCall::new(e, body.clone()).map_err(|m| ConfigError::invalid(at(&body_key), m))
    };
    let item_key = || pointer(file.item_key.as_deref().unwrap_or(""), &at("item_key"));
    // Members are read from a listing of their own (`list`) or from the team object (`pointer`).
    let read = || -> Result<Read, ConfigError> {
        match (&file.list, &file.pointer) {
            (Some(list), None) => Ok(Read::Listing(Listing {
                endpoint: member_endpoint(list.clone(), "list", false)?,
                items: pointer(file.list_items.as_deref().unwrap_or(""), &at("list_items"))?,
                key: item_key()?,
            })),
            (None, Some(p)) if file.list_items.is_none() => Ok(Read::Team {
                pointer: pointer(p, &at("pointer"))?,
                key: item_key()?,
            }),
            (None, Some(_)) => Err(ConfigError::invalid(
                at("list_items"),
                "belongs to list; with pointer the members are read from the team object",
            )),
            (Some(_), Some(_)) => Err(ConfigError::invalid(
                at("pointer"),
                "give list (a member listing) or pointer (the member array on the team object), not both",
            )),
            (None, None) => Err(ConfigError::invalid(
                at("list"),
                format!(
                    "is required for style {:?} (or pointer, the member array on the team object)",
                    file.style
                ),
            )),
        }
    };
    let statuses = |k: &str, given: &Option<Vec<u16>>, default: StatusCode| -> Result<Vec<StatusCode>, ConfigError> {
        let Some(given) = given else {
            return Ok(vec![default]);
        };
        given
            .iter()
            .map(|s| {
                StatusCode::from_u16(*s)
                    .ok()
                    .filter(|s| s.is_client_error())
                    .ok_or_else(|| ConfigError::invalid(at(k), format!("{s} is not a 4xx product status")))
            })
            .collect()
    };
    let endpoints_only = [
        ("add_body", file.add_body.is_some()),
        ("remove_body", file.remove_body.is_some()),
        ("already_member", file.already_member.is_some()),
        ("not_member", file.not_member.is_some()),
    ];
    let list_only = [
        ("write_pointer", file.write_pointer.is_some()),
        ("write_item", file.write_item.is_some()),
    ];
    for (k, given) in endpoints_only {
        if given && file.style != "endpoints" {
            return Err(ConfigError::invalid(at(k), "belongs to style \"endpoints\""));
        }
    }
    for (k, given) in list_only {
        if given && file.style != "list" {
            return Err(ConfigError::invalid(at(k), "belongs to style \"list\""));
        }
    }
    let style = match file.style.as_str() {
        "endpoints" => members::Style::Endpoints {
            add: member_call("add", &file.add_body)?,
            remove: member_call("remove", &file.remove_body)?,
            read: read()?,
            already_member: statuses("already_member", &file.already_member, StatusCode::CONFLICT)?,
            not_member: statuses("not_member", &file.not_member, StatusCode::NOT_FOUND)?,
        },
        "batch" => members::Style::Batch {
            call: member_endpoint(need(&file.batch, "batch")?, "batch", false)?,
            add: pointer(&need(&file.batch_add, "batch_add")?, &at("batch_add"))?,
            remove: pointer(&need(&file.batch_remove, "batch_remove")?, &at("batch_remove"))?,
            read: read()?,
        },
        "list" => {
            let key = item_key()?;
            let item = match &file.write_item {
                Some(t) if members::holds(t, MEMBER) => Item::Template(t.clone()),
                Some(_) => {
                    return Err(ConfigError::invalid(
                        at("write_item"),
                        "must hold the string \"{member}\" where the member's key goes",
                    ));
                }
                None if file.write_pointer.is_none() && !key.as_str().is_empty() => Item::KeyAt(key.clone()),
                None => Item::Bare,
            };
            members::Style::List {
                pointer: pointer(&need(&file.pointer, "pointer")?, &at("pointer"))?,
                key,
                write: ListWrite {
                    pointer: file
                        .write_pointer
                        .as_deref()
                        .map(|p| pointer(p, &at("write_pointer")))
                        .transpose()?,
                    item,
                },
            }
        }
        "user_field" => members::Style::UserField {
            pointer: pointer(&need(&file.pointer, "pointer")?, &at("pointer"))?,
            filter_param: need(&file.user_filter, "user_filter")?,
        },
        other => {
            return Err(ConfigError::invalid(
                at("style"),
                format!("{other:?}: expected endpoints, batch, list or user_field"),
            ));
        }
    };
    if file.concurrency == 0 || file.concurrency > 64 {
        return Err(ConfigError::invalid(at("concurrency"), "must be between 1 and 64"));
    }
    Ok(Members {
        style,
        user_key: file
            .user_key
            .as_deref()
            .map(|p| pointer(p, &at("user_key")))
            .transpose()?,
        concurrency: file.concurrency,
    })
}
