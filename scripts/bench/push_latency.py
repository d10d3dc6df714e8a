#!/usr/bin/env python3
"""Push-to-applied latency against a running `driftless quickstart`.

Usage: push_latency.py QUICKSTART_DIR CLUSTER_URL N
For each of N pushes it changes spec.replicas of clusters/dev/deployment.yaml,
commits, pushes, then polls the cluster's API (every 2 ms, keep-alive) until
the Deployment shows the new value. Prints one line per push:
  <ms from push start> <ms from push returning>
"""
import http.client, json, re, subprocess, sys, time, urllib.parse

qs, cluster, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = f"{qs}/work"
path = f"{work}/clusters/dev/deployment.yaml"
conn = http.client.HTTPConnection(urllib.parse.urlparse(cluster).netloc)
api = "/apis/apps/v1/namespaces/my-app/deployments/nginx"

def replicas():
    conn.request("GET", api)
    r = conn.getresponse()
    body = r.read()
    return json.loads(body)["spec"]["replicas"] if r.status == 200 else None

def git(*args):
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
                   cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

for i in range(n):
    want = 3 + i % 7
    text = open(path).read()
    open(path, "w").write(re.sub(r"replicas: \d+", f"replicas: {want}", text))
    git("commit", "-qam", f"replicas {want}")
    start = time.perf_counter()
    git("push", "-q")
    pushed = time.perf_counter()
    deadline = pushed + 30
    while replicas() != want:
        if time.perf_counter() > deadline:
            sys.exit(f"push {i}: replicas {want} not applied within 30 s")
        time.sleep(0.002)
    done = time.perf_counter()
    print(f"{(done - start) * 1000:.1f} {(done - pushed) * 1000:.1f}", flush=True)
