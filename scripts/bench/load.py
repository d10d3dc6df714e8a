#!/usr/bin/env python3
"""Server-side applies COUNT Deployments (deployment.json) to the emulator at
URL over keep-alive connections, in THREADS threads. Prints the elapsed time."""
import http.client, json, sys, threading, time, urllib.parse

url, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
template = open(sys.argv[4]).read()
host = urllib.parse.urlparse(url).netloc
errors = []

def worker(k):
    conn = http.client.HTTPConnection(host)
    for i in range(k, count, threads):
        name = f"mem-{i}"
        body = template.replace("NAME", name).replace("IMAGE", "registry.example/app:1")
        conn.request("PATCH", f"/apis/apps/v1/namespaces/bench/deployments/{name}?fieldManager=bench", body,
                     {"Content-Type": "application/apply-patch+yaml"})
        r = conn.getresponse()
        r.read()
        if r.status not in (200, 201):
            errors.append(r.status)

start = time.time()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
print(f"{time.time() - start:.2f}")
if errors:
    sys.exit(f"{len(errors)} applies failed, e.g. HTTP {errors[0]}")
