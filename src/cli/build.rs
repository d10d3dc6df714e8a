//! `driftless build PATH`: render a local directory and print the YAML, as
//! the daemon would render it from git.

use crate::render::{self, fs::LocalFs};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to render: a kustomization.yaml, or a directory of YAML files.
    pub path: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fs = LocalFs::new(&args.path).with_context(|| format!("cannot open {}", args.path.display()))?;
    let rendered = match render::render(&fs, "") {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let mut out = std::io::stdout().lock();
    for (i, o) in rendered.objects.iter().enumerate() {
        if i > 0 {
            writeln!(out, "---")?;
        }
        let text = serde_saphyr::to_string(o).context("formatting YAML")?;
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
