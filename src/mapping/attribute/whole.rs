//! Sub-objects sent whole: a product that replaces a nested object whole on update (`{"profile": {"first": "A"}}`
//! leaving `profile` with `first` alone) gets the entire object, its fresh read with the changes applied.

use super::{AttributeMap, Pointer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

impl AttributeMap {
    /// The product sub-objects that updates send whole.
    pub fn whole(&self) -> &[Pointer] {
        &self.whole
    }

    /// The sub-object sent whole that holds the product field `pointer`, if any.
    pub fn whole_of(&self, pointer: &Pointer) -> Option<&Pointer> {
        self.whole.iter().find(|w| within(pointer, w))
    }

    /// The fields of a partial update, with every field inside a sub-object sent whole replaced by that entire
    /// sub-object: its value in `current` (a fresh read) with the changes applied, so that a product replacing
    /// the sub-object whole keeps its other members.
    pub fn widen(&self, changed: BTreeMap<Pointer, Value>, current: &Value) -> BTreeMap<Pointer, Value> {
        let mut out = BTreeMap::new();
        let mut merged: Vec<(&Pointer, Value)> = Vec::new();
        for (pointer, value) in changed {
            let Some(w) = self.whole_of(&pointer) else {
                out.insert(pointer, value);
                continue;
            };
            let slot = match merged.iter().position(|(p, _)| *p == w) {
                Some(i) => i,
                None => {
                    let mut doc = Value::Object(Map::new());
                    let base = w.get(current).filter(|v| v.is_object()).cloned();
                    // A sub-object the product does not have yet starts empty.
                    let _ = w.set(&mut doc, base.unwrap_or_else(|| Value::Object(Map::new())));
                    merged.push((w, doc));
                    merged.len() - 1
                }
            };
            let _ = pointer.set(&mut merged[slot].1, value);
        }
        for (w, doc) in merged {
            if let Some(whole) = w.get(&doc) {
                out.insert(w.clone(), whole.clone());
            }
        }
        out
    }
}

/// Whether the product field `pointer` is `whole` or inside it.
fn within(pointer: &Pointer, whole: &Pointer) -> bool {
    let (p, w) = (pointer.as_str(), whole.as_str());
    p == w || p.strip_prefix(w).is_some_and(|rest| rest.starts_with('/'))
}
