//! `driftless get`: a table of the running daemon's objects, like `flux get`.

use anyhow::{Context, bail};
use serde_json::Value;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to list: kustomizations (ks), sources (gitrepositories), receivers.
    #[arg(default_value = "kustomizations")]
    pub what: String,
    /// The daemon's address.
    #[arg(long, env = "DRIFTLESS_SERVER", default_value = "http://127.0.0.1:9292")]
    pub server: String,
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Prints rows as aligned columns.
fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let n = cells.len();
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| if i + 1 == n { c } else { format!("{c:<w$}", w = widths[i]) })
            .collect::<Vec<_>>()
            .join("   ")
            .trim_end()
            .to_string()
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push('\n');
        out.push_str(&line(r));
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (path, header): (&str, &[&str]) = match args.what.as_str() {
        "kustomizations" | "kustomization" | "ks" => {
            ("kustomizations", &["NAME", "REVISION", "SEEN", "READY", "MESSAGE"])
        }
        "sources" | "source" | "gitrepositories" | "gitrepository" => {
            ("gitrepositories", &["NAME", "REVISION", "READY", "MESSAGE"])
        }
        "receivers" | "receiver" => ("receivers", &["NAME", "TYPE", "WEBHOOK PATH"]),
        other => bail!("unknown object type {other:?}: use kustomizations, sources or receivers"),
    };
    let url = format!("{}/api/v1/{path}", args.server.trim_end_matches('/'));
    let body: Value = reqwest::blocking::get(&url)
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .with_context(|| format!("cannot read {url}; is `driftless serve` running there?"))?;
    let items = body.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let rows = items
        .iter()
        .map(|i| {
            let name = format!("{}/{}", s(i, "namespace"), s(i, "name"));
            match path {
                "receivers" => vec![name, s(i, "type"), s(i, "webhookPath")],
                // SEEN: the newest revision it is up to date with (a plan may have skipped it).
                "kustomizations" => {
                    vec![name, s(i, "lastAppliedRevision"), s(i, "lastSeenRevision"), s(i, "ready"), s(i, "message")]
                }
                _ => vec![name, s(i, "revision"), s(i, "ready"), s(i, "message")],
            }
        })
        .collect();
    println!("{}", table(header, rows));
    Ok(ExitCode::SUCCESS)
}
