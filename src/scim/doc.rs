//! A SCIM resource being rendered, its values borrowed from the product's answer where they pass unchanged.
//!
//! Rendering into `serde_json::Value` copies every string of the product's object and hashes every member key into
//! an ordered map, only for the answer to be projected and serialised once. A [`Doc`] keeps the members in answer
//! order in a plain list (a resource has a few dozen at most; they are found by comparing keys), holds what it has
//! not changed by reference (a `Value`, or a string of the product's text parsed in place by
//! [`crate::json::doc_from_slice`]), and serialises straight to JSON text, byte for byte what `serde_json` writes
//! for the same tree. [`View`] reads a document or a `Value` alike. Paths that compute on a `Value` (PATCH,
//! sorting, filters over listings) take [`Doc::into_value`].

use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// The members of an object, in order; keys are unique.
pub type Members<'a> = Vec<(Cow<'a, str>, Doc<'a>)>;

/// A JSON value under construction.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc<'a> {
    /// A value taken whole from a product object or the mapping.
    Value(&'a Value),
    /// An object or array owned whole (scalars are held as the variants below).
    Owned(Box<Value>),
    /// A string: borrowed from a parsed text (unless it held escapes) or the mapping, or owned.
    Str(Cow<'a, str>),
    /// A number.
    Num(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object whose members are built one by one.
    Object(Members<'a>),
    /// An array whose elements are built one by one.
    Array(Vec<Doc<'a>>),
}

/// A scalar value, wherever it is held.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'d> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Num(&'d Number),
    /// A string.
    Str(&'d str),
}

/// A read-only view of a node: part of a [`Doc`], or a plain `Value` inside one (or outside any).
#[derive(Debug, Clone, Copy)]
pub enum View<'d, 'a> {
    /// A document node.
    Doc(&'d Doc<'a>),
    /// A plain value.
    Value(&'d Value),
}

// === impl Doc ===

impl<'a> Doc<'a> {
    /// A borrowed value.
    pub fn borrowed(v: &'a Value) -> Self {
        Doc::Value(v)
    }

    /// An owned value.
    pub fn owned(v: Value) -> Self {
        match v {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(b),
            Value::Number(n) => Doc::Num(n),
            Value::String(s) => Doc::Str(Cow::Owned(s)),
            whole @ (Value::Object(_) | Value::Array(_)) => Doc::Owned(Box::new(whole)),
        }
    }

    /// A string.
    pub fn string(s: impl Into<Cow<'a, str>>) -> Self {
        Doc::Str(s.into())
    }

    /// An empty object.
    pub fn object() -> Self {
        Doc::Object(Vec::new())
    }

    /// The value held whole, if this is one.
    fn whole(&self) -> Option<&Value> {
        match self {
            Doc::Value(v) => Some(v),
            Doc::Owned(v) => Some(v),
            Doc::Str(_) | Doc::Num(_) | Doc::Bool(_) | Doc::Null | Doc::Object(_) | Doc::Array(_) => None,
        }
    }

    /// Whether this is an object (built, or whole).
    pub fn is_object(&self) -> bool {
        match self {
            Doc::Object(_) => true,
            other => other.whole().is_some_and(Value::is_object),
        }
    }

    /// Whether this is an array (built, or whole).
    pub fn is_array(&self) -> bool {
        match self {
            Doc::Array(_) => true,
            other => other.whole().is_some_and(Value::is_array),
        }
    }

    /// Turn an object or array held whole into members or elements that can be changed one by one (each still
    /// borrowed or owned as its container was). Other values are left as they are.
    pub fn open(&mut self) {
        match self {
            &mut Doc::Value(v) => match v {
                Value::Object(map) => {
                    *self = Doc::Object(
                        map.iter()
                            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Doc::Value(v)))
                            .collect(),
                    );
                }
                Value::Array(items) => *self = Doc::Array(items.iter().map(Doc::Value).collect()),
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
            },
            Doc::Owned(v) => match std::mem::take(&mut **v) {
                Value::Object(map) => {
                    *self = Doc::Object(map.into_iter().map(|(k, v)| (Cow::Owned(k), Doc::owned(v))).collect());
                }
                Value::Array(items) => *self = Doc::Array(items.into_iter().map(Doc::owned).collect()),
                scalar => *self = Doc::owned(scalar),
            },
            Doc::Str(_) | Doc::Num(_) | Doc::Bool(_) | Doc::Null | Doc::Object(_) | Doc::Array(_) => {}
        }
    }

    /// The members, when this is an object (opened first).
    pub fn members_mut(&mut self) -> Option<&mut Members<'a>> {
        self.open();
        match self {
            Doc::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, when this is an array (opened first).
    pub fn elements_mut(&mut self) -> Option<&mut Vec<Doc<'a>>> {
        self.open();
        match self {
            Doc::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Whether this is an empty object or array.
    pub fn is_empty_container(&self) -> bool {
        match self {
            Doc::Object(m) => m.is_empty(),
            Doc::Array(items) => items.is_empty(),
            other => match other.whole() {
                Some(Value::Object(m)) => m.is_empty(),
                Some(Value::Array(items)) => items.is_empty(),
                _ => false,
            },
        }
    }

    /// The scalar this is, if it is one.
    pub fn scalar(&self) -> Option<Scalar<'_>> {
        match self {
            Doc::Str(s) => Some(Scalar::Str(s)),
            Doc::Num(n) => Some(Scalar::Num(n)),
            Doc::Bool(b) => Some(Scalar::Bool(*b)),
            Doc::Null => Some(Scalar::Null),
            Doc::Value(v) => Scalar::of(v),
            Doc::Owned(v) => Scalar::of(v),
            Doc::Object(_) | Doc::Array(_) => None,
        }
    }

    /// The value as a `serde_json::Value` (borrowed values copied).
    pub fn into_value(self) -> Value {
        match self {
            Doc::Value(v) => v.clone(),
            Doc::Owned(v) => *v,
            Doc::Str(s) => Value::String(s.into_owned()),
            Doc::Num(n) => Value::Number(n),
            Doc::Bool(b) => Value::Bool(b),
            Doc::Null => Value::Null,
            Doc::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_value()))
                    .collect(),
            ),
            Doc::Array(items) => Value::Array(items.into_iter().map(Doc::into_value).collect()),
        }
    }

    /// Append the compact JSON text of this value: the bytes `serde_json::to_writer` writes for
    /// [`Doc::into_value`].
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Doc::Value(v) => write_value(v, out),
            Doc::Owned(v) => write_value(v, out),
            Doc::Str(s) => write_str(s, out),
            Doc::Num(n) => serde_json::to_writer(&mut *out, n),
            Doc::Bool(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                Ok(())
            }
            Doc::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Doc::Object(members) => write_object(members.iter().map(|(k, v)| (k.as_ref(), v)), Doc::write_json, out),
            Doc::Array(items) => write_array(items, Doc::write_json, out),
        }
    }
}

// === impl Scalar ===

impl<'d> Scalar<'d> {
    /// The scalar a value is, if it is one.
    pub fn of(v: &'d Value) -> Option<Scalar<'d>> {
        match v {
            Value::Null => Some(Scalar::Null),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Number(n) => Some(Scalar::Num(n)),
            Value::String(s) => Some(Scalar::Str(s)),
            Value::Object(_) | Value::Array(_) => None,
        }
    }

    /// Whether `other` is this scalar.
    fn is(self, other: &Value) -> bool {
        Scalar::of(other) == Some(self)
    }
}

/// A `Value` as compact JSON text, as `serde_json::to_writer` writes it.
fn write_value(value: &Value, out: &mut Vec<u8>) -> serde_json::Result<()> {
    match value {
        Value::String(s) => write_str(s, out),
        Value::Object(map) => write_object(map.iter().map(|(k, v)| (k.as_str(), v)), write_value, out),
        Value::Array(items) => write_array(items, write_value, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => serde_json::to_writer(&mut *out, value),
    }
}

type Write<T> = fn(&T, &mut Vec<u8>) -> serde_json::Result<()>;

/// `{"name":value,…}`, each value written by `write`.
fn write_object<'x, T: 'x>(
    members: impl Iterator<Item = (&'x str, &'x T)>,
    write: Write<T>,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    out.push(b'{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out)?;
        out.push(b':');
        write(value, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// `[item,…]`, each item written by `write`.
fn write_array<T>(items: &[T], write: Write<T>, out: &mut Vec<u8>) -> serde_json::Result<()> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(item, out)?;
    }
    out.push(b']');
    Ok(())
}

/// A string as JSON text: copied between quotes when it has nothing to escape (almost always), else escaped by
/// serde_json, whose escapes (`\b`, `\f`, `\u001f`, …) are then the same.
fn write_str(text: &str, out: &mut Vec<u8>) -> serde_json::Result<()> {
    if crate::json::is_plain(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, text)
    }
}

impl<'a> From<Map<String, Value>> for Doc<'a> {
    fn from(map: Map<String, Value>) -> Self {
        let mut doc = Doc::owned(Value::Object(map));
        doc.open();
        doc
    }
}

/// The member whose key is exactly `key`.
pub fn exact<'m, 'a>(members: &'m Members<'a>, key: &str) -> Option<&'m Doc<'a>> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The member whose key is exactly `key`, appended from `make` when there is none.
pub fn slot<'m, 'a>(members: &'m mut Members<'a>, key: &'a str, make: impl FnOnce() -> Doc<'a>) -> &'m mut Doc<'a> {
    let index = match members.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            members.push((Cow::Borrowed(key), make()));
            members.len() - 1
        }
    };
    &mut members[index].1
}

/// Set the member `key` to `value`: in its place when the key is there, appended otherwise (as an ordered map's
/// `insert` does).
pub fn insert<'a>(members: &mut Members<'a>, key: &'a str, value: Doc<'a>) {
    *slot(members, key, || Doc::Null) = value;
}

/// Remove the member whose key is exactly `key`, keeping the order of the others.
pub fn remove<'a>(members: &mut Members<'a>, key: &str) -> Option<Doc<'a>> {
    let index = members.iter().position(|(k, _)| k == key)?;
    Some(members.remove(index).1)
}

// === impl View ===

impl<'d, 'a> View<'d, 'a> {
    /// The value held whole, if this is one.
    fn whole(self) -> Option<&'d Value> {
        match self {
            View::Value(v) => Some(v),
            View::Doc(d) => d.whole(),
        }
    }

    /// The member `name` (an exact match preferred, else the first ignoring case: RFC 7643 §2.1).
    pub fn member(self, name: &str) -> Option<View<'d, 'a>> {
        if let View::Doc(Doc::Object(members)) = self {
            let mut folded = None;
            for (key, value) in members {
                if key == name {
                    return Some(View::Doc(value));
                }
                if folded.is_none() && key.eq_ignore_ascii_case(name) {
                    folded = Some(View::Doc(value));
                }
            }
            return folded;
        }
        crate::scim::json::get(self.whole()?, name).map(View::Value)
    }

    /// The member whose key is exactly `key` (case-sensitive, as in a product's own JSON).
    pub fn exact(self, key: &str) -> Option<View<'d, 'a>> {
        if let View::Doc(Doc::Object(members)) = self {
            return exact(members, key).map(View::Doc);
        }
        crate::scim::json::exact(self.whole()?.as_object()?, key).map(View::Value)
    }

    /// The element at `index` of an array.
    pub fn index(self, index: usize) -> Option<View<'d, 'a>> {
        if let View::Doc(Doc::Array(items)) = self {
            return items.get(index).map(View::Doc);
        }
        self.whole()?.as_array()?.get(index).map(View::Value)
    }

    /// Whether this equals `other` as JSON values do (members in any order).
    pub fn eq_value(self, other: &Value) -> bool {
        match self {
            View::Doc(Doc::Object(members)) => other.as_object().is_some_and(|map| {
                members.len() == map.len()
                    && members
                        .iter()
                        .all(|(k, v)| map.get(k.as_ref()).is_some_and(|o| View::Doc(v).eq_value(o)))
            }),
            View::Doc(Doc::Array(items)) => other.as_array().is_some_and(|others| {
                items.len() == others.len() && items.iter().zip(others).all(|(i, o)| View::Doc(i).eq_value(o))
            }),
            view => match view.whole() {
                Some(v) => v == other,
                None => view.scalar().is_some_and(|s| s.is(other)),
            },
        }
    }

    /// A document of this value, borrowing from what is viewed.
    pub fn to_doc(self) -> Doc<'d> {
        match self {
            View::Value(v) => Doc::Value(v),
            View::Doc(d) => match d {
                Doc::Value(v) => Doc::Value(v),
                Doc::Owned(v) => Doc::Value(v),
                Doc::Str(s) => Doc::Str(Cow::Borrowed(s)),
                Doc::Num(n) => Doc::Num(n.clone()),
                Doc::Bool(b) => Doc::Bool(*b),
                Doc::Null => Doc::Null,
                Doc::Object(members) => Doc::Object(
                    members
                        .iter()
                        .map(|(k, v)| (Cow::Borrowed(k.as_ref()), View::Doc(v).to_doc()))
                        .collect(),
                ),
                Doc::Array(items) => Doc::Array(items.iter().map(|i| View::Doc(i).to_doc()).collect()),
            },
        }
    }

    /// The first element of an array that `pred` accepts.
    pub fn find_element(self, pred: impl Fn(View<'d, 'a>) -> bool) -> Option<View<'d, 'a>> {
        if let View::Doc(Doc::Array(items)) = self {
            return items.iter().map(View::Doc).find(|e| pred(*e));
        }
        self.whole()?.as_array()?.iter().map(View::Value).find(|e| pred(*e))
    }

    /// The plain value, when this is held whole (always, in a plain value).
    pub fn as_value(self) -> Option<&'d Value> {
        self.whole()
    }

    /// Whether `f` holds for every member, `None` when this is not an object.
    pub fn all_members(self, mut f: impl FnMut(&str, View<'d, 'a>) -> bool) -> Option<bool> {
        if let View::Doc(Doc::Object(members)) = self {
            return Some(members.iter().all(|(k, v)| f(k, View::Doc(v))));
        }
        Some(self.whole()?.as_object()?.iter().all(|(k, v)| f(k, View::Value(v))))
    }

    /// Whether `f` holds for every element, `None` when this is not an array.
    pub fn all_elements(self, mut f: impl FnMut(View<'d, 'a>) -> bool) -> Option<bool> {
        if let View::Doc(Doc::Array(items)) = self {
            return Some(items.iter().all(|e| f(View::Doc(e))));
        }
        Some(self.whole()?.as_array()?.iter().all(|e| f(View::Value(e))))
    }

    /// Push the elements of an array, or this value itself when it is not one.
    pub fn flatten_into(self, out: &mut Vec<View<'d, 'a>>) {
        match self {
            View::Doc(Doc::Array(items)) => out.extend(items.iter().map(View::Doc)),
            view => match view.whole() {
                Some(Value::Array(items)) => out.extend(items.iter().map(View::Value)),
                _ => out.push(view),
            },
        }
    }

    /// Whether this is an empty object or array.
    pub fn is_empty_container(self) -> bool {
        match self {
            View::Doc(d) => d.is_empty_container(),
            View::Value(v) => match v {
                Value::Object(m) => m.is_empty(),
                Value::Array(items) => items.is_empty(),
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => false,
            },
        }
    }

    /// Whether this is an object.
    pub fn is_object(self) -> bool {
        match self {
            View::Doc(d) => d.is_object(),
            View::Value(v) => v.is_object(),
        }
    }

    /// The scalar this is, if it is one.
    pub fn scalar(self) -> Option<Scalar<'d>> {
        match self {
            View::Doc(d) => d.scalar(),
            View::Value(v) => Scalar::of(v),
        }
    }

    /// The string, if this is one.
    pub fn as_str(self) -> Option<&'d str> {
        match self.scalar()? {
            Scalar::Str(s) => Some(s),
            Scalar::Null | Scalar::Bool(_) | Scalar::Num(_) => None,
        }
    }

    /// Whether this is JSON `null`.
    pub fn is_null(self) -> bool {
        self.scalar() == Some(Scalar::Null)
    }
}

#[cfg(test)]
mod tests;
