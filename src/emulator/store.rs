//! The object store: every object as compact JSON with the metadata needed to
//! select it, one global resourceVersion counter, a bounded history of
//! changes for watches that resume, and the write-ahead log when persistent.

use super::persist::Wal;
use super::registry::{Registry, ResourceType};
use bytes::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};

/// How many past changes a watch can resume from.
const HISTORY: usize = 4096;

/// A stored object.
#[derive(Debug)]
pub struct Stored {
    /// The object as served, compact JSON.
    pub json: Bytes,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub rv: u64,
    pub labels: Vec<(String, String)>,
    /// uids of its ownerReferences.
    pub owners: Vec<String>,
    /// Has a deletionTimestamp.
    pub deleting: bool,
    pub finalizers: usize,
}

impl Stored {
    pub fn new(v: &Value) -> Stored {
        let meta = v.get("metadata");
        let s = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str).unwrap_or_default().to_string();
        let labels = meta
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|l| l.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
            .unwrap_or_default();
        let owners = meta
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Value::as_array)
            .map(|refs| refs.iter().filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string)).collect())
            .unwrap_or_default();
        Stored {
            json: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            name: s("name"),
            namespace: s("namespace"),
            uid: s("uid"),
            rv: s("resourceVersion").parse().unwrap_or(0),
            labels,
            owners,
            deleting: meta.and_then(|m| m.get("deletionTimestamp")).is_some_and(|t| !t.is_null()),
            finalizers: meta.and_then(|m| m.get("finalizers")).and_then(Value::as_array).map_or(0, Vec::len),
        }
    }

    /// The object as a JSON value.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    pub fn label_pairs(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The type of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change of one object.
#[derive(Debug)]
pub struct Event {
    pub kind: EventType,
    /// The resource type's store key.
    pub res: String,
    pub obj: Arc<Stored>,
    /// The object before a modification.
    pub prev: Option<Arc<Stored>>,
}

impl Event {
    pub fn rv(&self) -> u64 {
        self.obj.rv
    }
}

/// Something to do after a write, outside the store lock (e.g. simulate a
/// controller updating status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    pub res: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The resourceVersion the write produced.
    pub rv: u64,
}

/// Why a watch cannot start where it asked to.
#[derive(Debug)]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

type Objects = BTreeMap<(String, String), Arc<Stored>>;

/// The remembered changes after a resourceVersion, and a receiver for the ones to come.
pub type Subscription = (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>);

/// Everything the emulator holds, behind one lock.
pub struct State {
    pub rv: u64,
    pub registry: Registry,
    objects: HashMap<String, Objects>,
    history: VecDeque<Arc<Event>>,
    events: broadcast::Sender<Arc<Event>>,
    wal: Option<Wal>,
    followups: Option<mpsc::UnboundedSender<Followup>>,
}

impl State {
    pub fn new(wal: Option<Wal>) -> State {
        let (events, _) = broadcast::channel(HISTORY);
        State {
            rv: 1,
            registry: Registry::default(),
            objects: HashMap::new(),
            history: VecDeque::new(),
            events,
            wal,
            followups: None,
        }
    }

    pub fn set_followups(&mut self, tx: mpsc::UnboundedSender<Followup>) {
        self.followups = Some(tx);
    }

    /// Loads an object as it was persisted, without events or a new resourceVersion.
    pub fn restore(&mut self, res: &str, obj: &Value) {
        let s = Stored::new(obj);
        self.rv = self.rv.max(s.rv);
        self.objects.entry(res.to_string()).or_default().insert((s.namespace.clone(), s.name.clone()), Arc::new(s));
    }

    pub fn get(&self, rt: &ResourceType, ns: &str, name: &str) -> Option<Arc<Stored>> {
        self.objects.get(&rt.key())?.get(&(ns.to_string(), name.to_string())).cloned()
    }

    /// Objects of a type, in one namespace or all, ordered by namespace and name.
    pub fn list<'a>(
        &'a self,
        rt: &ResourceType,
        ns: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Stored>> + 'a> {
        let Some(objs) = self.objects.get(&rt.key()) else { return Box::new(std::iter::empty()) };
        match ns {
            Some(ns) => Box::new(
                objs.range((ns.to_string(), String::new())..).take_while(move |((n, _), _)| n == ns).map(|(_, v)| v),
            ),
            None => Box::new(objs.values()),
        }
    }

    /// Every stored object with its type key.
    pub fn all(&self) -> impl Iterator<Item = (&String, &Arc<Stored>)> {
        self.objects.iter().flat_map(|(k, objs)| objs.values().map(move |o| (k, o)))
    }

    pub fn count(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Stores `obj` (whose metadata names it) with a new resourceVersion,
    /// which it also sets in `obj`.
    pub fn put(&mut self, rt: &ResourceType, obj: &mut Value, kind: EventType) -> Arc<Stored> {
        self.rv += 1;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
        let stored = Arc::new(Stored::new(obj));
        let key = rt.key();
        let prev = self
            .objects
            .entry(key.clone())
            .or_default()
            .insert((stored.namespace.clone(), stored.name.clone()), stored.clone());
        if let Some(wal) = &mut self.wal {
            wal.put(stored.rv, &key, &stored.json);
        }
        self.emit(Event { kind, res: key.clone(), obj: stored.clone(), prev });
        if let Some(tx) = &self.followups {
            let _ = tx.send(Followup {
                res: key,
                namespace: stored.namespace.clone(),
                name: stored.name.clone(),
                uid: stored.uid.clone(),
                rv: stored.rv,
            });
        }
        stored
    }

    /// Removes an object for good; the DELETED event carries its last state
    /// with the resourceVersion of the deletion.
    pub fn remove(&mut self, rt: &ResourceType, ns: &str, name: &str) -> Option<Arc<Stored>> {
        let key = rt.key();
        let old = self.objects.get_mut(&key)?.remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        let mut last = old.value();
        if let Some(meta) = last.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
        let last = Arc::new(Stored::new(&last));
        if let Some(wal) = &mut self.wal {
            wal.delete(self.rv, &key, ns, name);
        }
        self.emit(Event { kind: EventType::Deleted, res: key, obj: last.clone(), prev: None });
        Some(last)
    }

    /// Drops every object of a type (its CRD went away), without events.
    pub fn drop_type(&mut self, key: &str) {
        self.objects.remove(key);
    }

    fn emit(&mut self, e: Event) {
        let e = Arc::new(e);
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(e.clone());
        let _ = self.events.send(e);
        if let Some(wal) = &mut self.wal
            && wal.wants_compaction()
        {
            let objects = self.objects.iter().flat_map(|(k, objs)| objs.values().map(move |o| (k.as_str(), &o.json)));
            if let Err(err) = wal.compact(self.rv, objects) {
                tracing::warn!(error = %err, "emulator: compacting the write-ahead log failed");
            }
        }
    }

    /// The changes after `since` that are still remembered, and a receiver for
    /// the ones to come. `since` older than the history is [`TooOld`].
    pub fn subscribe(&self, since: u64) -> Result<Subscription, TooOld> {
        let rx = self.events.subscribe();
        if since >= self.rv {
            return Ok((Vec::new(), rx));
        }
        let oldest = self.history.front().map_or(self.rv + 1, |e| e.rv());
        if since + 1 < oldest {
            return Err(TooOld { requested: since, oldest });
        }
        let past = self.history.iter().filter(|e| e.rv() > since).cloned().collect();
        Ok((past, rx))
    }

    /// Flushes the write-ahead log to disk.
    pub fn sync(&mut self) {
        if let Some(wal) = &mut self.wal {
            wal.sync();
        }
    }
}
