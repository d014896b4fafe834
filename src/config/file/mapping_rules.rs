//! `[[mappings.NAME.errors]]`: product answers the mapping turns into SCIM errors.

use super::*;

/// One `[[mappings.NAME.errors]]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorRuleFile {
    /// The product status (`400`) or statuses (`[400, 422]`) the rule applies to.
    pub status: OneOrMany<u16>,
    /// The operations it applies to (`"create"` or a list): list, get, create, update, delete, member_add,
    /// member_remove. Absent: all of them.
    #[serde(default)]
    pub operation: Option<OneOrMany<String>>,
    /// JSON pointer of the value in the product's error body that `equals` or `contains` tests.
    #[serde(default)]
    pub pointer: Option<String>,
    /// The value at `pointer` is this text.
    #[serde(default)]
    pub equals: Option<String>,
    /// The value at `pointer` (without a pointer: the body's text) contains this text.
    #[serde(default)]
    pub contains: Option<String>,
    /// The status the IdP gets.
    pub scim_status: u16,
    /// The `scimType` the IdP gets (`uniqueness`, `mutability`, `invalidValue`, ...).
    #[serde(default)]
    pub scim_type: Option<String>,
}

/// A value or a list of them: `status = 400` or `status = [400, 422]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}
