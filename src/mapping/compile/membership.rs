//! `[mappings.NAME.groups.members]` → the runtime membership style.

use super::pointer;
use crate::config::ConfigError;
use crate::config::file::MembersFile;
use crate::mapping::endpoint::Endpoint;
use crate::mapping::members::{self, Listing, Members};

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
    let listing = || -> Result<Listing, ConfigError> {
        Ok(Listing {
            endpoint: member_endpoint(need(&file.list, "list")?, "list", false)?,
            items: pointer(file.list_items.as_deref().unwrap_or(""), &at("list_items"))?,
            key: pointer(file.item_key.as_deref().unwrap_or(""), &at("item_key"))?,
        })
    };
    let style = match file.style.as_str() {
        "endpoints" => members::Style::Endpoints {
            add: member_endpoint(need(&file.add, "add")?, "add", true)?,
            remove: member_endpoint(need(&file.remove, "remove")?, "remove", true)?,
            listing: listing()?,
        },
        "batch" => members::Style::Batch {
            call: member_endpoint(need(&file.batch, "batch")?, "batch", false)?,
            add: pointer(&need(&file.batch_add, "batch_add")?, &at("batch_add"))?,
            remove: pointer(&need(&file.batch_remove, "batch_remove")?, &at("batch_remove"))?,
            listing: listing()?,
        },
        "list" => members::Style::List {
            pointer: pointer(&need(&file.pointer, "pointer")?, &at("pointer"))?,
        },
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
