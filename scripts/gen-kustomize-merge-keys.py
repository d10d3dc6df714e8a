#!/usr/bin/env python3
"""Generate src/render/patch/kustomize-merge-keys.txt: which lists kustomize
(v5.5, kyaml's merge2) merges by key when it applies a strategic merge patch.

kustomize does not use the API server's current schema for this: kyaml embeds
the OpenAPI document of Kubernetes v1.21.2 (as a gzipped gnostic protobuf in
`kyaml/openapi/kubernetesapi/v1_21_2/swagger.go`). Only the kinds that document
describes get typed merging, and only fields with `x-kubernetes-patch-strategy`
containing `merge` are merged by key (the keys being `x-kubernetes-list-map-keys`
when present, else `x-kubernetes-patch-merge-key`, else none: a list of scalars).

    # in a clone of github.com/kubernetes-sigs/kustomize:
    git show kustomize/v5.5.0:kyaml/openapi/kubernetesapi/v1_21_2/swagger.go > /tmp/swagger.go
    python3 scripts/gen-kustomize-merge-keys.py /tmp/swagger.go > src/render/patch/kustomize-merge-keys.txt

Format (one item per line; only types from which a merging list is reachable):
    kind <apiVersion> <Kind> <type>          (`-`: a kind whose lists are all replaced)
    type <name>
     <field> <texpr>                         a field below which something merges
     - <field> <field> ...                   the type's other fields
texpr: ref:<type> | map:<texpr>
     | merge:<k1>,<k2>:<texpr> (merged by those keys) | merge::<texpr> (merged as a set)
     (`-` for an item type below which nothing merges)
"""
import ast
import gzip
import re
import sys


def varint(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def fields(b):
    """Decodes one protobuf message into (field number, value) pairs."""
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        f, t = k >> 3, k & 7
        if t == 0:
            v, i = varint(b, i)
        elif t == 2:
            n, i = varint(b, i)
            v, i = b[i : i + n], i + n
        elif t == 1:
            v, i = b[i : i + 8], i + 8
        elif t == 5:
            v, i = b[i : i + 4], i + 4
        else:
            raise ValueError(f"wire type {t}")
        out.append((f, v))
    return out


def get(msg, num):
    return [v for f, v in msg if f == num]


# gnostic openapi_v2 field numbers
DOC_DEFINITIONS = 9
NAMED_NAME, NAMED_VALUE = 1, 2
S_REF, S_ADDITIONAL, S_TYPE, S_ITEMS, S_PROPERTIES, S_EXTENSION = 1, 21, 22, 23, 25, 31


def named(msg):
    """A map message (repeated NamedX in field 1) as a dict."""
    out = {}
    for entry in get(msg, 1):
        e = fields(entry)
        out[get(e, NAMED_NAME)[0].decode()] = get(e, NAMED_VALUE)[0]
    return out


def extensions(schema):
    out = {}
    for ext in get(schema, S_EXTENSION):
        e = fields(ext)
        name = get(e, NAMED_NAME)[0].decode()
        anyv = fields(get(e, NAMED_VALUE)[0])
        out[name] = get(anyv, 2)[0].decode().strip() if get(anyv, 2) else ""
    return out


def yaml_list(text):
    """The items of a YAML block or flow list of plain strings."""
    text = text.strip()
    if text.startswith("["):
        return [x.strip() for x in text.strip("[]").split(",") if x.strip()]
    return [line.strip()[2:].strip() for line in text.splitlines() if line.strip().startswith("- ")]


def load(path):
    src = open(path, encoding="utf-8").read()
    lit = re.search(r'SwaggerPb = \[\]byte\((".*?")\)\n', src, re.S).group(1)
    data = gzip.decompress(ast.literal_eval("b" + lit))
    doc = fields(data)
    return {k: fields(v) for k, v in named(fields(get(doc, DOC_DEFINITIONS)[0])).items()}


def texpr(schema, defs):
    """The type expression of an inline schema, or None when nothing merges below it."""
    refs = get(schema, S_REF)
    if refs:
        name = refs[0].decode().rsplit("/", 1)[-1]
        return f"ref:{name}" if name in defs else None
    types = [fields(t) for t in get(schema, S_TYPE)]
    tnames = [v.decode() for t in types for v in get(t, 1)]
    if tnames == ["array"]:
        items = get(schema, S_ITEMS)
        inner = None
        if items:
            inner_schemas = get(fields(items[0]), 1)
            if inner_schemas:
                inner = texpr(fields(inner_schemas[0]), defs)
        ext = extensions(schema)
        strategy = ext.get("x-kubernetes-patch-strategy", "")
        if "merge" in strategy.split(","):
            if "x-kubernetes-list-map-keys" in ext:
                keys = yaml_list(ext["x-kubernetes-list-map-keys"])
            elif "x-kubernetes-patch-merge-key" in ext:
                keys = [ext["x-kubernetes-patch-merge-key"].strip()]
            else:
                keys = []
            return f"merge:{','.join(keys)}:{inner or '-'}"
        return None  # replaced as a whole: nothing below it is ever merged
    add = get(schema, S_ADDITIONAL)
    if add:
        a = fields(add[0])
        if get(a, 1):
            inner = texpr(fields(get(a, 1)[0]), defs)
            return f"map:{inner}" if inner else None
    return None


def main():
    defs = load(sys.argv[1])
    # Least fixed point: the types from which a merging list is reachable.
    keep = set()
    while True:
        table = {}
        for name in sorted(defs):
            props_msg = get(defs[name], S_PROPERTIES)
            props = named(fields(props_msg[0])) if props_msg else {}
            out, other = [], []
            for field, sch in sorted(props.items()):
                t = texpr(fields(sch), keep)
                if t:
                    out.append((field, t))
                else:
                    other.append(field)
            if out:
                table[name] = (out, other)
        if set(table) == keep:
            break
        keep = set(table)
    print("# Generated by scripts/gen-kustomize-merge-keys.py from kyaml's embedded Kubernetes v1.21.2 OpenAPI. Do not edit.")
    kinds = []
    for name, schema in defs.items():
        gvks = extensions(schema).get("x-kubernetes-group-version-kind")
        if not gvks:
            continue
        for block in re.split(r"^- ", gvks, flags=re.M):
            kv = dict(
                (k.strip(), v.strip().strip('"'))
                for k, v in (line.split(":", 1) for line in block.splitlines() if ":" in line)
            )
            if "kind" not in kv:
                continue
            api = f"{kv['group']}/{kv['version']}" if kv.get("group") else kv["version"]
            kinds.append((api, kv["kind"], name))
    for api, kind, name in sorted(kinds):
        print(f"kind {api} {kind} {name if name in table else '-'}")
    for name, (out, other) in table.items():
        print(f"type {name}")
        for field, t in out:
            print(f" {field} {t}")
        if other:
            print(" - " + " ".join(other))


main()
