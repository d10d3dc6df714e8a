#!/usr/bin/env python3
"""Affected-path planning in a monorepo (issue 6): what one push touching one app costs.

Usage: plan_monorepo.py DRIFTLESS_BINARY [--pushes-large N] [--pushes-small N] [--clusters N] [--apps N] [--keep]

It generates two fleets with the same generator, each a bare git repository (the post-receive hook installed,
as `driftless quickstart` does) and a clone:

  clusters/base/common/              a Component adding the label `fleet: bench` to every object
  clusters/base/apps/app-NNN/        a Namespace, a Deployment (nginx, 1 replica), a Service and a
                                     configMapGenerator from a literal; uses the common component
  clusters/cNN/apps/app-NNN/         the base app in namespace cNN-app-NNN, with a JSON patch annotating the
                                     pod template (cluster: cNN, revision: "<n>")

the large one 10 clusters x 100 apps (1,000 Kustomizations, 4 objects each), the small one 1 cluster x 10 apps.
Next to each repository (not in it) a config holds the GitRepository `fleet` (file:// URL, branch main, interval
1h), one Kustomization per overlay (`cNN-app-NNN`, prune, interval 1h) and a generic-hmac Receiver.

Then, each with a fresh daemon (`driftless serve --embedded-cluster`) and a fresh data directory: the small fleet
planned, the large fleet planned, the large fleet with --reconcile-everything. Per case it waits until every
Kustomization is Ready at the first revision (the initial sync), then N times: edits one overlay's patch (one
Kustomization affected: c03/app-042 in the large fleet), commits, pushes, and measures
  push-to-applied          from `git push` returning to the new annotation being visible in the cluster's API
                           (keep-alive connection polled every 2 ms)
  all reconciles done      from `git push` returning until the status API (polled every 20 ms) shows the push
                           finished: planned, the edited Kustomization's lastAppliedRevision is the new commit;
                           reconcile-everything, every Kustomization's is; or until the counters last moved, if
                           later (reconciles a plan should not have made still count)
  renders / applies        the change of driftless_renders_total and driftless_applies_total (GET /metrics),
                           read once the counters have not moved for 0.3 s
and prints a markdown table of medians (fastest and slowest push in parentheses), the ratio of the planned
push-to-applied times and how long each initial sync took.

With a daemon that has no /metrics, renders are counted from the status API (Kustomizations whose
lastAttemptedRevision became the new commit) and applies likewise (lastAppliedRevision); with no
--reconcile-everything flag, the planned rows run the daemon as it is and wait for every Kustomization. Both are
said under the table.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOOK = os.path.join(ROOT, "hooks", "post-receive")
TOKEN = "plan-bench-webhook-token"
POLL_CLUSTER = 0.002
POLL_STATUS = 0.02


# ---------------------------------------------------------------------------------------------- the fleet


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def app_name(i):
    return f"app-{i:03d}"


def cluster_name(i):
    return f"c{i:02d}"


COMMON = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs:
    fleet: bench
"""


def base_files(app):
    return {
        "kustomization.yaml": f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- namespace.yaml
- deployment.yaml
- service.yaml
components:
- ../../common
configMapGenerator:
- name: {app}-config
  literals:
  - greeting=hello from {app}
""",
        "namespace.yaml": f"""apiVersion: v1
kind: Namespace
metadata:
  name: {app}
""",
        "deployment.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  labels:
    app: {app}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {app}
  template:
    metadata:
      labels:
        app: {app}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
""",
        "service.yaml": f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  labels:
    app: {app}
spec:
  selector:
    app: {app}
  ports:
  - port: 80
    targetPort: 80
""",
    }


def overlay(cluster, app, revision):
    """The overlay's kustomization.yaml; `revision` is the annotation each push changes."""
    return f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {cluster}-{app}
resources:
- ../../../base/apps/{app}
patches:
- target:
    kind: Deployment
    name: {app}
  patch: |-
    - op: add
      path: /spec/template/metadata/annotations
      value:
        cluster: {cluster}
        revision: "{revision}"
"""


def git(cwd, *args, capture=False):
    """Runs git; returns its stdout when `capture` is true, its stderr when it is "stderr"."""
    out = subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main",
         *args],
        cwd=cwd, stdout=subprocess.PIPE if capture is True else subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed in {cwd}: {out.stderr.strip()}")
    if capture == "stderr":
        return out.stderr
    return out.stdout.strip() if capture else None


class Fleet:
    """A generated monorepo: bare repository, working clone, config and secrets."""

    def __init__(self, root, clusters, apps):
        self.root, self.clusters, self.apps = root, clusters, apps
        self.bare = os.path.join(root, "repo.git")
        self.work = os.path.join(root, "work")
        self.secrets = os.path.join(root, "secrets")
        self.config = os.path.join(root, "driftless.yaml")
        self.names = [f"{cluster_name(c)}-{app_name(a)}" for c in range(clusters) for a in range(apps)]
        # The one overlay each push edits: c03/app-042 when the fleet has them.
        self.target_cluster = cluster_name(3 if clusters > 3 else 0)
        self.target_app = app_name(42 if apps > 42 else apps // 2)
        self.target = f"{self.target_cluster}-{self.target_app}"
        self.revision = 0

    def generate(self):
        os.makedirs(self.root)
        git(self.root, "init", "--quiet", "--bare", "repo.git")
        git(self.root, "clone", "--quiet", "repo.git", "work")
        base = os.path.join(self.work, "clusters", "base")
        write(os.path.join(base, "common", "kustomization.yaml"), COMMON)
        for a in range(self.apps):
            for name, text in base_files(app_name(a)).items():
                write(os.path.join(base, "apps", app_name(a), name), text)
        for c in range(self.clusters):
            for a in range(self.apps):
                write(self.overlay_path(cluster_name(c), app_name(a)), overlay(cluster_name(c), app_name(a), 0))
        write(os.path.join(self.work, "README.md"), "# fleet\n")
        git(self.work, "add", ".")
        git(self.work, "commit", "--quiet", "-m", "fleet")
        git(self.work, "push", "--quiet", "origin", "HEAD:main")
        write(os.path.join(self.secrets, "webhook-token", "token"), TOKEN + "\n")
        write(self.config, self.config_text())
        shutil.copyfile(HOOK, os.path.join(self.bare, "hooks", "post-receive"))
        os.chmod(os.path.join(self.bare, "hooks", "post-receive"), 0o755)
        git(self.bare, "config", "driftless.secretFile", os.path.join(self.secrets, "webhook-token", "token"))

    def overlay_path(self, cluster, app):
        return os.path.join(self.work, "clusters", cluster, "apps", app, "kustomization.yaml")

    def config_text(self):
        docs = [f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: fleet
  namespace: flux-system
spec:
  interval: 1h
  url: file://{self.bare}
  ref:
    branch: main
"""]
        for c in range(self.clusters):
            for a in range(self.apps):
                docs.append(f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {cluster_name(c)}-{app_name(a)}
  namespace: flux-system
spec:
  interval: 1h
  path: ./clusters/{cluster_name(c)}/apps/{app_name(a)}
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet
""")
        docs.append("""apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: git-push
  namespace: flux-system
spec:
  type: generic-hmac
  secretRef:
    name: webhook-token
  resources:
  - apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    name: fleet
""")
        return "---\n".join(docs)

    def head(self):
        return git(self.bare, "rev-parse", "refs/heads/main", capture=True)

    def edit_and_commit(self, revision):
        """Changes the target overlay's revision annotation and commits; returns the new commit."""
        self.revision = revision
        write(self.overlay_path(self.target_cluster, self.target_app),
              overlay(self.target_cluster, self.target_app, revision))
        git(self.work, "commit", "--quiet", "-am", f"{self.target}: revision {revision}")
        return git(self.work, "rev-parse", "HEAD", capture=True)


# ---------------------------------------------------------------------------------------------- the daemon


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    """A keep-alive HTTP client for one host."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path):
        for attempt in range(2):
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


class Daemon:
    """`driftless serve` on the embedded cluster, with a fresh data directory."""

    def __init__(self, binary, fleet, workdir, everything, log_level):
        self.fleet = fleet
        self.port, self.cport = free_port(), free_port()
        self.data = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "daemon.log")
        args = [binary, "--log", log_level, "serve", "--config", fleet.config, "--embedded-cluster",
                "--embedded-cluster-listen", f"127.0.0.1:{self.cport}", "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", self.data, "--secrets-dir", fleet.secrets]
        if everything:
            args.append("--reconcile-everything")
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if k not in ("RUST_LOG", "KUBECONFIG")}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.api = Http(self.port)
        self.cluster = Http(self.cport)
        self.has_metrics = None

    def fail(self, message):
        self.stop()
        with open(self.log_path) as f:
            tail = f.readlines()[-30:]
        sys.exit(f"{message}\n--- daemon log ({self.log_path}), last lines:\n{''.join(tail)}")

    def wait_listening(self, deadline):
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"driftless exited with status {self.proc.returncode}")
            try:
                status, _ = self.api.get("/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.fail("driftless did not start listening")

    def install_hook(self):
        status, body = self.api.get("/api/v1/receivers")
        items = json.loads(body)
        items = items.get("items", items) if isinstance(items, dict) else items
        path = next(r["webhookPath"] for r in items if r["name"] == "git-push")
        git(self.fleet.bare, "config", "driftless.url", f"http://127.0.0.1:{self.port}{path}")

    def statuses(self):
        status, body = self.api.get("/api/v1/kustomizations")
        if status != 200:
            self.fail(f"GET /api/v1/kustomizations: HTTP {status}")
        items = json.loads(body)
        return items.get("items", []) if isinstance(items, dict) else items

    def counters(self):
        """(renders, applies) since start from /metrics, or None when the daemon has no metrics."""
        if self.has_metrics is False:
            return None
        status, body = self.api.get("/metrics")
        text = body.decode() if status == 200 else ""
        totals = {"driftless_renders_total": 0.0, "driftless_applies_total": 0.0}
        seen = set()
        for line in text.splitlines():
            m = re.match(r"^(driftless_renders_total|driftless_applies_total)(\{[^}]*\})?\s+(\S+)", line)
            if m:
                totals[m.group(1)] += float(m.group(3))
                seen.add(m.group(1))
        self.has_metrics = len(seen) == 2
        if not self.has_metrics:
            return None
        return totals["driftless_renders_total"], totals["driftless_applies_total"]

    def wait_synced(self, commit, deadline):
        """Waits until every Kustomization is Ready at `commit`."""
        want = len(self.fleet.names)
        while True:
            items = self.statuses()
            done = [s for s in items if s.get("ready") == "True" and applied_at(s, commit)]
            if len(done) == want:
                return
            if time.perf_counter() > deadline:
                failed = [f"{s['name']}: {s.get('message')}" for s in items if s.get("ready") == "False"][:5]
                self.fail(f"initial sync: {len(done)}/{want} Kustomizations Ready at {commit[:12]}"
                          + (f"; failing: {failed}" if failed else ""))
            if self.proc.poll() is not None:
                self.fail(f"driftless exited with status {self.proc.returncode}")
            time.sleep(0.2)

    def annotation(self, namespace, name):
        status, body = self.cluster.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        if status != 200:
            return None
        annotations = json.loads(body).get("spec", {}).get("template", {}).get("metadata", {}).get("annotations")
        return (annotations or {}).get("revision")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def applied_at(status, commit):
    rev = status.get("lastAppliedRevision") or ""
    return rev.endswith(commit)


def attempted_at(status, commit):
    rev = status.get("lastAttemptedRevision") or ""
    return rev.endswith(commit)


# ---------------------------------------------------------------------------------------------- one case


def run_case(binary, fleet, workdir, everything, wait_all, pushes, revision, log_level):
    """Runs one (fleet, mode) case; returns a dict of samples. `everything` passes --reconcile-everything;
    `wait_all` makes a push done only once every Kustomization applied it (else only the edited one)."""
    os.makedirs(workdir)
    d = Daemon(binary, fleet, workdir, everything, log_level)
    try:
        d.wait_listening(time.perf_counter() + 60)
        d.install_hook()
        head = fleet.head()
        d.wait_synced(head, time.perf_counter() + 900)
        sync = time.perf_counter() - d.started
        ns, name = f"{fleet.target}", fleet.target_app
        applied, done, renders, applies = [], [], [], []
        for _ in range(pushes):
            revision += 1
            want = str(revision)
            before = d.counters()
            commit = fleet.edit_and_commit(revision)
            push = git(fleet.work, "push", "--quiet", "origin", "HEAD:main", capture="stderr")
            pushed = time.perf_counter()
            if "driftless:" in push:
                d.fail(f"the post-receive hook did not notify the daemon: {push.strip()}")
            deadline = pushed + 60
            while d.annotation(ns, name) != want:
                if time.perf_counter() > deadline:
                    d.fail(f"revision {want} of {fleet.target} not applied within 60 s")
                time.sleep(POLL_CLUSTER)
            applied.append(time.perf_counter() - pushed)
            # All reconciles done: the status API shows the push finished.
            deadline = pushed + 900
            while True:
                items = d.statuses()
                if wait_all:
                    finished = all(applied_at(s, commit) for s in items) and len(items) == len(fleet.names)
                else:
                    finished = any(s["name"] == fleet.target and applied_at(s, commit) for s in items)
                if finished:
                    break
                if time.perf_counter() > deadline:
                    d.fail(f"reconciles of {commit[:12]} not finished within 900 s")
                time.sleep(POLL_STATUS)
            finished = time.perf_counter()
            after, last_change = settled(d, before)
            # Reconciles the status condition does not wait for (a planning mistake) still count.
            done.append(max(finished, last_change or finished) - pushed)
            if before is not None and after is not None:
                renders.append(after[0] - before[0])
                applies.append(after[1] - before[1])
            else:
                # No /metrics: count from the status API what reconciled at the new commit.
                items = d.statuses()
                renders.append(sum(attempted_at(s, commit) for s in items))
                applies.append(sum(applied_at(s, commit) for s in items))
        return {"sync": sync, "applied": applied, "done": done, "renders": renders, "applies": applies,
                "metrics": bool(d.has_metrics), "revision": revision}
    finally:
        d.stop()


def settled(d, before, quiet=0.3, limit=60.0):
    """The counters once they stop moving (unchanged for `quiet` seconds) and when they last moved (None if they
    did not move while watched); (None, None) without metrics."""
    if before is None:
        # Without metrics, still give late reconciles a moment to show in the status API.
        time.sleep(quiet)
        return None, None
    last, since, changed, end = d.counters(), time.perf_counter(), None, time.perf_counter() + limit
    while time.perf_counter() < end:
        time.sleep(0.02)
        now = d.counters()
        if now != last:
            last, since = now, time.perf_counter()
            changed = since
        elif time.perf_counter() - since >= quiet:
            break
    return last, changed


# ---------------------------------------------------------------------------------------------- report


def machine_line(pushes_small, pushes_large):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    date = time.strftime("%Y-%m-%d", time.gmtime())
    return f"Machine: {cores} cores, {cpu}; {date}; {pushes_small} pushes (small), {pushes_large} pushes (large)"


def ms(seconds):
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def spread(samples):
    """The median of durations, with the fastest and slowest in parentheses."""
    return f"{ms(statistics.median(samples))} ({ms(min(samples))}–{ms(max(samples))})"


def count(values):
    m = statistics.median(values)
    lo, hi = min(values), max(values)
    text = f"{m:,.0f}" if m == int(m) else f"{m:,.1f}"
    return text if lo == hi else f"{text} ({lo:,.0f}–{hi:,.0f})"


def has_flag(binary):
    out = subprocess.run([binary, "serve", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return "--reconcile-everything" in out.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("binary")
    p.add_argument("--pushes-large", type=int, default=5)
    p.add_argument("--pushes-small", type=int, default=10)
    p.add_argument("--clusters", type=int, default=10)
    p.add_argument("--apps", type=int, default=100)
    p.add_argument("--log", default="warn", help="the daemon's log filter")
    p.add_argument("--keep", action="store_true", help="keep the work directory (repositories, logs)")
    a = p.parse_args()
    binary = os.path.abspath(a.binary)
    planning = has_flag(binary)
    work = tempfile.mkdtemp(prefix="plan-bench-")
    try:
        small = Fleet(os.path.join(work, "small"), 1, 10)
        large = Fleet(os.path.join(work, "large"), a.clusters, a.apps)
        small.generate()
        large.generate()
        cases = [
            (f"{len(small.names):,} Kustomizations", "planned", small, False, a.pushes_small),
            (f"{len(large.names):,} Kustomizations", "planned", large, False, a.pushes_large),
            (f"{len(large.names):,} Kustomizations", "everything", large, True, a.pushes_large),
        ]
        results, revision = [], 0
        for i, (repo, mode, fleet, everything, pushes) in enumerate(cases):
            print(f"running: {repo}, {mode}, {pushes} pushes", file=sys.stderr, flush=True)
            r = run_case(binary, fleet, os.path.join(work, f"case-{i}"), everything and planning,
                         everything or not planning, pushes, revision, a.log)
            revision = r["revision"]
            results.append((repo, mode, r))
        print(machine_line(a.pushes_small, a.pushes_large))
        print()
        print("| repository | mode | push-to-applied median | all reconciles done median | renders per push "
              "| applies per push |")
        print("|---|---|---|---|---|---|")
        for repo, mode, r in results:
            print(f"| {repo} | {mode} | {spread(r['applied'])} | {spread(r['done'])} | {count(r['renders'])} "
                  f"| {count(r['applies'])} |")
        print()
        print("(medians; the fastest and slowest push in parentheses)")
        ratio = statistics.median(results[1][2]["applied"]) / statistics.median(results[0][2]["applied"])
        print(f"Push-to-applied, {results[1][0]} planned / {results[0][0]} planned: {ratio:.2f}× (target ≤ 1.5×)")
        print("Initial sync (daemon start to every Kustomization Ready): "
              + "; ".join(f"{repo} {mode}: {ms(r['sync'])}" for repo, mode, r in results))
        if not planning:
            print("Note: this build has no --reconcile-everything flag (no planning yet): every mode reconciled "
                  "everything, so a push counts as done once every Kustomization applied it.")
        if not all(r["metrics"] for _, _, r in results):
            print("Note: no /metrics in this build: renders counted as Kustomizations whose lastAttemptedRevision "
                  "became the new commit, applies as those whose lastAppliedRevision did (status API).")
    finally:
        if a.keep:
            print(f"work directory kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
