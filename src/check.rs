//! `scimgate check --live`: a tenant's mapping tried against its real product, with the tenant's own credentials,
//! through the gateway's own upstream client and mapping code. Read-only by default: the listings and single reads
//! each rule relies on, page by page, and the push-down parameters probed with values the product holds. With
//! `write`, a throwaway user and team (`scimgate-check-<random>`) go through create, update, membership and delete
//! by the SCIM operations themselves, and are always deleted again.
//!
//! Every finding names the config key it is about and, when it fails, the fix to try. What the product answers is
//! reported as found, never trusted as the mapping's intent.

mod filters;
mod live;
mod members;
mod objects;
mod paging;
mod write;

use crate::config::file::ConfigFile;
use crate::gateway::Gateway;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::sync::Arc;

/// How one finding came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The product does what the rule says.
    Pass,
    /// The product contradicts the rule: the gateway would answer wrongly or fail.
    Fail,
    /// Worth knowing, not wrong (nothing to check against, or a product habit the gateway copes with).
    Note,
}

/// One finding: what was checked, the config key it is about, what was found and the fix to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Pass, fail or note.
    pub status: Status,
    /// What was checked (`users: listing items`).
    pub check: String,
    /// The config key the finding is about (`mappings.classic.users.paging.items`).
    pub key: String,
    /// What the product answered.
    pub detail: String,
    /// What to try, for a failure or a note.
    pub fix: Option<String>,
}

/// The findings of one tenant.
#[derive(Debug, Clone)]
pub struct TenantReport {
    /// The tenant's id.
    pub tenant: String,
    /// The mapping it uses.
    pub mapping: String,
    /// The product's base URL.
    pub base_url: String,
    /// The findings, in the order they were made.
    pub findings: Vec<Finding>,
}

/// What `check --live` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this tenant (all when `None`).
    pub tenant: Option<String>,
    /// Also create, update and delete a throwaway user and team.
    pub write: bool,
}

/// Check every tenant of `gateway` (or the one `options.tenant` names) against its product. `file` is the config
/// the gateway was validated from, for the key names.
pub async fn run(file: &ConfigFile, gateway: &Gateway, options: &Options) -> Result<Vec<TenantReport>, String> {
    let mut reports = Vec::new();
    for (index, tenant) in gateway.tenants.iter().enumerate() {
        if options.tenant.as_deref().is_some_and(|t| t != tenant.id.as_str()) {
            continue;
        }
        let mapping = file.tenants.get(index).map(|t| t.mapping.clone()).unwrap_or_default();
        let scope = Scope {
            tenant_key: format!("tenants[{index}]"),
            mapping_key: format!("mappings.{}", quoted(&mapping)),
        };
        let mut findings = live::tenant(tenant, &scope).await;
        if options.write
            && !findings
                .iter()
                .any(|f| f.status == Status::Fail && f.key.ends_with("upstream.auth"))
        {
            findings.extend(write::cycle(tenant.clone(), &gateway.settings, &scope).await);
        }
        reports.push(TenantReport {
            tenant: tenant.id.to_string(),
            mapping,
            base_url: tenant.upstream.base_url().to_owned(),
            findings,
        });
    }
    match &options.tenant {
        Some(t) if reports.is_empty() => Err(format!("--tenant {t:?}: no such tenant in the config")),
        _ => Ok(reports),
    }
}

/// Whether any finding failed.
pub fn failed(reports: &[TenantReport]) -> bool {
    reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.status == Status::Fail)
}

/// The reports as a table for people: one line per finding (✓, ✗ or !), its check and key, then what was found
/// and the fix for anything not passed.
pub fn human(reports: &[TenantReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "tenant {} (mapping {}, product {})",
            r.tenant, r.mapping, r.base_url
        );
        let width = r.findings.iter().map(|f| f.check.chars().count()).max().unwrap_or(0);
        for f in &r.findings {
            let mark = match f.status {
                Status::Pass => "✓",
                Status::Fail => "✗",
                Status::Note => "!",
            };
            let _ = writeln!(out, "  {mark} {:<width$}  {}", f.check, f.key);
            let _ = writeln!(out, "      {}", f.detail);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "      fix: {fix}");
            }
        }
        let (pass, fail, note) = counts(&r.findings);
        let _ = writeln!(out, "  {pass} passed, {fail} failed, {note} note(s)\n");
    }
    out
}

/// The reports as JSON: `{"ok": bool, "tenants": [{"tenant", "mapping", "base_url", "findings": [{"status":
/// "pass" | "fail" | "note", "check", "key", "detail", "fix"}]}]}`.
pub fn json(reports: &[TenantReport]) -> Value {
    let tenants: Vec<Value> = reports
        .iter()
        .map(|r| {
            let findings: Vec<Value> = r
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "status": match f.status {
                            Status::Pass => "pass",
                            Status::Fail => "fail",
                            Status::Note => "note",
                        },
                        "check": f.check,
                        "key": f.key,
                        "detail": f.detail,
                        "fix": f.fix,
                    })
                })
                .collect();
            json!({"tenant": r.tenant, "mapping": r.mapping, "base_url": r.base_url, "findings": findings})
        })
        .collect();
    json!({"ok": !failed(reports), "tenants": tenants})
}

fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s: Status| findings.iter().filter(|f| f.status == s).count();
    (n(Status::Pass), n(Status::Fail), n(Status::Note))
}

/// Where a tenant's keys live in the config.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// `tenants[0]`.
    pub tenant_key: String,
    /// `mappings.classic`.
    pub mapping_key: String,
}

/// A key of a TOML table as written in a dotted path: bare when it can be, else quoted.
pub(crate) fn quoted(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// Collects findings.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn pass(&mut self, check: impl Into<String>, key: impl Into<String>, detail: impl Into<String>) {
        self.push(Status::Pass, check, key, detail, None);
    }

    pub fn fail(
        &mut self,
        check: impl Into<String>,
        key: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Status::Fail, check, key, detail, Some(fix.into()));
    }

    pub fn note(
        &mut self,
        check: impl Into<String>,
        key: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Status::Note, check, key, detail, Some(fix.into()));
    }

    fn push(
        &mut self,
        status: Status,
        check: impl Into<String>,
        key: impl Into<String>,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.0.push(Finding {
            status,
            check: check.into(),
            key: key.into(),
            detail: detail.into(),
            fix,
        });
    }
}

/// A tenant shared with the write cycle.
pub(crate) type SharedTenant = Arc<crate::tenant::Tenant>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_quoted_only_when_toml_needs_it() {
        assert_eq!(quoted("classic"), "classic");
        assert_eq!(quoted("userName eq"), "\"userName eq\"");
        assert_eq!(quoted("name.givenName"), "\"name.givenName\"");
    }

    #[test]
    fn a_failure_fails_the_report_and_shows_its_fix() {
        let mut f = Findings::default();
        f.pass(
            "users: list endpoint",
            "mappings.m.users.endpoints.list",
            "GET /users answered 200",
        );
        f.fail(
            "users: listing items",
            "mappings.m.users.paging.items",
            "no array at \"/items\"",
            "set items = \"/data\"",
        );
        let reports = vec![TenantReport {
            tenant: "acme".into(),
            mapping: "m".into(),
            base_url: "http://x/api".into(),
            findings: f.0,
        }];
        assert!(failed(&reports));
        let text = human(&reports);
        assert!(text.contains("✓ users: list endpoint"), "{text}");
        assert!(text.contains("✗ users: listing items"), "{text}");
        assert!(text.contains("fix: set items = \"/data\""), "{text}");
        assert_eq!(json(&reports)["ok"], false);
        assert_eq!(
            json(&reports)["tenants"][0]["findings"][1]["key"],
            "mappings.m.users.paging.items"
        );
    }
}
