//! `driftless diff NAME --config FILE --path DIR`: what applying a local
//! directory as Kustomization NAME would change in the cluster, field by
//! field (like `flux diff kustomization`). Nothing is changed: every object
//! goes through a server-side dry run. Exit code 0: no difference, 1: a
//! difference, 2: an error.

use crate::api::{self, ObjectKey};
use crate::apply::cluster::Cluster;
use crate::apply::diff::{Action, ObjectDiff};
use crate::apply::inventory::InventoryStore;
use crate::apply::{self, Options, Owner};
use crate::reconcile::Engine;
use crate::render::{self, fs::LocalFs};
use anyhow::{Context, anyhow, bail};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Kustomization: `name` or `namespace/name` (default namespace `flux-system`).
    pub name: String,
    /// The config holding it (Flux objects, as for `driftless serve`).
    #[arg(long, env = "DRIFTLESS_CONFIG")]
    pub config: PathBuf,
    /// The local directory to render instead of its path in Git.
    #[arg(long)]
    pub path: PathBuf,
    /// The boundary nothing may be read outside of (default: the enclosing git work tree).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Kubeconfig of the cluster (default: KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The field manager the daemon applies with.
    #[arg(long, env = "DRIFTLESS_FIELD_MANAGER", default_value = "driftless")]
    pub field_manager: String,
    /// Namespace of the inventory ConfigMaps, as given to the daemon.
    #[arg(long)]
    pub inventory_namespace: Option<String>,
    /// As `driftless serve --strict-substitution`.
    #[arg(long, env = "DRIFTLESS_STRICT_SUBSTITUTION")]
    pub strict_substitution: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = api::load_file(&args.config).map_err(|e| anyhow!("{e}"))?;
    let key = match args.name.split_once('/') {
        Some((ns, name)) => ObjectKey::new(ns, name),
        None => ObjectKey::new("flux-system", &args.name),
    };
    let Some(ks) = config.kustomizations.iter().find(|k| k.key == key).cloned() else {
        bail!("no Kustomization {key} in {}", args.config.display());
    };
    let dir = args.path.canonicalize().with_context(|| format!("cannot open {}", args.path.display()))?;
    let root = match &args.root {
        Some(r) => r.canonicalize().with_context(|| format!("cannot open {}", r.display()))?,
        None => dir.ancestors().find(|d| d.join(".git").exists()).unwrap_or(&dir).to_path_buf(),
    };
    let rel = dir
        .strip_prefix(&root)
        .map_err(|_| anyhow!("{} is not inside the root {}", dir.display(), root.display()))?
        .to_string_lossy()
        .into_owned();
    let fs = LocalFs::new(&root).with_context(|| format!("cannot open {}", root.display()))?;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let diffs = rt.block_on(async {
        let cluster = Cluster::connect(args.kubeconfig.as_deref()).await?;
        let (options, _) =
            Engine::render_options(&cluster, &ks, args.strict_substitution).await.map_err(|e| anyhow!(e))?;
        let rendered = render::render_with(&fs, &rel, &options).map_err(|e| anyhow!("{e}"))?;
        let owner = Owner { name: ks.key.name.clone(), namespace: ks.key.namespace.clone() };
        let store = InventoryStore {
            namespace: args.inventory_namespace.clone().unwrap_or_else(|| ks.key.namespace.clone()),
            field_manager: args.field_manager.clone(),
        };
        let previous = store.load(&cluster, &owner).await?.map(|r| r.inventory).unwrap_or_default();
        let opts = Options {
            field_manager: args.field_manager.clone(),
            target_namespace: ks.target_namespace.clone(),
            prune: ks.prune,
            force: ks.force,
        };
        Ok::<_, anyhow::Error>(apply::diff::diff(&cluster, rendered.objects, &owner, &opts, &previous).await?)
    })?;
    print!("{}", report(&diffs));
    let differs = diffs.iter().any(|d| !matches!(d.action, Action::Unchanged | Action::Skipped));
    Ok(if differs { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The differences as text: one `► Kind/namespace/name action` line per
/// object that would change, its fields below (`-` live, `+` after the apply).
fn report(diffs: &[ObjectDiff]) -> String {
    let mut out = String::new();
    for d in diffs.iter().filter(|d| !matches!(d.action, Action::Unchanged | Action::Skipped)) {
        out.push_str(&format!("► {} {}\n", d.object, d.action));
        for f in &d.fields {
            out.push_str(&format!("  {}\n", f.path));
            for (sign, value) in [('-', &f.live), ('+', &f.applied)] {
                for line in value.iter().flat_map(|v| v.lines()) {
                    out.push_str(&format!("    {sign} {line}\n"));
                }
            }
        }
    }
    if out.is_empty() {
        out.push_str("✓ no changes\n");
    }
    out
}
