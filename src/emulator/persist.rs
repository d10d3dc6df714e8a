//! Persistence for `--data-dir`: a snapshot plus a write-ahead log, both JSON
//! lines. Every write is appended to the log before it is acknowledged, so a
//! crash of the process loses nothing acknowledged. A torn last line (the
//! machine died mid-write) is dropped on load, so the files are never left
//! unreadable. When the log grows past the snapshot, a new snapshot is
//! written to a temporary file, synced and renamed into place, and the log
//! restarts empty.
//!
//! Lines: `{"rv":N,"r":"<group>/<plural>","o":{...}}` stores an object,
//! `{"rv":N,"r":...,"ns":"..","n":".."}` deletes one. The snapshot's first
//! line is `{"rv":N}`.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const SNAPSHOT: &str = "snapshot.jsonl";
const LOG: &str = "wal.jsonl";
/// The log is compacted once it is larger than this and than the snapshot.
const MIN_COMPACT_BYTES: u64 = 32 << 20;

#[derive(Deserialize)]
struct Line<'a> {
    rv: u64,
    #[serde(default, borrow)]
    r: Option<&'a str>,
    #[serde(default, borrow)]
    o: Option<&'a RawValue>,
    #[serde(default, borrow)]
    ns: Option<&'a str>,
    #[serde(default, borrow)]
    n: Option<&'a str>,
}

/// What was on disk: the latest resourceVersion and every object with its type key.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rv: u64,
    pub objects: Vec<(String, serde_json::Value)>,
}

/// The write-ahead log.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    file: File,
    bytes: u64,
    snapshot_bytes: u64,
    failed: bool,
}

impl Wal {
    /// Opens (or creates) the data directory and loads what it holds.
    pub fn open(dir: &Path) -> io::Result<(Wal, Loaded)> {
        fs::create_dir_all(dir)?;
        let mut objects: std::collections::BTreeMap<(String, String, String), serde_json::Value> = Default::default();
        let mut rv = 0;
        let snapshot = dir.join(SNAPSHOT);
        let mut snapshot_bytes = 0;
        if snapshot.exists() {
            snapshot_bytes = fs::metadata(&snapshot)?.len();
            let (_, snap_rv) = replay(&snapshot, 0, &mut objects)?;
            rv = snap_rv;
        }
        let log = dir.join(LOG);
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(&log)?;
        let (good, log_rv) = replay(&log, rv, &mut objects)?;
        rv = rv.max(log_rv);
        if good < file.metadata()?.len() {
            // A torn tail: keep what is whole.
            file.set_len(good)?;
            file.seek(SeekFrom::End(0))?;
        }
        let loaded = Loaded { rv, objects: objects.into_iter().map(|((r, _, _), o)| (r, o)).collect() };
        Ok((Wal { dir: dir.to_path_buf(), file, bytes: good, snapshot_bytes, failed: false }, loaded))
    }

    fn append(&mut self, line: &[u8]) {
        if self.failed {
            return;
        }
        if let Err(e) = self.file.write_all(line) {
            // Keep serving; say once that persistence stopped.
            tracing::error!(error = %e, dir = %self.dir.display(), "emulator: writing the data directory failed; changes are no longer persisted");
            self.failed = true;
        }
        self.bytes += line.len() as u64;
    }

    pub fn put(&mut self, rv: u64, res: &str, obj: &Bytes) {
        let mut line = Vec::with_capacity(obj.len() + res.len() + 32);
        line.extend_from_slice(format!("{{\"rv\":{rv},\"r\":{},\"o\":", json_str(res)).as_bytes());
        line.extend_from_slice(obj);
        line.extend_from_slice(b"}\n");
        self.append(&line);
    }

    pub fn delete(&mut self, rv: u64, res: &str, ns: &str, name: &str) {
        let line =
            format!("{{\"rv\":{rv},\"r\":{},\"ns\":{},\"n\":{}}}\n", json_str(res), json_str(ns), json_str(name));
        self.append(line.as_bytes());
    }

    pub fn wants_compaction(&self) -> bool {
        !self.failed && self.bytes > MIN_COMPACT_BYTES && self.bytes > self.snapshot_bytes
    }

    /// Writes a snapshot of `objects` at `rv` and restarts the log.
    pub fn compact<'a>(&mut self, rv: u64, objects: impl Iterator<Item = (&'a str, &'a Bytes)>) -> io::Result<()> {
        let tmp = self.dir.join(format!("{SNAPSHOT}.tmp"));
        let mut out = io::BufWriter::new(File::create(&tmp)?);
        writeln!(out, "{{\"rv\":{rv}}}")?;
        for (res, obj) in objects {
            write!(out, "{{\"rv\":{rv},\"r\":{},\"o\":", json_str(res))?;
            out.write_all(obj)?;
            out.write_all(b"}\n")?;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        self.snapshot_bytes = file.metadata()?.len();
        fs::rename(&tmp, self.dir.join(SNAPSHOT))?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        // Records up to `rv` are in the snapshot; replay skips them, so a
        // crash before the truncation below is harmless.
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.bytes = 0;
        Ok(())
    }

    pub fn sync(&mut self) {
        let _ = self.file.sync_data();
    }
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Applies the lines of `path` newer than `after` to `objects`. Returns the
/// length of the whole lines read and the highest resourceVersion seen.
fn replay(
    path: &Path,
    after: u64,
    objects: &mut std::collections::BTreeMap<(String, String, String), serde_json::Value>,
) -> io::Result<(u64, u64)> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut good = 0u64;
    let mut rv = after;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 || buf.last() != Some(&b'\n') {
            break;
        }
        let Ok(line) = serde_json::from_slice::<Line>(&buf) else { break };
        good += n as u64;
        rv = rv.max(line.rv);
        if line.rv <= after && line.r.is_some() {
            continue;
        }
        let Some(res) = line.r else { continue };
        match line.o {
            Some(raw) => {
                let Ok(obj) = serde_json::from_str::<serde_json::Value>(raw.get()) else { continue };
                let meta =
                    |k: &str| obj.pointer(&format!("/metadata/{k}")).and_then(|v| v.as_str()).unwrap_or("").to_string();
                objects.insert((res.to_string(), meta("namespace"), meta("name")), obj);
            }
            None => {
                objects.remove(&(res.to_string(), line.ns.unwrap_or("").to_string(), line.n.unwrap_or("").to_string()));
            }
        }
    }
    Ok((good, rv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(name: &str, rv: u64) -> Bytes {
        Bytes::from(
            json!({"metadata": {"name": name, "namespace": "d", "resourceVersion": rv.to_string()}}).to_string(),
        )
    }

    #[test]
    fn log_survives_reopen_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut wal, loaded) = Wal::open(dir.path()).unwrap();
            assert!(loaded.objects.is_empty());
            wal.put(2, "/configmaps", &obj("a", 2));
            wal.put(3, "/configmaps", &obj("b", 3));
            wal.delete(4, "/configmaps", "d", "a");
        }
        // Half a line, as if the machine died mid-write.
        let mut f = OpenOptions::new().append(true).open(dir.path().join(LOG)).unwrap();
        f.write_all(b"{\"rv\":5,\"r\":\"/configmaps\",\"o\":{\"metad").unwrap();
        let (mut wal, loaded) = Wal::open(dir.path()).unwrap();
        assert_eq!(loaded.rv, 4);
        assert_eq!(loaded.objects.len(), 1);
        assert_eq!(loaded.objects[0].1["metadata"]["name"], "b");
        // Appending after the repair yields a readable log.
        wal.put(5, "/configmaps", &obj("c", 5));
        drop(wal);
        let (_, loaded) = Wal::open(dir.path()).unwrap();
        assert_eq!(loaded.objects.len(), 2);
    }

    #[test]
    fn compaction_keeps_state() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path()).unwrap();
        wal.put(2, "/configmaps", &obj("a", 2));
        let a = obj("a", 2);
        wal.compact(2, [("/configmaps", &a)].into_iter()).unwrap();
        wal.put(3, "/configmaps", &obj("b", 3));
        drop(wal);
        let (_, loaded) = Wal::open(dir.path()).unwrap();
        assert_eq!(loaded.rv, 3);
        let names: Vec<_> = loaded.objects.iter().map(|(_, o)| o["metadata"]["name"].clone()).collect();
        assert_eq!(names, vec![json!("a"), json!("b")]);
    }
}
