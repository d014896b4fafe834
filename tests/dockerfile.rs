//! The Dockerfile builds: every `COPY` source it names exists in the repository, and the binary it copies into
//! the image is the one its build stage produces. (No Docker engine is needed to check either.)

use std::path::Path;

const DOCKERFILE: &str = include_str!("../Dockerfile");

/// The instructions of the Dockerfile, continuation lines joined, comments dropped.
fn instructions() -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in DOCKERFILE.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

/// `(flags, sources, destination)` of each `COPY`.
fn copies() -> Vec<(Vec<String>, Vec<String>, String)> {
    instructions()
        .iter()
        .filter_map(|i| i.strip_prefix("COPY "))
        .map(|args| {
            let words: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
            let (flags, rest): (Vec<String>, Vec<String>) = words.into_iter().partition(|w| w.starts_with("--"));
            let (dest, sources) = rest.split_last().expect("a COPY names a source and a destination");
            (flags, sources.to_vec(), dest.clone())
        })
        .collect()
}

#[test]
fn every_copy_source_from_the_build_context_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let from_context: Vec<_> = copies().into_iter().filter(|(flags, ..)| flags.is_empty()).collect();
    assert!(
        from_context.len() >= 3,
        "the Dockerfile copies the manifest, the sources and the config"
    );
    for (_, sources, _) in from_context {
        for source in sources {
            assert!(
                root.join(&source).exists(),
                "Dockerfile: COPY {source}: no such file or folder in the repository"
            );
        }
    }
}

#[test]
fn the_binary_copied_into_the_image_is_the_one_the_build_stage_builds() {
    let workdir = instructions()
        .iter()
        .find_map(|i| i.strip_prefix("WORKDIR ").map(str::to_owned))
        .expect("the build stage has a WORKDIR");
    let build = instructions()
        .into_iter()
        .find(|i| i.starts_with("RUN ") && i.contains("cargo build"))
        .expect("the build stage runs cargo build");
    assert!(build.contains("--release"), "the image ships a release build: {build}");
    let bin = build
        .split_whitespace()
        .skip_while(|w| *w != "--bin")
        .nth(1)
        .expect("cargo build names the binary with --bin");
    assert_eq!(bin, env!("CARGO_PKG_NAME"), "the binary built is the crate's own");
    let built = format!("{}/target/release/{bin}", workdir.trim_end_matches('/'));
    let (_, sources, dest) = copies()
        .into_iter()
        .find(|(flags, ..)| flags.iter().any(|f| f == "--from=build"))
        .expect("the runtime stage copies from the build stage");
    assert_eq!(
        sources,
        vec![built],
        "the runtime stage copies the binary the build stage produced"
    );
    let entrypoint = instructions()
        .into_iter()
        .find_map(|i| i.strip_prefix("ENTRYPOINT ").map(str::to_owned))
        .expect("the image has an ENTRYPOINT");
    assert!(
        entrypoint.contains(&dest),
        "ENTRYPOINT {entrypoint} runs the binary copied to {dest}"
    );
}
