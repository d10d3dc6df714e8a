//! `driftless build DIR`: render a local directory and print the YAML
//! exactly as `kubectl kustomize DIR` prints it (a directory without a
//! kustomization file is built as Flux builds it).

use crate::render::{self, fs::LocalFs};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to render: a kustomization, or a directory of YAML files.
    pub path: PathBuf,
    /// The boundary nothing may be read outside of (bases such as `../base` must be inside it).
    /// Default: the enclosing git work tree, else the filesystem root.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = args.path.canonicalize().with_context(|| format!("cannot open {}", args.path.display()))?;
    let root = match &args.root {
        Some(r) => r.canonicalize().with_context(|| format!("cannot open {}", r.display()))?,
        None => work_tree(&dir).unwrap_or_else(|| PathBuf::from("/")),
    };
    let Ok(rel) = dir.strip_prefix(&root) else {
        anyhow::bail!("{} is not inside the root {}", dir.display(), root.display());
    };
    let rel = rel.to_string_lossy().into_owned();
    let fs = LocalFs::new(&root).with_context(|| format!("cannot open {}", root.display()))?;
    match render::build(&fs, &rel) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// The nearest directory at or above `dir` that holds `.git`.
fn work_tree(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}
