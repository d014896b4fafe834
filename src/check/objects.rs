//! The checks of listed objects: the id pointer and type, each mapped field (in listings, else on a single read),
//! values a value map does not know, and the single read itself.

use super::Findings;
use super::live::{Listed, Probe, in_map};
use crate::mapping::api::ProductId;
use crate::mapping::attribute::{Rule, Transform};
use serde_json::Value;

impl Probe<'_> {
    /// The checks of the listed objects and of one single read.
    pub(super) async fn objects(&self, f: &mut Findings, listed: &Listed) {
        let res = self.api.resource();
        let Some(first) = listed.objects.first() else {
            f.note(
                self.check("objects"),
                self.key("id"),
                "the listing is empty: ids and fields were not checked",
                "run again once the product holds one, or with --write",
            );
            return;
        };
        let without_id = listed.objects.iter().filter(|o| res.id_of(o).is_err()).count();
        if without_id > 0 {
            f.fail(
                self.check("object id"),
                self.key("id"),
                format!(
                    "{without_id} of {} listed object(s) have no id at {:?}",
                    listed.objects.len(),
                    res.id.as_str()
                ),
                format!("point id at the product's id; the objects have {}", members_of(first)),
            );
            return;
        }
        let ids: Vec<String> = listed.objects.iter().filter_map(|o| res.id_of(o).ok()).collect();
        match ids.iter().find(|id| !res.id_type.accepts(id)) {
            Some(bad) => f.fail(
                self.check("object id"),
                self.key("id_type"),
                format!(
                    "the id {bad:?} at {:?} is not of id_type {:?}",
                    res.id.as_str(),
                    res.id_type
                ),
                "set id_type to what the product's ids are (integer, uuid or string)",
            ),
            None => f.pass(
                self.check("object id"),
                self.key("id"),
                format!("every listed object has an id at {:?}", res.id.as_str()),
            ),
        }
        self.value_maps(f, listed);
        let read: Vec<&Rule> = res.attributes.rules().iter().filter(|r| !r.write_only).collect();
        let missing: Vec<&Rule> = read
            .iter()
            .copied()
            .filter(|r| !listed.objects.iter().any(|o| r.pointer.get(o).is_some()))
            .collect();
        let Some(single) = self.single_read(f, &ids[0]).await else {
            return;
        };
        for rule in &missing {
            let attribute = self.key(&format!("attributes.{}", super::quoted(&rule.key)));
            if rule.pointer.get(&single).is_some() {
                f.note(
                    self.check(&format!("attribute {}", rule.key)),
                    attribute,
                    format!(
                        "{:?} is missing in listings but present on a single read: listings, imports and filters the gateway evaluates see no value",
                        rule.pointer.as_str()
                    ),
                    "filter on it only through a push-down rule, and expect IdP imports to show it empty",
                );
            } else {
                f.note(
                    self.check(&format!("attribute {}", rule.key)),
                    attribute,
                    format!(
                        "{:?} is in none of the {} listed object(s) nor on a single read",
                        rule.pointer.as_str(),
                        listed.objects.len()
                    ),
                    format!(
                        "check the pointer (the objects have {}), unless the product leaves unset fields out",
                        members_of(&single)
                    ),
                );
            }
        }
        f.pass(
            self.check("attributes"),
            self.key("attributes"),
            format!(
                "{} of {} read field(s) present in listings",
                read.len() - missing.len(),
                read.len()
            ),
        );
    }

    /// Product values of listed objects that a value map without a `read_fallback` does not know: the read fails.
    fn value_maps(&self, f: &mut Findings, listed: &Listed) {
        for rule in self.api.resource().attributes.rules() {
            if matches!(rule.transform, Transform::Identity) || rule.write_only || rule.read_fallback.is_some() {
                continue;
            }
            let unknown = listed
                .objects
                .iter()
                .filter_map(|o| rule.pointer.get(o))
                .find(|v| !in_map(&rule.transform, v));
            if let Some(value) = unknown {
                f.fail(
                    self.check(&format!("attribute {}", rule.key)),
                    self.key(&format!("attributes.{}.map", super::quoted(&rule.key))),
                    format!(
                        "a listed object holds {value} at {:?}, which the value map does not know: the attribute is left out",
                        rule.pointer.as_str()
                    ),
                    format!("add {value} to the map"),
                );
            }
        }
    }

    /// `GET` of a listed object: the endpoint answers it, with the same id.
    async fn single_read(&self, f: &mut Findings, id: &str) -> Option<Value> {
        let res = self.api.resource();
        let check = self.check("single read");
        let (call, answer) = self.send(&res.endpoints.get, Some(&ProductId::of(id)), &[]).await;
        let resp = match answer {
            Ok(resp) => resp,
            Err(e) => {
                f.fail(
                    check,
                    self.key("endpoints.get"),
                    format!("{call}: {}", super::live::chain(&e)),
                    "check the get endpoint",
                );
                return None;
            }
        };
        if !resp.status.is_success() {
            let status = resp.status.as_u16();
            let fix = if status == 404 {
                "check the get path, and that it takes what id points at in a listed object"
            } else {
                "check the get endpoint's method and path"
            };
            let detail = self.api.error(&resp).detail;
            f.fail(
                check,
                self.key("endpoints.get"),
                format!("{call} answered {status}: {detail}"),
                fix,
            );
            return None;
        }
        let object = match self.api.unwrap(&resp) {
            Ok(object) => object,
            Err(e) => {
                let key = if res.envelope.response.is_some() {
                    "envelope.response"
                } else {
                    "endpoints.get"
                };
                f.fail(
                    check,
                    self.key(key),
                    format!("{call}: {}", e.detail),
                    "check where the answer holds the object",
                );
                return None;
            }
        };
        match res.id_of(&object) {
            Ok(got) if got == id => {
                f.pass(
                    check,
                    self.key("endpoints.get"),
                    format!("{call} answered the listed object"),
                );
                Some(object)
            }
            Ok(got) => {
                f.fail(
                    check,
                    self.key("endpoints.get"),
                    format!("{call} answered the object {got:?}, not {id:?}"),
                    "check the get path",
                );
                None
            }
            Err(_) => {
                f.fail(
                    check,
                    self.key("endpoints.get"),
                    format!(
                        "{call} answered an object without an id at {:?}; it has {}",
                        res.id.as_str(),
                        members_of(&object)
                    ),
                    "check the get endpoint (and envelope.response, if the object is wrapped)",
                );
                None
            }
        }
    }
}

/// The members of an object, for a message: `id, username, email`.
fn members_of(object: &Value) -> String {
    match object {
        Value::Object(map) if !map.is_empty() => map.keys().map(|k| format!("/{k}")).collect::<Vec<_>>().join(", "),
        _ => "no members".to_owned(),
    }
}
