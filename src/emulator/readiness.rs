//! Simulated controllers. The emulator runs no workloads; to let health
//! checks and `kubectl wait` work, it writes the status a controller would:
//! Deployments, StatefulSets, DaemonSets, ReplicaSets and
//! ReplicationControllers become ready, Jobs complete, Pods run, claims bind,
//! after a delay. New namespaces get their `default` ServiceAccount and
//! `kube-root-ca.crt` ConfigMap, as the real controllers add them.
//!
//! Annotations on an object steer it (see `docs/emulator.md`):
//! `emulator.driftless.dev/ready-after: 2s` (or `never`) overrides the delay,
//! `emulator.driftless.dev/fail: <message>` makes it fail instead.
//! Custom resources get a `Ready` condition only when they carry one of these.

use super::ops::{self, Ctx, FieldValidation, Sub, Target};
use super::registry::ResourceType;
use super::store::{Followup, State, Stored};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub const READY_AFTER: &str = "emulator.driftless.dev/ready-after";
pub const FAIL: &str = "emulator.driftless.dev/fail";
const MANAGER: &str = "kube-controller-manager";

/// What a simulated controller writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Progressing,
    Ready,
    Failed,
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.pointer("/metadata/annotations").and_then(|a| a.get(key)).and_then(Value::as_str)
}

/// Parses `500ms`, `2s`, `1m`, `1h`; `never` is `None`.
fn parse_delay(s: &str) -> Option<Option<Duration>> {
    if s == "never" {
        return Some(None);
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.')?);
    let n: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Some(Duration::from_secs_f64(secs)))
}

fn simulated(rt: &ResourceType, obj: &Value) -> bool {
    let builtin = matches!(
        (rt.group.as_str(), rt.kind.as_str()),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
            | ("", "ReplicationController" | "Pod" | "PersistentVolumeClaim")
            | ("batch", "Job")
    );
    builtin
        || (rt.crd.is_some()
            && rt.status
            && (annotation(obj, READY_AFTER).is_some() || annotation(obj, FAIL).is_some()))
}

fn int(obj: &Value, pointer: &str, default: i64) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(default)
}

fn condition(ty: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": ty, "status": status, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason, "message": message})
}

/// The status a controller would write for `obj` at `stage`.
fn status_for(rt: &ResourceType, obj: &Value, stage: Stage, now: &str) -> Option<Value> {
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
    let generation = int(obj, "/metadata/generation", 1);
    let fail_msg = annotation(obj, FAIL).unwrap_or("failed (simulated)");
    let replicas = int(obj, "/spec/replicas", 1);
    let rs_name = format!("{name}-{:x}", generation.wrapping_mul(2_654_435_761) & 0xffff_ffff);
    let mut s = Map::new();
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("apps", "Deployment") => {
            s.insert("observedGeneration".into(), json!(generation));
            if replicas > 0 {
                s.insert("replicas".into(), json!(replicas));
                s.insert("updatedReplicas".into(), json!(replicas));
            }
            let (available, progressing) = match stage {
                Stage::Ready => {
                    if replicas > 0 {
                        s.insert("readyReplicas".into(), json!(replicas));
                        s.insert("availableReplicas".into(), json!(replicas));
                    }
                    (
                        condition(
                            "Available",
                            "True",
                            "MinimumReplicasAvailable",
                            "Deployment has minimum availability.",
                            now,
                        ),
                        condition(
                            "Progressing",
                            "True",
                            "NewReplicaSetAvailable",
                            &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                            now,
                        ),
                    )
                }
                Stage::Progressing | Stage::Failed => {
                    if replicas > 0 {
                        s.insert("unavailableReplicas".into(), json!(replicas));
                    }
                    let progressing = if stage == Stage::Failed {
                        condition(
                            "Progressing",
                            "False",
                            "ProgressDeadlineExceeded",
                            &format!("ReplicaSet \"{rs_name}\" has timed out progressing: {fail_msg}"),
                            now,
                        )
                    } else {
                        condition(
                            "Progressing",
                            "True",
                            "ReplicaSetUpdated",
                            &format!("ReplicaSet \"{rs_name}\" is progressing."),
                            now,
                        )
                    };
                    (
                        condition(
                            "Available",
                            "False",
                            "MinimumReplicasUnavailable",
                            "Deployment does not have minimum availability.",
                            now,
                        ),
                        progressing,
                    )
                }
            };
            s.insert("conditions".into(), json!([available, progressing]));
        }
        ("apps", "StatefulSet") => {
            let ready = if stage == Stage::Ready { replicas } else { 0 };
            let rev = rs_name.clone();
            s.insert("observedGeneration".into(), json!(generation));
            s.insert("replicas".into(), json!(replicas));
            if ready > 0 {
                s.insert("readyReplicas".into(), json!(ready));
                s.insert("availableReplicas".into(), json!(ready));
            }
            s.insert("currentReplicas".into(), json!(replicas));
            s.insert("updatedReplicas".into(), json!(replicas));
            s.insert("currentRevision".into(), json!(rev));
            s.insert("updateRevision".into(), json!(rev));
            s.insert("collisionCount".into(), json!(0));
        }
        ("apps", "DaemonSet") => {
            let ready = if stage == Stage::Ready { 1 } else { 0 };
            s.insert("currentNumberScheduled".into(), json!(1));
            s.insert("desiredNumberScheduled".into(), json!(1));
            s.insert("numberAvailable".into(), json!(ready));
            s.insert("numberMisscheduled".into(), json!(0));
            s.insert("numberReady".into(), json!(ready));
            if ready == 0 {
                s.insert("numberUnavailable".into(), json!(1));
            }
            s.insert("observedGeneration".into(), json!(generation));
            s.insert("updatedNumberScheduled".into(), json!(1));
        }
        ("apps", "ReplicaSet") | ("", "ReplicationController") => {
            let ready = if stage == Stage::Ready { replicas } else { 0 };
            s.insert("replicas".into(), json!(replicas));
            s.insert("fullyLabeledReplicas".into(), json!(replicas));
            if ready > 0 {
                s.insert("readyReplicas".into(), json!(ready));
                s.insert("availableReplicas".into(), json!(ready));
            }
            s.insert("observedGeneration".into(), json!(generation));
        }
        ("batch", "Job") => {
            if obj.pointer("/spec/suspend") == Some(&json!(true)) {
                return None;
            }
            let start = obj.pointer("/status/startTime").cloned().unwrap_or(json!(now));
            s.insert("startTime".into(), start);
            match stage {
                Stage::Progressing => {
                    s.insert("active".into(), json!(int(obj, "/spec/parallelism", 1)));
                }
                Stage::Ready => {
                    s.insert("completionTime".into(), json!(now));
                    s.insert("succeeded".into(), json!(int(obj, "/spec/completions", 1)));
                    s.insert(
                        "conditions".into(),
                        json!([
                            condition(
                                "SuccessCriteriaMet",
                                "True",
                                "CompletionsReached",
                                "Reached expected number of succeeded pods",
                                now
                            ),
                            condition(
                                "Complete",
                                "True",
                                "CompletionsReached",
                                "Reached expected number of succeeded pods",
                                now
                            ),
                        ]),
                    );
                }
                Stage::Failed => {
                    s.insert("failed".into(), json!(int(obj, "/spec/backoffLimit", 6) + 1));
                    s.insert(
                        "conditions".into(),
                        json!([
                            condition(
                                "FailureTarget",
                                "True",
                                "BackoffLimitExceeded",
                                "Job has reached the specified backoff limit",
                                now
                            ),
                            condition(
                                "Failed",
                                "True",
                                "BackoffLimitExceeded",
                                &format!("Job has reached the specified backoff limit: {fail_msg}"),
                                now
                            ),
                        ]),
                    );
                }
            }
            s.insert("ready".into(), json!(0));
            s.insert("terminating".into(), json!(0));
            s.insert("uncountedTerminatedPods".into(), json!({}));
        }
        ("", "Pod") => {
            let containers = obj.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
            let running = stage == Stage::Ready;
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    let state = match stage {
                        Stage::Ready => json!({"running": {"startedAt": now}}),
                        Stage::Progressing => json!({"waiting": {"reason": "ContainerCreating"}}),
                        Stage::Failed => json!({"waiting": {"reason": "CrashLoopBackOff", "message": fail_msg}}),
                    };
                    json!({"name": c.get("name"), "image": c.get("image"), "imageID": "", "ready": running,
                           "restartCount": if stage == Stage::Failed { 5 } else { 0 }, "started": running, "state": state})
                })
                .collect();
            let t = |b: bool| if b { "True" } else { "False" };
            s.insert("phase".into(), json!(if stage == Stage::Progressing { "Pending" } else { "Running" }));
            s.insert("conditions".into(), json!([
                {"type": "PodReadyToStartContainers", "status": t(stage != Stage::Progressing), "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                {"type": "Ready", "status": t(running), "lastTransitionTime": now},
                {"type": "ContainersReady", "status": t(running), "lastTransitionTime": now},
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
            ]));
            s.insert("hostIP".into(), json!("10.0.0.1"));
            s.insert("podIP".into(), json!("10.244.0.10"));
            s.insert("startTime".into(), obj.pointer("/status/startTime").cloned().unwrap_or(json!(now)));
            s.insert("containerStatuses".into(), Value::Array(statuses));
        }
        ("", "PersistentVolumeClaim") => {
            if stage == Stage::Ready {
                s.insert("phase".into(), json!("Bound"));
                s.insert(
                    "accessModes".into(),
                    obj.pointer("/spec/accessModes").cloned().unwrap_or(json!(["ReadWriteOnce"])),
                );
                s.insert("capacity".into(), obj.pointer("/spec/resources/requests").cloned().unwrap_or(json!({})));
            } else {
                s.insert("phase".into(), json!("Pending"));
            }
        }
        _ if rt.crd.is_some() => {
            let mut st = obj.get("status").and_then(Value::as_object).cloned().unwrap_or_default();
            st.insert("observedGeneration".into(), json!(generation));
            let c = match stage {
                Stage::Ready => {
                    json!({"type": "Ready", "status": "True", "reason": "Succeeded", "message": "ready (simulated)", "lastTransitionTime": now, "observedGeneration": generation})
                }
                Stage::Progressing => {
                    json!({"type": "Ready", "status": "Unknown", "reason": "Progressing", "message": "reconciling (simulated)", "lastTransitionTime": now, "observedGeneration": generation})
                }
                Stage::Failed => {
                    json!({"type": "Ready", "status": "False", "reason": "Failed", "message": fail_msg, "lastTransitionTime": now, "observedGeneration": generation})
                }
            };
            st.insert("conditions".into(), json!([c]));
            return Some(Value::Object(st));
        }
        _ => return None,
    }
    Some(Value::Object(s))
}

/// Compares statuses without their timestamps.
fn same_status(a: Option<&Value>, b: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| !k.ends_with("Time") && k.as_str() != "startedAt")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    a.is_some_and(|a| strip(a) == strip(b))
}

/// Keeps the timestamps of conditions whose status did not change.
fn keep_transition_times(old: Option<&Value>, new: &mut Value) {
    let old_conds = old.and_then(|o| o.get("conditions")).and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(conds) = new.get_mut("conditions").and_then(Value::as_array_mut) {
        for c in conds.iter_mut() {
            let Some(prev) = old_conds.iter().find(|p| p.get("type") == c.get("type")) else { continue };
            if prev.get("status") == c.get("status") {
                for k in ["lastTransitionTime", "lastUpdateTime"] {
                    if let Some(t) = prev.get(k) {
                        c[k] = t.clone();
                    }
                }
            }
        }
    }
}

/// Writes `status` through the status subresource, as the controller manager
/// does. Returns the resourceVersion written, if anything was.
fn write_status(
    st: &mut State,
    rt: &Arc<ResourceType>,
    stored: &Arc<Stored>,
    obj: &Value,
    mut status: Value,
) -> Option<u64> {
    keep_transition_times(obj.get("status"), &mut status);
    if same_status(obj.get("status"), &status) {
        return None;
    }
    let t = Target {
        rt: rt.clone(),
        version: rt.storage_version().to_string(),
        namespace: stored.namespace.clone(),
        name: stored.name.clone(),
        sub: if rt.status { Sub::Status } else { Sub::Main },
    };
    let mut ctx = controller_ctx();
    match ops::write_status(st, &t, stored.clone(), obj.clone(), status, &mut ctx) {
        Ok((_, v)) => v.pointer("/metadata/resourceVersion").and_then(Value::as_str).and_then(|r| r.parse().ok()),
        Err(e) => {
            tracing::debug!(error = %e, "emulator: simulated status update skipped");
            None
        }
    }
}

fn controller_ctx() -> Ctx {
    Ctx {
        manager: MANAGER.into(),
        manager_given: true,
        dry_run: false,
        force: false,
        validation: FieldValidation::Ignore,
        now: ops::now(),
        warnings: Vec::new(),
    }
}

/// Objects a new namespace gets from the real controllers.
fn seed_namespace(st: &mut State, ns: &str) {
    let seeds = [
        (
            "",
            "v1",
            "serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
        ),
        (
            "",
            "v1",
            "configmaps",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt",
                   "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                   "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n(emulator: no CA)\n-----END CERTIFICATE-----\n"}}),
        ),
    ];
    for (group, version, plural, obj) in seeds {
        let Some(rt) = st.registry.lookup(group, version, plural) else { continue };
        let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
        if st.get(&rt, ns, &name).is_some() {
            continue;
        }
        let t = Target { rt, version: version.into(), namespace: ns.into(), name: String::new(), sub: Sub::Main };
        let mut ctx = controller_ctx();
        if let Err(e) = ops::create(st, &t, obj, &mut ctx) {
            tracing::debug!(error = %e, "emulator: seeding namespace skipped");
        }
    }
}

/// An object, by type key, namespace and name.
type Key = (String, String, String);

/// The simulated controllers' memory between wake-ups.
#[derive(Default)]
struct Controllers {
    /// When to look at an object again.
    due: BTreeMap<Instant, Vec<Key>>,
    scheduled: HashSet<Key>,
    /// The resourceVersion of each object's last simulated status write, so
    /// the controllers do not react to their own writes.
    written: HashMap<String, u64>,
}

/// Runs the simulated controllers until the channel closes.
pub async fn run(state: Arc<Mutex<State>>, mut rx: mpsc::UnboundedReceiver<Followup>, delay: Duration) {
    let mut c = Controllers::default();
    loop {
        let next = c.due.keys().next().copied();
        let woke = tokio::select! {
            f = rx.recv() => match f { Some(f) => Some(f), None => return },
            _ = async { match next { Some(at) => tokio::time::sleep_until(at).await, None => std::future::pending().await } } => None,
        };
        let mut fresh = Vec::new();
        if let Some(f) = woke {
            fresh.push(f);
            while let Ok(f) = rx.try_recv() {
                fresh.push(f);
            }
        }
        let now = Instant::now();
        let mut due_now = Vec::new();
        while let Some(entry) = c.due.first_entry() {
            if *entry.key() > now {
                break;
            }
            due_now.extend(entry.remove());
        }
        let Ok(mut st) = state.lock() else { return };
        for f in fresh {
            if c.written.get(&f.uid) == Some(&f.rv) {
                c.written.remove(&f.uid);
                continue;
            }
            let key = (f.res, f.namespace, f.name);
            if c.scheduled.contains(&key) {
                continue;
            }
            if let Some(after) = step(&mut st, &key, false, delay, &mut c.written) {
                c.scheduled.insert(key.clone());
                c.due.entry(Instant::now() + after).or_default().push(key);
            }
        }
        for key in due_now {
            c.scheduled.remove(&key);
            if let Some(after) = step(&mut st, &key, true, delay, &mut c.written) {
                c.scheduled.insert(key.clone());
                c.due.entry(Instant::now() + after).or_default().push(key);
            }
        }
    }
}

/// Looks at one object; returns how long until it should be looked at again.
fn step(
    st: &mut State,
    key: &Key,
    is_due: bool,
    delay: Duration,
    written: &mut HashMap<String, u64>,
) -> Option<Duration> {
    let (res, ns, name) = key;
    let rt = st.registry.by_key(res)?;
    if rt.group.is_empty() && rt.kind == "Namespace" {
        if st.get(&rt, "", name).is_some_and(|n| !n.deleting) {
            seed_namespace(st, name);
        }
        return None;
    }
    let stored = st.get(&rt, ns, name)?;
    if stored.deleting {
        return None;
    }
    let obj = stored.value();
    if !simulated(&rt, &obj) {
        return None;
    }
    let now = ops::now();
    let wait = match annotation(&obj, READY_AFTER).and_then(parse_delay) {
        Some(d) => d,
        None => Some(delay),
    };
    let final_stage = if annotation(&obj, FAIL).is_some() { Stage::Failed } else { Stage::Ready };
    let target = status_for(&rt, &obj, final_stage, &now)?;
    if same_status(obj.get("status"), &target) {
        return None;
    }
    let mut write = |st: &mut State, status: Value| {
        if let Some(rv) = write_status(st, &rt, &stored, &obj, status) {
            written.insert(stored.uid.clone(), rv);
        }
    };
    match wait {
        Some(d) if is_due || d.is_zero() => {
            write(st, target);
            None
        }
        Some(d) => {
            // A long wait shows the intermediate state; a short one goes straight to the end.
            let observed = obj.pointer("/status/observedGeneration").and_then(Value::as_i64);
            let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
            if d > Duration::from_secs(1)
                && observed != generation
                && let Some(progress) = status_for(&rt, &obj, Stage::Progressing, &now)
            {
                write(st, progress);
            }
            Some(d)
        }
        None => {
            if let Some(progress) = status_for(&rt, &obj, Stage::Progressing, &now) {
                write(st, progress);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse() {
        assert_eq!(parse_delay("500ms"), Some(Some(Duration::from_millis(500))));
        assert_eq!(parse_delay("2s"), Some(Some(Duration::from_secs(2))));
        assert_eq!(parse_delay("never"), Some(None));
        assert_eq!(parse_delay("soon"), None);
    }

    #[test]
    fn deployment_ready_and_failed_status() {
        let rt = super::super::registry::Registry::default().by_kind("apps", "Deployment").unwrap();
        let d = json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 3}});
        let ready = status_for(&rt, &d, Stage::Ready, "t").unwrap();
        assert_eq!(ready["availableReplicas"], 3);
        assert_eq!(ready["observedGeneration"], 2);
        assert_eq!(ready["conditions"][0]["status"], "True");
        let failed = status_for(&rt, &d, Stage::Failed, "t").unwrap();
        assert_eq!(failed["conditions"][1]["reason"], "ProgressDeadlineExceeded");
        assert!(same_status(Some(&ready), &status_for(&rt, &d, Stage::Ready, "later").unwrap()));
    }
}
