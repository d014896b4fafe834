//! The attribute map: SCIM attribute paths ⇄ JSON pointers into the product's objects, with value maps.
//!
//! Reads build a SCIM resource from a product object; writes build the product fields from a SCIM resource and
//! refuse what the product cannot hold (unless the mapping says to ignore it), so nothing an IdP sends is lost
//! without a word.

use super::MappingError;
use super::pointer::Pointer;
use crate::scim::filter::{AttrTypes, CompValue, CompareOp, Filter};
use crate::scim::json;
use crate::scim::patch_path::PatchPath;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Core schema URNs; attributes qualified with them live at the top level of a resource.
const CORE_SCHEMAS: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
];

/// Top-level members of a SCIM resource that are never written to the product: `schemas` is protocol,
/// `id` and `meta` are readOnly (RFC 7643 §3.1: values sent by a client are ignored).
const PROTOCOL_MEMBERS: [&str; 3] = ["schemas", "id", "meta"];

/// Sub-attributes of a multi-valued element that qualify it rather than carry data.
const QUALIFIERS: [&str; 3] = ["type", "primary", "display"];

/// Where a rule puts its value in the SCIM resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:employeeNumber`.
    Plain {
        /// Extension schema URN; `None` for the core schema.
        schema: Option<String>,
        /// Attribute name.
        name: String,
        /// Sub-attribute name.
        sub: Option<String>,
    },
    /// `emails[type eq "work"].value`: one element of a multi-valued attribute, selected by its `type`.
    Typed {
        /// Extension schema URN; `None` for the core schema.
        schema: Option<String>,
        /// Attribute name.
        name: String,
        /// The element's `type`.
        type_value: String,
        /// Sub-attribute carrying the value.
        sub: String,
    },
}

/// How values change on the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// Passed through unchanged.
    Identity,
    /// One to one: SCIM value ⇄ product value.
    Map(Vec<(Value, Value)>),
}

/// One `attributes` entry.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The key as written in the config, for messages.
    pub key: String,
    /// SCIM side.
    pub target: Target,
    /// Product side: where writes go (`write`, else the first `pointer`). For a read-only rule whose pointer
    /// selects an array element, the part of it before the selector.
    pub pointer: Pointer,
    /// Where the value is read, in order: the first present (not `null`) wins.
    pub reads: Vec<ReadPointer>,
    /// Value transform.
    pub transform: Transform,
    /// The SCIM value of a product value the value map does not know (`read_fallback`); without it such a value
    /// is a mapping error.
    pub read_fallback: Option<Value>,
    /// Read from the product, never written.
    pub read_only: bool,
    /// Written to the product, never read back.
    pub write_only: bool,
    /// SCIM value used on create when the IdP sends none.
    pub default: Option<DefaultValue>,
    /// The product always holds a value (a top-level attribute).
    pub required: bool,
    /// What an empty string written to this attribute means.
    pub empty: Empty,
}

/// What `""` written to an attribute means (`empty` in the mapping). Entra clears an attribute by replacing it
/// with `""`; most products refuse or store that, so by default it clears the field as `null` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Empty {
    /// `""` clears the product field, as `null` or a removal does.
    #[default]
    Clear,
    /// `""` is sent to the product as it is.
    Keep,
}

impl Empty {
    /// Parse the mapping's `empty` value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "clear" => Some(Empty::Clear),
            "keep" => Some(Empty::Keep),
            _ => None,
        }
    }
}

/// The compiled `attributes` table.
#[derive(Debug, Clone, Default)]
pub struct AttributeMap {
    rules: Vec<Rule>,
    templates: Vec<(String, Target, Template)>,
    /// `ignore = true` attributes (config key, target): accepted in writes, never sent, read or advertised.
    ignored: Vec<(String, Target)>,
    /// Product sub-objects an update sends whole, merged from a fresh read (`whole`).
    whole: Vec<Pointer>,
    /// Refuse writes that carry attributes no rule holds.
    pub reject_unmapped: bool,
}

// === impl Target ===

impl Target {
    /// Parse a SCIM path used as an attribute key.
    pub fn parse(key: &str) -> Result<Self, String> {
        let path = PatchPath::parse(key).map_err(|e| e.to_string())?;
        let schema = path
            .attr
            .schema
            .filter(|s| !CORE_SCHEMAS.iter().any(|c| c.eq_ignore_ascii_case(s)));
        let name = path.attr.name;
        match (path.filter, path.attr.sub, path.sub) {
            (None, sub, None) => Ok(Target::Plain { schema, name, sub }),
            (Some(filter), None, Some(sub)) => match filter {
                Filter::Compare(p, CompareOp::Eq, CompValue::Str(type_value))
                    if p.schema.is_none() && p.sub.is_none() && p.name.eq_ignore_ascii_case("type") =>
                {
                    Ok(Target::Typed {
                        schema,
                        name,
                        type_value,
                        sub,
                    })
                }
                _ => Err("only [type eq \"…\"] selects an element in an attribute key".into()),
            },
            _ => Err("expected attr, attr.sub or attr[type eq \"…\"].sub".into()),
        }
    }

    /// Whether this is the top-level core attribute `name` (any case).
    pub fn is_named(&self, name: &str) -> bool {
        matches!(self, Target::Plain { schema: None, name: n, sub: None } if n.eq_ignore_ascii_case(name))
    }

    fn schema(&self) -> Option<&str> {
        match self {
            Target::Plain { schema, .. } | Target::Typed { schema, .. } => schema.as_deref(),
        }
    }

    /// The value this target names in a SCIM resource; never `null`.
    pub fn read<'v>(&self, resource: &'v Value) -> Option<&'v Value> {
        self.read_in(resource.as_object()?)
    }

    /// [`Target::read`] in a resource's members.
    fn read_in<'v>(&self, resource: &'v Map<String, Value>) -> Option<&'v Value> {
        let container = match self.schema() {
            None => resource,
            Some(urn) => json::member(resource, urn)?.as_object()?,
        };
        match self {
            Target::Plain { name, sub: None, .. } => json::member(container, name),
            Target::Plain {
                name, sub: Some(sub), ..
            } => json::get(json::member(container, name)?, sub),
            Target::Typed {
                name, type_value, sub, ..
            } => {
                let element = json::member(container, name)?
                    .as_array()?
                    .iter()
                    .find(|e| is_type(e, type_value))?;
                json::get(element, sub)
            }
        }
        .filter(|v| !v.is_null())
    }

    /// A typed target stores one element's value: a resource with two different values of that type (two work
    /// e-mails) cannot be stored, and is refused rather than one of them being dropped.
    fn check_one(&self, resource: &Value) -> Result<(), MappingError> {
        let Target::Typed {
            name, type_value, sub, ..
        } = self
        else {
            return Ok(());
        };
        let container = match self.schema() {
            None => resource.as_object(),
            Some(urn) => json::get(resource, urn).and_then(Value::as_object),
        };
        let Some(Value::Array(items)) = container.and_then(|c| json::member(c, name)) else {
            return Ok(());
        };
        let mut values = items
            .iter()
            .filter(|e| is_type(e, type_value))
            .filter_map(|e| json::get(e, sub))
            .filter(|v| !v.is_null());
        let Some(first) = values.next() else { return Ok(()) };
        match values.find(|v| *v != first) {
            None => Ok(()),
            Some(other) => Err(MappingError::InvalidValue {
                attribute: format!("{name}[type eq \"{type_value}\"]"),
                detail: format!(
                    "holds more than one {sub} ({first} and {other}); this service stores one {name} value of type \"{type_value}\""
                ),
            }),
        }
    }

    /// Put a value where this target names it in a resource's members, creating objects and elements on the way.
    /// A member already there keeps its place; a new one goes last.
    fn write(&self, resource: &mut Map<String, Value>, value: Value) {
        let container = match self.schema() {
            None => resource,
            Some(urn) => match object_entry(resource, urn) {
                Some(c) => c,
                None => return,
            },
        };
        match self {
            Target::Plain { name, sub: None, .. } => {
                container.insert(name.clone(), value);
            }
            Target::Plain {
                name, sub: Some(sub), ..
            } => {
                if let Some(object) = object_entry(container, name) {
                    object.insert(sub.clone(), value);
                }
            }
            Target::Typed {
                name, type_value, sub, ..
            } => {
                let list = container
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                let Value::Array(items) = list else { return };
                let index = match items.iter().position(|e| is_type(e, type_value)) {
                    Some(i) => i,
                    None => {
                        let mut element = Map::new();
                        element.insert("type".into(), Value::String(type_value.clone()));
                        items.push(Value::Object(element));
                        items.len() - 1
                    }
                };
                if let Some(element) = items[index].as_object_mut() {
                    element.insert(sub.clone(), value);
                }
            }
        }
    }

    fn covers(&self, schema: Option<&str>, name: &str, type_value: Option<&str>, sub: Option<&str>) -> bool {
        let same_schema = match (self.schema(), schema) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if !same_schema {
            return false;
        }
        match self {
            Target::Plain { name: n, sub: None, .. } => n.eq_ignore_ascii_case(name),
            Target::Plain {
                name: n, sub: Some(s), ..
            } => n.eq_ignore_ascii_case(name) && type_value.is_none() && sub.is_some_and(|x| s.eq_ignore_ascii_case(x)),
            Target::Typed {
                name: n,
                type_value: t,
                sub: s,
                ..
            } => {
                n.eq_ignore_ascii_case(name)
                    && type_value.is_some_and(|x| t.eq_ignore_ascii_case(x))
                    && sub.is_some_and(|x| s.eq_ignore_ascii_case(x))
            }
        }
    }
}

// === impl Transform ===

impl Transform {
    /// Parse a `map = { true = "active", false = "suspended" }` table; keys are JSON text or bare strings.
    pub fn from_table(table: &BTreeMap<String, Value>) -> Self {
        let pairs = table
            .iter()
            .map(|(k, v)| {
                (
                    serde_json::from_str(k).unwrap_or_else(|_| Value::String(k.clone())),
                    v.clone(),
                )
            })
            .collect();
        Transform::Map(pairs)
    }

    /// The product value of a SCIM value; `None` when a value map does not know it.
    pub fn to_product(&self, scim: &Value) -> Option<Value> {
        match self {
            Transform::Identity => Some(scim.clone()),
            Transform::Map(pairs) => pairs
                .iter()
                .find(|(s, _)| loosely_equal(s, scim))
                .map(|(_, p)| p.clone()),
        }
    }

    fn to_scim(&self, product: &Value) -> Option<Value> {
        match self {
            Transform::Identity => Some(product.clone()),
            Transform::Map(pairs) => pairs.iter().find(|(_, p)| p == product).map(|(s, _)| s.clone()),
        }
    }
}

/// Equal as JSON, or a boolean sent as a string (Entra sends `"True"`/`"False"`).
fn loosely_equal(expected: &Value, sent: &Value) -> bool {
    match (expected, sent) {
        (Value::Bool(b), Value::String(s)) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => expected == sent,
    }
}

// === impl Rule ===

impl Rule {
    /// A rule reading and writing one plain pointer, with no transform or options.
    pub fn plain(key: &str, target: Target, pointer: Pointer) -> Self {
        let read = ReadPointer::parse(pointer.as_str()).expect("a JSON pointer is a read pointer");
        Rule {
            key: key.to_owned(),
            target,
            pointer,
            reads: vec![read],
            transform: Transform::Identity,
            read_fallback: None,
            read_only: false,
            write_only: false,
            default: None,
            required: false,
            empty: Empty::Clear,
        }
    }

    /// The product value this rule reads: the first of its read pointers that holds one (not `null`).
    pub fn read<'v>(&self, product: &'v Value) -> Option<&'v Value> {
        self.reads.iter().find_map(|r| r.get(product).filter(|v| !v.is_null()))
    }

    /// Remove what this rule reads from a product object being sent whole (the plain read pointers).
    pub fn strip(&self, body: &mut Value) {
        for pointer in self.reads.iter().filter_map(ReadPointer::plain) {
            pointer.remove(body);
        }
    }

    /// The SCIM value of a product value: through the value map, else `read_fallback`, else an error naming the
    /// value and the rule.
    fn to_scim(&self, product: &Value) -> Result<Value, MappingError> {
        match (self.transform.to_scim(product), &self.read_fallback) {
            (Some(v), _) => Ok(v),
            (None, Some(fallback)) => Ok(fallback.clone()),
            (None, None) => Err(MappingError::UnknownProductValue {
                attribute: self.key.clone(),
                value: product.to_string(),
            }),
        }
    }

    /// The product value of a SCIM value written to this attribute: `null` for `""` unless the attribute keeps
    /// empty strings; `None` when a value map does not know it.
    pub fn to_product(&self, scim: &Value) -> Option<Value> {
        if self.empty == Empty::Clear && scim.as_str() == Some("") {
            return Some(Value::Null);
        }
        self.transform.to_product(scim)
    }
}

// === impl AttributeMap ===

impl AttributeMap {
    /// A map of these rules.
    pub fn new(rules: Vec<Rule>, reject_unmapped: bool) -> Self {
        AttributeMap {
            rules,
            templates: Vec::new(),
            ignored: Vec::new(),
            whole: Vec::new(),
            reject_unmapped,
        }
    }

    /// The same map with `ignore = true` attributes (config key, target).
    pub fn with_ignored(mut self, ignored: Vec<(String, Target)>) -> Self {
        self.ignored = ignored;
        self
    }

    /// The same map with product sub-objects that updates send whole.
    pub fn with_whole(mut self, whole: Vec<Pointer>) -> Self {
        self.whole = whole;
        self
    }

    /// The same map with read-only template attributes (config key, target, template).
    pub fn with_templates(mut self, templates: Vec<(String, Target, Template)>) -> Self {
        self.templates = templates;
        self
    }

    /// Whether the product object `current` already holds `value` in the field `pointer` (as the rule writing
    /// that field reads it back: a split rule reads elsewhere than it writes).
    pub fn holds(&self, pointer: &Pointer, value: &Value, current: &Value) -> bool {
        let rule = self.rules.iter().find(|r| !r.read_only && r.pointer == *pointer);
        let held = match rule {
            Some(r) if r.reads.first().and_then(ReadPointer::plain).as_ref() != Some(pointer) => r.read(current),
            _ => pointer.get(current),
        };
        held.unwrap_or(&Value::Null) == value
    }

    /// The SCIM paths (as written in the config) of every attribute, with whether it is read-only and whether it
    /// is write-only: what `/Schemas` advertises.
    pub fn advertised(&self) -> Vec<(&str, bool, bool)> {
        let mut out: Vec<(&str, bool, bool)> = self
            .rules
            .iter()
            .map(|r| (r.key.as_str(), r.read_only, r.write_only))
            .collect();
        out.extend(self.templates.iter().map(|(k, _, _)| (k.as_str(), true, false)));
        out
    }

    /// The config keys of `ignore = true` attributes.
    pub fn ignored(&self) -> impl Iterator<Item = &str> {
        self.ignored.iter().map(|(k, _)| k.as_str())
    }

    /// Whether `meta.version` is mapped (the product gives a version, the gateway an ETag).
    pub fn maps_version(&self) -> bool {
        self.rules.iter().any(|r| r.key.eq_ignore_ascii_case("meta.version"))
    }

    /// The rules of attributes the product always holds.
    pub fn required(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.required)
    }

    /// Put each rule's `default` into a resource being created where it has no value. Computed defaults (`from`,
    /// `when`) read the resource as it was given; `types` are the attribute types its filters compare with.
    pub fn apply_defaults(&self, resource: &mut Value, types: &dyn AttrTypes) {
        let given = resource.clone();
        let Value::Object(map) = resource else { return };
        for rule in &self.rules {
            if let Some(default) = &rule.default
                && rule.target.read_in(map).is_none()
                && let Some(value) = default.compute(&given, types)
            {
                rule.target.write(map, value);
            }
        }
    }

    /// The config key of a read-only attribute (a `read_only` rule or a template, `meta` aside) whose value
    /// differs between two SCIM resources, and that no other rule writes: what a PATCH may not change
    /// (RFC 7644 §3.5.2, 400 `mutability`).
    pub fn read_only_changed(&self, before: &Value, after: &Value) -> Option<&str> {
        let rules = self
            .rules
            .iter()
            .filter(|r| r.read_only)
            .map(|r| (r.key.as_str(), &r.target));
        let templates = self.templates.iter().map(|(k, t, _)| (k.as_str(), t));
        // A target that another rule writes (one rule to read, another to write) is writable.
        let written = |target: &Target| self.rules.iter().any(|r| !r.read_only && r.target == *target);
        rules
            .chain(templates)
            .filter(|(key, target)| !key.to_ascii_lowercase().starts_with("meta.") && !written(target))
            .find(|(_, target)| target.read(before) != target.read(after))
            .map(|(key, _)| key)
    }

    /// The rules, in config order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The SCIM attributes (without `schemas`, `id`, `meta`) of a product object. Fails on a product value a
    /// value map does not know, unless its rule has a `read_fallback`.
    pub fn to_scim(&self, product: &Value) -> Result<Map<String, Value>, MappingError> {
        let mut out = Map::new();
        self.to_scim_into(product, &mut out)?;
        Ok(out)
    }

    /// [`AttributeMap::to_scim`], writing into `out` (which may already hold members, such as `schemas` and `id`,
    /// that a mapped attribute of the same name replaces in place).
    pub fn to_scim_into(&self, product: &Value, out: &mut Map<String, Value>) -> Result<(), MappingError> {
        for rule in self.rules.iter().filter(|r| !r.write_only) {
            let Some(value) = rule.read(product) else {
                continue;
            };
            rule.target.write(out, rule.to_scim(value)?);
        }
        for (_, target, template) in &self.templates {
            if target.read_in(out).is_none()
                && let Some(text) = template.render(product)
            {
                target.write(out, Value::String(text));
            }
        }
        Ok(())
    }

    /// The product fields a SCIM resource asks for: every writable pointer, `null` where the resource has no
    /// value. Fails on attributes no rule holds (when so configured), on values a value map does not know, and on
    /// two attributes that write different values to one product field.
    pub fn to_product(&self, resource: &Value) -> Result<BTreeMap<Pointer, Value>, MappingError> {
        self.to_product_over(resource, None)
    }

    /// As [`AttributeMap::to_product`], for an update of the product object `current`: when two attributes share
    /// a field and only one of them changed it (a new `userName` with the old work email), the change wins.
    pub fn to_product_over(
        &self,
        resource: &Value,
        current: Option<&Value>,
    ) -> Result<BTreeMap<Pointer, Value>, MappingError> {
        if self.reject_unmapped {
            self.check_unmapped(resource)?;
        }
        let mut fields: BTreeMap<Pointer, (Value, &str)> = BTreeMap::new();
        for rule in self.rules.iter().filter(|r| !r.read_only) {
            rule.target.check_one(resource)?;
            let was = current.and_then(|c| rule.read(c));
            let value = match rule.target.read(resource) {
                None => Value::Null,
                Some(v) => match rule.to_product(v) {
                    Some(p) => p,
                    // A value read through `read_fallback` and left as it was keeps the product's own value.
                    None if was.is_some_and(|held| rule.to_scim(held).is_ok_and(|s| loosely_equal(&s, v))) => {
                        was.cloned().unwrap_or(Value::Null)
                    }
                    None => {
                        return Err(MappingError::InvalidValue {
                            attribute: rule.key.clone(),
                            detail: format!("{v} is not one of the values the product accepts"),
                        });
                    }
                },
            };
            match fields.get(&rule.pointer) {
                Some((existing, _)) if value.is_null() || *existing == value => {}
                // This attribute still holds the field's old value: the other one changed it.
                Some((_, _)) if was == Some(&value) => {}
                Some((existing, _)) if was == Some(existing) => {
                    fields.insert(rule.pointer.clone(), (value, &rule.key));
                }
                Some((existing, other)) if !existing.is_null() => {
                    return Err(MappingError::Conflict {
                        first: (*other).to_owned(),
                        second: rule.key.clone(),
                    });
                }
                _ => {
                    fields.insert(rule.pointer.clone(), (value, &rule.key));
                }
            }
        }
        Ok(fields.into_iter().map(|(p, (v, _))| (p, v)).collect())
    }
}

fn is_type(element: &Value, type_value: &str) -> bool {
    json::get(element, "type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(type_value))
}

/// The object member `key`, made an empty object when absent or not an object.
fn object_entry<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    let slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

mod default;
mod read;
mod template;
mod unmapped;
mod whole;

pub use default::{DefaultError, DefaultValue};
pub use read::ReadPointer;
pub use template::Template;

#[cfg(test)]
mod tests;
