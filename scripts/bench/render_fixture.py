#!/usr/bin/env python3
"""Writes the render benchmark's input trees under DIR:

  DIR/small/           a base of 6 objects and one overlay (prefix, labels, one patch, images)
  DIR/large/base/      N apps (default 125), each a Deployment, Service, ServiceAccount and ConfigMap (4N objects)
  DIR/large/{dev,staging,prod}/  overlays over the base: namespace, namePrefix, labels, commonAnnotations,
                       a strategic merge patch for every Deployment (by label selector), a JSON 6902 patch,
                       images, replicas, a configMapGenerator and a secretGenerator (hash suffixes followed
                       by every Deployment's envFrom)

Usage: render_fixture.py DIR [N]
"""
import os
import sys

root = sys.argv[1]
apps = int(sys.argv[2]) if len(sys.argv) > 2 else 125


def write(path, text):
    path = os.path.join(root, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def app(name):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
    tier: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      serviceAccountName: {name}
      containers:
      - name: main
        image: registry.example.com/{name}:1.0.0
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: settings
        - secretRef:
            name: credentials
        volumeMounts:
        - name: config
          mountPath: /etc/{name}
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
      volumes:
      - name: config
        configMap:
          name: {name}-config
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  selector:
    app: {name}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
data:
  app.properties: |
    name={name}
    threads=4
  log-level: info
"""


resources = []
for i in range(apps):
    name = f"app-{i:03d}"
    write(f"large/base/{name}.yaml", app(name))
    resources.append(f"- {name}.yaml")
write("large/base/kustomization.yaml", "resources:\n" + "\n".join(resources) + "\n")

for env, replicas in [("dev", 1), ("staging", 2), ("prod", 3)]:
    write(f"large/{env}/settings.env", f"ENVIRONMENT={env}\nLOG_LEVEL=info\nFEATURE_X=true\n")
    write(f"large/{env}/patch-resources.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: any
spec:
  template:
    spec:
      containers:
      - name: main
        resources:
          limits:
            cpu: "{replicas}"
            memory: {replicas * 256}Mi
""")
    write(f"large/{env}/kustomization.yaml", f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {env}
namePrefix: {env}-
resources:
- ../base
labels:
- pairs:
    environment: {env}
  includeSelectors: false
  includeTemplates: true
commonAnnotations:
  owner: platform-team
patches:
- path: patch-resources.yaml
  target:
    kind: Deployment
    labelSelector: tier=web
- target:
    kind: Service
  patch: |-
    - op: add
      path: /metadata/annotations/environment
      value: {env}
images:
- name: registry.example.com/app-000
  newTag: 1.0.{replicas}
replicas:
- name: app-001
  count: {replicas * 2}
configMapGenerator:
- name: settings
  envs:
  - settings.env
secretGenerator:
- name: credentials
  literals:
  - password=not-a-real-{env}-password
""")

write("small/base/kustomization.yaml", "resources:\n- app.yaml\n")
write("small/base/app.yaml", app("web") + "---\n" + app("api").split("---\n", 1)[0])
write("small/overlay/kustomization.yaml", """namePrefix: prod-
commonLabels:
  env: prod
resources:
- ../base
patches:
- target:
    kind: Deployment
    name: web
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
images:
- name: registry.example.com/web
  newTag: 2.0.0
configMapGenerator:
- name: settings
  literals:
  - MODE=prod
secretGenerator:
- name: credentials
  literals:
  - token=not-a-real-token
""")
