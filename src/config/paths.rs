//! Relative paths in a config file (TLS certificate, key and client CA, CA bundles, `file:` secrets, the audit
//! file) are relative to the folder of the file that names them, not to the working directory: a config and its
//! certificates can move together. Paths from environment variables stay relative to the working directory.

use super::file::ConfigFile;
use figment::Figment;
use figment::value::Value;
use std::path::{Path, PathBuf};

/// Resolve the relative paths of `file`, as loaded from `figment`, against the folder of the file naming each.
pub fn resolve(mut file: ConfigFile, figment: &Figment) -> ConfigFile {
    let at = |key: &str| folder_of(figment, key);
    if let Some(tls) = &mut file.server.tls {
        rebase(&mut tls.cert, at("server.tls.cert"));
        rebase(&mut tls.key, at("server.tls.key"));
        if let Some(ca) = &mut tls.client_ca {
            rebase(ca, at("server.tls.client_ca"));
        }
    }
    if let Some(ca) = file.server.passthrough.as_mut().and_then(|p| p.ca.as_mut()) {
        rebase(ca, at("server.passthrough.ca"));
    }
    if let Some(output) = file.audit.output.as_mut().filter(|o| *o != "stdout") {
        rebase(output, at("audit.output"));
    }
    if let Some(sh) = &mut file.shared {
        for (key, path) in [
            ("ca", &mut sh.ca),
            ("client_cert", &mut sh.client_cert),
            ("client_key", &mut sh.client_key),
        ] {
            if let Some(path) = path {
                rebase(path, at(&format!("shared.{key}")));
            }
        }
        if let Some(password) = &mut sh.password
            && let Some(path) = password.strip_prefix("file:")
        {
            let mut path = path.to_owned();
            rebase(&mut path, at("shared.password"));
            *password = format!("file:{path}");
        }
    }
    for (i, t) in file.tenants.iter_mut().enumerate() {
        if let Some(ca) = &mut t.upstream.ca {
            rebase(ca, at(&format!("tenants.{i}.upstream.ca")));
        }
        if let Some(auth) = &mut t.upstream.auth
            && let Some(path) = auth.secret.strip_prefix("file:")
        {
            let mut path = path.to_owned();
            rebase(&mut path, at(&format!("tenants.{i}.upstream.auth.secret")));
            auth.secret = format!("file:{path}");
        }
    }
    file
}

/// `dir/path` when `path` is relative and `dir` is known.
fn rebase(path: &mut String, dir: Option<PathBuf>) {
    if let Some(dir) = dir
        && Path::new(path.as_str()).is_relative()
        && !path.is_empty()
    {
        *path = dir.join(path.as_str()).to_string_lossy().into_owned();
    }
}

/// The folder (made absolute) of the config file the value at `key` (dotted, array positions as numbers) came
/// from; `None` for a value from the defaults or the environment.
fn folder_of(figment: &Figment, key: &str) -> Option<PathBuf> {
    let mut parts = key.split('.');
    let mut value = figment.find_value(parts.next()?).ok()?;
    for part in parts {
        value = match value {
            Value::Dict(_, mut dict) => dict.remove(part)?,
            Value::Array(_, mut items) => {
                let i: usize = part.parse().ok()?;
                (i < items.len()).then(|| items.swap_remove(i))?
            }
            _ => return None,
        };
    }
    let file = figment.get_metadata(value.tag())?.source.as_ref()?.file_path()?;
    std::path::absolute(file.parent()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::{Format, Serialized, Toml};

    #[test]
    fn paths_follow_the_file_that_names_them_and_absolute_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main.toml");
        std::fs::write(
            &main,
            "[server]\ntls = { cert = \"tls.crt\", key = \"/etc/tls.key\" }\n[audit]\noutput = \"audit.log\"\n\
             [[tenants]]\nid = \"a\"\nmapping = \"m\"\ntokens = []\n\
             upstream = { base_url = \"https://x\", ca = \"ca/product.pem\", auth = { header = \"X\", secret = \"file:key\" } }\n",
        )
        .unwrap();
        let figment = Figment::from(Serialized::defaults(ConfigFile::default())).merge(Toml::file_exact(&main));
        let file = resolve(figment.extract().unwrap(), &figment);
        let d = std::path::absolute(dir.path()).unwrap();
        let tls = file.server.tls.as_ref().unwrap();
        assert_eq!(Path::new(&tls.cert), d.join("tls.crt"));
        assert_eq!(tls.key, "/etc/tls.key");
        assert_eq!(
            file.audit.output.as_deref().map(Path::new),
            Some(d.join("audit.log").as_path())
        );
        let up = &file.tenants[0].upstream;
        assert_eq!(
            up.ca.as_deref().map(Path::new),
            Some(d.join("ca/product.pem").as_path())
        );
        assert_eq!(
            up.auth.as_ref().unwrap().secret,
            format!("file:{}", d.join("key").display())
        );
    }
}
