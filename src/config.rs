//! Configuration: figment layers (built-in defaults → TOML file → `SCIMGATE_` environment variables), then
//! validation into the runtime types the server uses. An invalid file never starts a server; the error names
//! the exact key (`tenants[1].tokens[0]: expected "sha256:<64 hex>"`).
//!
//! Environment variables use `__` between keys: `SCIMGATE_SERVER__LISTEN=127.0.0.1:9443`.

pub mod file;
mod message;
mod paths;
pub mod secret;
mod validate;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use std::path::PathBuf;

pub use file::ConfigFile;
pub use secret::Secret;
pub use validate::{Runtime, revalidate, validate, validate_with};

/// Why a config could not be loaded or validated.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed, or a value has the wrong type; figment names the key.
    #[error("{}", message::describe(.0))]
    Load(Box<figment::Error>),
    /// A value is well-formed but not acceptable.
    #[error("{key}: {message}")]
    Invalid {
        /// The key path, e.g. `tenants[0].upstream.base_url`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// A validation error at `key`.
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        ConfigError::Load(Box::new(e))
    }
}

/// Read the layers into the file structs: defaults, then each TOML file in order (later ones override earlier
/// ones, so a mapping can live in its own file), then `SCIMGATE_*` variables. Relative paths are resolved against
/// the folder of the file that names them.
pub fn load(paths: &[PathBuf]) -> Result<ConfigFile, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(ConfigFile::default()));
    for path in paths {
        if !path.is_file() {
            return Err(ConfigError::invalid(
                "--config",
                format!("file {} does not exist", path.display()),
            ));
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    let figment = figment.merge(env_layer());
    Ok(paths::resolve(figment.extract()?, &figment))
}

/// `SCIMGATE_<SECTION>__<KEY>` variables. Only the config's own sections are read, so the command's other
/// variables (`SCIMGATE_CONFIG`, `SCIMGATE_LOG`, …) are not mistaken for config keys.
fn env_layer() -> Env {
    Env::prefixed("SCIMGATE_")
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            SECTIONS
                .iter()
                .any(|s| key.strip_prefix(s).is_some_and(|rest| rest.starts_with("__")))
        })
        .split("__")
}

/// The top-level tables of the config.
const SECTIONS: [&str; 6] = ["server", "limits", "tenants", "mappings", "admin", "audit"];

/// Parse a TOML text (no environment layer); for tests and tools.
pub fn from_toml(text: &str) -> Result<ConfigFile, ConfigError> {
    let figment = Figment::from(Serialized::defaults(ConfigFile::default())).merge(Toml::string(text));
    Ok(figment.extract()?)
}
