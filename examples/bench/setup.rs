//! Bringing the world up: the release binary, certificates and tokens, two sample products (a fast one for the
//! load scenarios, a slow counted one for calls and the cycle), the static origin of the pass-through scenarios,
//! the gateway with its config (reverse-proxy mode to that origin), and a minimal hop in front of each of the fast
//! product and the origin.

use crate::Args;
use crate::instructions;
use crate::procs::{self, Proc};
use anyhow::Context as _;
use scimgate::token::{TokenHash, new_token};
use std::path::{Path, PathBuf};

/// The log line the sample product prints (at debug level) for every request it answers.
pub const PRODUCT_ANSWERED: &str = "sample product answered";

/// Everything the harness started.
pub struct Running {
    /// The fast product: no delay, no request log.
    pub product: Proc,
    /// The slow product: answers after the delay; every call counted from its log.
    pub slow: Proc,
    /// The gateway, in front of both.
    pub gateway: Proc,
    /// The minimal hop, in front of the fast product.
    pub hop: Proc,
    /// The static origin the gateway passes requests outside its SCIM base path to.
    pub origin: Proc,
    /// A second minimal hop, in front of the origin.
    pub origin_hop: Proc,
    /// The products' API key.
    pub api_key: String,
    /// Token of tenant `bench` (fast product, batch membership mapping).
    pub bench_token: String,
    /// Token of tenant `cycle` (slow product, the shipped classic mapping: a call per member, 4 at a time).
    pub cycle_token: String,
    /// Token of tenant `calls` (slow product, batch membership mapping).
    pub calls_token: String,
    /// Token of tenant `cache` (fast product, batch membership mapping), whose cache only the memory step fills.
    pub cache_token: String,
    /// The CA that signed the gateway's and the hop's certificate.
    pub ca_pem: Vec<u8>,
    /// Where the files are.
    pub dir: PathBuf,
}

/// `cargo build --release --bin scimgate` (unless told not to); the path of the binary.
pub fn build(args: &Args) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/release/examples/bench → target/release/scimgate
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .context("the harness runs from target/<profile>/examples")?
        .join("scimgate");
    if !args.no_build {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        eprintln!("building the release binary …");
        let status = std::process::Command::new(cargo)
            .args(["build", "--release", "--bin", "scimgate"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()?;
        anyhow::ensure!(status.success(), "cargo build --release failed");
    }
    anyhow::ensure!(binary.exists(), "no binary at {}", binary.display());
    Ok(binary)
}

/// The shipped classic mapping with its members changed in one batch call per request.
fn batch_mapping() -> String {
    let classic = scimgate::demo::SAMPLE_MAPPING.replace("mappings.classic", "mappings.batch");
    let members = classic
        .find("[mappings.batch.groups.members]")
        .expect("the classic mapping has a members table");
    format!(
        "{}[mappings.batch.groups.members]\nstyle = \"batch\"\nbatch = \"POST /teams/{{id}}/members\"\n\
         batch_add = \"/add\"\nbatch_remove = \"/remove\"\nlist = \"GET /teams/{{id}}/members\"\n\
         list_items = \"/data\"\nitem_key = \"/user_id\"\n",
        &classic[..members]
    )
}

/// Start everything.
pub async fn start(args: &Args, binary: &Path) -> anyhow::Result<Running> {
    let dir = std::env::temp_dir().join(format!("scimgate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let certs = scimgate::demo::generate_certs(&dir)?;
    let api_key = new_token();
    let key_file = dir.join("product.key");
    scimgate::demo::write_private(&key_file, &api_key)?;
    let product_args = |addr: std::net::SocketAddr, delay: u64| {
        let mut a = vec!["sample-product".to_owned(), "--listen".to_owned(), addr.to_string()];
        a.extend([
            "--api-key".to_owned(),
            api_key.clone(),
            "--delay-ms".to_owned(),
            delay.to_string(),
        ]);
        a
    };
    let addr = procs::free_addr()?;
    let quiet = [("SCIMGATE_LOG", "warn")];
    let product = procs::spawn("product", binary, &product_args(addr, 0), &quiet, addr, None).await?;
    let addr = procs::free_addr()?;
    let counted = [("SCIMGATE_LOG", "warn,scimgate::sample=debug")];
    let slow = procs::spawn(
        "slow product",
        binary,
        &product_args(addr, args.delay_ms),
        &counted,
        addr,
        Some(PRODUCT_ANSWERED),
    )
    .await?;
    let tokens = [new_token(), new_token(), new_token(), new_token()];
    let tenant = |id: &str, token: &str, mapping: &str, product: &Proc| {
        format!(
            "[[tenants]]\nid = \"{id}\"\ntokens = [\"{}\"]\nmapping = \"{mapping}\"\n\
             rate_limit = {{ per_second = 1000000, burst = 1000000 }}\n\
             upstream = {{ base_url = \"http://{}/api/v1\", auth = {{ header = \"X-Api-Key\", secret = \"file:{}\" }} }}\n\n",
            TokenHash::of(token).to_config(),
            product.addr,
            key_file.display()
        )
    };
    let addr = procs::free_addr()?;
    let origin_args = ["origin".to_owned(), "--listen".to_owned(), addr.to_string()];
    let origin = procs::spawn("origin", &std::env::current_exe()?, &origin_args, &[], addr, None).await?;
    let addr = procs::free_addr()?;
    // The admin listener on a free port too: harnesses running side by side must not fight over the default.
    let admin = procs::free_addr()?;
    // Reverse-proxy mode with its defaults (Host kept, forwarding fields added, no Via).
    let config = format!(
        "[server]\nlisten = \"{addr}\"\ntls = {{ cert = {:?}, key = {:?} }}\n\n\
         [server.passthrough]\norigin = \"http://{}\"\n\n[admin]\nlisten = \"{admin}\"\n\n\
         [limits]\ncache_entries = {}\n\n{}{}{}{}{}\n{}",
        certs.cert.display().to_string(),
        certs.key.display().to_string(),
        origin.addr,
        args.cache_mappings.max(100_000) + 100_000,
        tenant("bench", &tokens[0], "batch", &product),
        tenant("cycle", &tokens[1], "classic", &slow),
        tenant("calls", &tokens[2], "batch", &slow),
        tenant("cache", &tokens[3], "batch", &product),
        scimgate::demo::SAMPLE_MAPPING,
        batch_mapping(),
    );
    let config_path = dir.join("scimgate.toml");
    std::fs::write(&config_path, config)?;
    let run = [
        "run".to_owned(),
        "--config".to_owned(),
        config_path.display().to_string(),
    ];
    // `--only instructions` starts the gateway and the hops under callgrind; its files go to a directory of their
    // own, away from the one the gateway watches for config changes.
    let counted = args.only.as_deref() == Some(instructions::ONLY);
    let callgrind = instructions::dir();
    if counted {
        instructions::check_tools()?;
        std::fs::create_dir_all(&callgrind)?;
    }
    let wrapped = |name: &str, program: &Path, args: &[String]| -> (PathBuf, Vec<String>) {
        if !counted {
            return (program.to_path_buf(), args.to_vec());
        }
        let (wrapper, mut all) = instructions::wrapper(&callgrind, name);
        all.push(program.display().to_string());
        all.extend_from_slice(args);
        (wrapper, all)
    };
    // The production default: JSON request logs at info, here to /dev/null.
    let (program, run) = wrapped("gateway", binary, &run);
    let gateway = procs::spawn("gateway", &program, &run, &[], addr, None).await?;
    let addr = procs::free_addr()?;
    let hop_args = [
        "hop".to_owned(),
        "--listen".to_owned(),
        addr.to_string(),
        "--upstream".to_owned(),
        product.addr.to_string(),
        "--cert".to_owned(),
        certs.cert.display().to_string(),
        "--key".to_owned(),
        certs.key.display().to_string(),
    ];
    let (program, args_) = wrapped("hop", &std::env::current_exe()?, &hop_args);
    let hop = procs::spawn("hop", &program, &args_, &[], addr, None).await?;
    let addr = procs::free_addr()?;
    let mut origin_hop_args = hop_args.clone();
    origin_hop_args[2] = addr.to_string();
    origin_hop_args[4] = origin.addr.to_string();
    let (program, args_) = wrapped("origin-hop", &std::env::current_exe()?, &origin_hop_args);
    let origin_hop = procs::spawn("origin hop", &program, &args_, &[], addr, None).await?;
    let [bench_token, cycle_token, calls_token, cache_token] = tokens;
    Ok(Running {
        product,
        slow,
        gateway,
        hop,
        origin,
        origin_hop,
        api_key,
        bench_token,
        cycle_token,
        calls_token,
        cache_token,
        ca_pem: std::fs::read(&certs.ca)?,
        dir,
    })
}
