//! The Kubernetes manifests under `deploy/kubernetes/`: valid against the Kubernetes API schemas (strictly, offline,
//! with kubernetes-validate from PyPI through `deploy/validate.sh`), shaped to survive a node (2+ replicas spread
//! over nodes, a PodDisruptionBudget, probes on the admin listener), and carrying a config that `scimgate check`
//! accepts.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifests() -> Vec<PathBuf> {
    let dir = repo().join("deploy/kubernetes");
    let mut files: Vec<PathBuf> = ["configmap", "secret", "deployment", "pdb", "service"]
        .iter()
        .map(|n| dir.join(format!("{n}.yaml")))
        .collect();
    files.push(dir.join("redis/redis.yaml"));
    files
}

/// `deploy/validate.sh` on `files`: its success and output.
fn validate(files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("bash")
        .arg(repo().join("deploy/validate.sh"))
        .args(files)
        .output()
        .expect("deploy/validate.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Every document of a YAML file, as JSON (PyYAML from the validator's venv).
fn documents(file: &Path) -> Vec<Value> {
    assert!(validate(&[]).0, "the validator installs");
    let python = repo().join("target/tools/kubernetes-validate/bin/python");
    let python = if python.exists() {
        python
    } else {
        PathBuf::from("python3")
    };
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
        ])
        .arg(file)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn one(file: &str) -> Value {
    documents(&repo().join("deploy/kubernetes").join(file)).remove(0)
}

#[test]
fn every_manifest_is_valid_against_the_kubernetes_schemas_and_a_wrong_field_is_not() {
    let files = manifests();
    let (ok, out) = validate(&files);
    assert!(ok, "{out}");
    for file in &files {
        assert!(out.contains(&format!("{} passed", file.display())), "{out}");
    }
    // The validator does reject a misplaced field.
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("deployment.yaml");
    let text = std::fs::read_to_string(&files[2]).unwrap();
    std::fs::write(&wrong, text.replacen("  replicas: 2", "  replica: 2", 1)).unwrap();
    let (ok, out) = validate(&[wrong]);
    assert!(!ok, "{out}");
}

#[test]
fn the_deployment_survives_a_node_and_probes_the_admin_listener() {
    let d = one("deployment.yaml");
    assert!(d["spec"]["replicas"].as_u64().unwrap() >= 2);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(
        pod["topologySpreadConstraints"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
    let c = &pod["containers"][0];
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    let admin = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "admin")
        .unwrap();
    assert_eq!(admin["containerPort"], 9090);
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "admin");
    assert!(
        pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 20,
        "longer than drain_timeout_s"
    );
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert!(mounts.contains(&"/etc/scimgate/secrets"), "{mounts:?}");

    let pdb = one("pdb.yaml");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(pdb["spec"]["selector"], d["spec"]["selector"]);
    let svc = one("service.yaml");
    assert_eq!(svc["spec"]["selector"], d["spec"]["selector"]["matchLabels"]);
    let redis = documents(&repo().join("deploy/kubernetes/redis/redis.yaml"));
    assert_eq!(redis[1]["metadata"]["name"], "scimgate-redis");
}

#[test]
fn the_configmaps_config_passes_scimgate_check_with_its_secrets_and_the_shipped_mapping() {
    let cm = one("configmap.yaml");
    let config = cm["data"]["scimgate.toml"].as_str().unwrap();
    let mapping = cm["data"]["mapping.toml"].as_str().unwrap();
    let shipped = std::fs::read_to_string(repo().join("config/examples/classic.toml")).unwrap();
    assert_eq!(
        mapping.trim_end(),
        shipped.trim_end(),
        "the ConfigMap carries config/examples/classic.toml"
    );
    // The files the pod mounts under /etc/scimgate, made here.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("secrets")).unwrap();
    std::fs::create_dir_all(root.join("tls")).unwrap();
    std::fs::create_dir_all(root.join("gen")).unwrap();
    let certs = scimgate::demo::generate_certs(&root.join("gen")).unwrap();
    std::fs::copy(&certs.cert, root.join("tls/tls.crt")).unwrap();
    std::fs::copy(&certs.key, root.join("tls/tls.key")).unwrap();
    let secret = one("secret.yaml");
    for (name, value) in secret["stringData"].as_object().unwrap() {
        std::fs::write(root.join("secrets").join(name), value.as_str().unwrap()).unwrap();
    }
    let config = config.replace("/etc/scimgate/", &format!("{}/", root.display()));
    std::fs::write(root.join("scimgate.toml"), config).unwrap();
    std::fs::write(root.join("mapping.toml"), mapping).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scimgate"))
        .args(["check", "--config"])
        .arg(root.join("scimgate.toml"))
        .arg("--config")
        .arg(root.join("mapping.toml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("shared state: Redis at redis://scimgate-redis:6379/0"),
        "{text}"
    );
}
