#!/usr/bin/env python3
"""Generate src/schema/k8s-types.txt, the compact table of built-in Kubernetes
types that the schema module embeds (field names and types, list types and
list-map keys, map types, strategic-merge-patch keys and strategies).

Input: the `_definitions.json` of a Kubernetes OpenAPI rendered as JSON Schema,
for example the one shipped in the PyPI package `kubernetes-validate`:

    pip download kubernetes-validate --no-deps -d /tmp/kv
    cd /tmp/kv && unzip -q kubernetes_validate-*.whl
    python3 scripts/gen-k8s-types.py \
        /tmp/kv/kubernetes_validate/kubernetes-json-schema/v1.33.0-local/_definitions.json \
        > src/schema/k8s-types.txt

Only GA group-versions are kept (no alpha/beta), and only the types reachable
from their resource kinds.

Format (one item per line):
    kind <apiVersion> <Kind> <type>          a resource kind and its root type
    type <name> [atomic]                     a struct; `atomic` = x-kubernetes-map-type atomic
     <field> <texpr> [pk=<key>] [ps=<strategy>] [default=<v>]
texpr: string | int | number | bool | intstr | quantity | any | ref:<type>
     | map:<texpr> | amap:<texpr> (atomic map)
     | list:atomic:<texpr> | list:set:<texpr> | list:map=<k1>,<k2>:<texpr>
"""
import json
import re
import sys

# Defaults the JSON Schema rendering omits but structured-merge-diff relies on
# for list-map keys (a port without protocol is keyed as TCP).
KEY_DEFAULTS = {
    ("core.v1.ContainerPort", "protocol"): "TCP",
    ("core.v1.ServicePort", "protocol"): "TCP",
    ("core.v1.EndpointPort", "protocol"): "TCP",
    ("discovery.v1.EndpointPort", "protocol"): "TCP",
}

PRIMS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intstr",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "any",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": "any",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": "any",
}


def short(name):
    for prefix in ("io.k8s.api.", "io.k8s.apimachinery.pkg.apis.", "io.k8s.apiextensions-apiserver.pkg.apis.",
                   "io.k8s.kube-aggregator.pkg.apis."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def main():
    defs = json.load(open(sys.argv[1]))["$defs"]
    out_types = {}
    queue = []

    def prim_of(schema):
        t = schema.get("type")
        if isinstance(t, list):
            t = [x for x in t if x != "null"]
            t = t[0] if t else None
        return {"string": "string", "integer": "int", "number": "number", "boolean": "bool"}.get(t)

    def texpr(schema):
        if "$ref" in schema:
            ref = schema["$ref"].split("/")[-1]
            if ref in PRIMS:
                return PRIMS[ref]
            target = defs[ref]
            if "properties" in target:
                if ref not in out_types and ref not in queue:
                    queue.append(ref)
                return "ref:" + short(ref)
            return texpr(target)
        t = schema.get("type")
        ts = [x for x in t if x != "null"] if isinstance(t, list) else [t]
        if "array" in ts:
            lt = schema.get("x-kubernetes-list-type", "atomic")
            elem = texpr(schema.get("items", {}))
            if lt == "map":
                return "list:map=%s:%s" % (",".join(schema["x-kubernetes-list-map-keys"]), elem)
            return "list:%s:%s" % (lt, elem)
        if "object" in ts:
            if "additionalProperties" in schema:
                kind = "amap" if schema.get("x-kubernetes-map-type") == "atomic" else "map"
                return "%s:%s" % (kind, texpr(schema["additionalProperties"]))
            if "properties" in schema:
                raise SystemExit("inline struct not supported")
            return "any"
        p = prim_of(schema)
        return p or "any"

    roots = []
    for name, t in defs.items():
        for gvk in t.get("x-kubernetes-group-version-kind", []):
            if re.search(r"alpha|beta", gvk["version"]):
                continue
            meta = t.get("properties", {}).get("metadata", {}).get("$ref", "")
            if not meta.endswith("meta.v1.ObjectMeta"):
                continue
            api_version = gvk["version"] if not gvk["group"] else gvk["group"] + "/" + gvk["version"]
            roots.append((api_version, gvk["kind"], name))
            if name not in queue:
                queue.append(name)
    roots.sort()
    while queue:
        name = queue.pop(0)
        t = defs[name]
        lines = []
        for field in sorted(t.get("properties", {})):
            p = t["properties"][field]
            line = " %s %s" % (field, texpr(p))
            if "x-kubernetes-patch-merge-key" in p:
                line += " pk=" + p["x-kubernetes-patch-merge-key"]
            if "x-kubernetes-patch-strategy" in p:
                line += " ps=" + p["x-kubernetes-patch-strategy"]
            if (short(name), field) in KEY_DEFAULTS:
                line += " default=" + KEY_DEFAULTS[(short(name), field)]
            lines.append(line)
        head = "type " + short(name) + (" atomic" if t.get("x-kubernetes-map-type") == "atomic" else "")
        out_types[name] = [head] + lines
    print("# Generated by scripts/gen-k8s-types.py from the Kubernetes OpenAPI (see the script). Do not edit.")
    for api_version, kind, name in roots:
        print("kind %s %s %s" % (api_version, kind, short(name)))
    for name in sorted(out_types):
        print("\n".join(out_types[name]))


main()
