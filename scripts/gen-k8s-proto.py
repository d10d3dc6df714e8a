#!/usr/bin/env python3
"""Generate src/schema/k8s-proto.txt, the table of Kubernetes protobuf message
types that src/schema/protobuf.rs embeds to decode request bodies sent as
`application/vnd.kubernetes.protobuf` (what kubectl's typed clients send).

Input: the sources of k8s.io/api and k8s.io/apimachinery for one Kubernetes
release, either as checked-out directories or as git directories plus a ref.
Each `generated.proto` gives the messages, field numbers and wire types; the
Go `types.go` beside it gives what the proto file does not record: the JSON
name of each field (`json:"..."` tag; it differs from the proto name for
embedded `,inline` structs and a few fields such as `Name`/`aPIGroup`/`uID`),
`omitempty`, whether the Go field is a pointer, and the Go declaration order
(the order of keys in Go's JSON); `register.go` gives each group's name and
kinds.

For Kubernetes 1.33 (the version the emulator reports):

    git clone --bare https://github.com/kubernetes/api /tmp/k8s-api.git
    git clone --bare https://github.com/kubernetes/apimachinery /tmp/k8s-apimachinery.git
    python3 scripts/gen-k8s-proto.py --ref v0.33.13 \\
        /tmp/k8s-api.git /tmp/k8s-apimachinery.git > src/schema/k8s-proto.txt

(without --ref, the two paths are read as checked-out trees). Only GA
group-versions of k8s.io/api are kept (no alpha/beta), plus the apimachinery
packages they use. Never commit the sources themselves; the table is data.

Format (one item per line, `#` starts a comment line):
    gv <apiVersion> <proto package> <Kind>...   the kinds of a group-version (`*`: kinds every
                                                group-version has, e.g. DeleteOptions)
    msg <full proto name> [<special>]           a message type
     <number> <json> <type> [<flags>]           one of its fields, in Go order
<json> is the JSON key, or `~` for an embedded struct whose fields are inlined.
<type> is a scalar (string int32 int64 bool bytes), a message name (without a
dot: in the same package as the msg line), `[]T` (repeated) or `{K}V` (map).
<flags>: `*` the Go field is a pointer (absent = nil), `o` json omitempty.
<special> names a type whose JSON form is custom: time, microtime, duration,
quantity, intorstring, rawextension, fieldsv1, unknown (the envelope), list
(a Go named slice such as Verbs: its JSON is the array of its field 1).
"""
import argparse
import os
import re
import subprocess
import sys

SPECIALS = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "microtime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "duration",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "fieldsv1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "quantity",
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": "quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "rawextension",
    "k8s.io.apimachinery.pkg.runtime.Unknown": "unknown",
}
# Kept whole even though no GA kind reaches every message (options, Status, List).
APIMACHINERY_PKGS = [
    "pkg/apis/meta/v1",
    "pkg/runtime",
    "pkg/api/resource",
    "pkg/util/intstr",
]
SCALARS = {"string", "int32", "int64", "bool", "bytes"}


class Source:
    """A source tree: a directory, or a git directory at a ref."""

    def __init__(self, path, ref):
        self.path, self.ref = path, ref

    def files(self):
        if self.ref is None:
            out = []
            for root, _, names in os.walk(self.path):
                for n in names:
                    out.append(os.path.relpath(os.path.join(root, n), self.path))
            return out
        res = subprocess.run(["git", "--git-dir", self.path, "ls-tree", "-r", "--name-only", self.ref],
                             check=True, capture_output=True, text=True)
        return res.stdout.split("\n")

    def read(self, rel):
        if self.ref is None:
            with open(os.path.join(self.path, rel), encoding="utf-8") as f:
                return f.read()
        res = subprocess.run(["git", "--git-dir", self.path, "show", f"{self.ref}:{rel}"],
                             check=True, capture_output=True, text=True)
        return res.stdout


def parse_proto(text):
    """Returns (package, {message: [(number, proto name, type expr)]}) in file order."""
    package = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    messages = {}
    current = None
    for raw in text.split("\n"):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"message (\w+) \{$", line)
        if m:
            current = m.group(1)
            messages[current] = []
            continue
        if line == "}":
            current = None
            continue
        if current is None:
            continue
        m = re.match(r"(optional|repeated|required) ([\w.]+) (\w+) = (\d+);$", line)
        if m:
            card, typ, name, num = m.groups()
            texpr = type_name(typ, package)
            if card == "repeated":
                texpr = "[]" + texpr
            messages[current].append((int(num), name, texpr))
            continue
        m = re.match(r"map<(\w+), ([\w.]+)> (\w+) = (\d+);$", line)
        if m:
            k, v, name, num = m.groups()
            messages[current].append((int(num), name, "{%s}%s" % (k, type_name(v, package))))
            continue
        raise SystemExit(f"unparsed proto line in {package}.{current}: {raw!r}")
    return package, messages


def type_name(typ, package):
    if typ in SCALARS:
        return typ
    if typ.startswith("."):
        return typ[1:]
    if "." in typ:
        raise SystemExit(f"relative qualified type {typ} in {package}")
    return package + "." + typ


def parse_go(texts):
    """Returns ({struct: [(go name or None, go type, tag dict)]}, {named slice types}, {type: other package's type})."""
    structs, slices, aliases = {}, set(), {}
    for text in texts:
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            m = re.match(r"type (\w+) struct ?\{\}$", line)
            if m:
                structs[m.group(1)] = []
                continue
            m = re.match(r"type (\w+) struct \{$", line)
            if m:
                name = m.group(1)
                fields = []
                while i < len(lines) and lines[i] != "}":
                    f = lines[i].strip()
                    i += 1
                    if not f or f.startswith("//") or "`" not in f:
                        continue
                    head, tag = f.split("`", 1)
                    tag = tag.rsplit("`", 1)[0]
                    parts = head.split()
                    if len(parts) == 1:
                        goname, gotype = None, parts[0]
                    elif len(parts) == 2:
                        goname, gotype = parts
                    else:
                        raise SystemExit(f"unparsed Go field in {name}: {f!r}")
                    tags = dict(re.findall(r'(\w+):"([^"]*)"', tag))
                    fields.append((goname, gotype, tags))
                structs[name] = fields
                continue
            m = re.match(r"type (\w+) \w+\.(\w+)$", line)
            if m:
                aliases[m.group(1)] = m.group(2)
            m = re.match(r"type (\w+) \[\]", line)
            if m:
                slices.add(m.group(1))
    return structs, slices, aliases


def load_package(src, dirpath, files, loaded):
    proto_text = src.read(f"{dirpath}/generated.proto")
    package, messages = parse_proto(proto_text)
    go_files = [f for f in files if os.path.dirname(f) == dirpath and f.endswith(".go")
                and not f.endswith("_test.go") and not os.path.basename(f).startswith(("zz_generated", "generated."))]
    structs, slices, aliases = parse_go([src.read(f) for f in go_files])
    # The group and its kinds: what register.go adds to the scheme (kinds without a proto message, such as
    # Table, are left out).
    group, kinds, every_gv = None, [], []
    if f"{dirpath}/register.go" in files:
        reg = src.read(f"{dirpath}/register.go")
        m = re.search(r'^const GroupName = "([^"]*)"', reg, re.M)
        if m:
            group = m.group(1)
            kinds = sorted({k for k in re.findall(r"&(\w+)\{\}", reg) if k in messages})
        m = re.search(r"optionsTypes = \[\]runtime.Object\{(.*?)\n\}", reg, re.S)
        if m:
            # meta/v1: the options types and WatchEvent are registered in every group-version.
            every_gv = sorted(set(re.findall(r"&(\w+)\{", m.group(1))) | {"WatchEvent"})
    out = {}
    for msg, pfields in messages.items():
        full = f"{package}.{msg}"
        special = SPECIALS.get(full)
        if msg in slices:
            special = "list"
            if [f[0] for f in pfields] != [1] or not pfields[0][2].startswith("[]"):
                raise SystemExit(f"{full}: named slice with unexpected fields")
        by_num = {f[0]: f for f in pfields}
        if special is not None:
            # Custom JSON form: the decoder reads these by field number; names are the proto names.
            out[full] = (special, [(num, pname, texpr, "") for num, pname, texpr in pfields])
            continue
        fields = []
        gofields = structs.get(msg)
        if gofields is None and msg in aliases:
            # `type List metav1.List`: a Go type defined as another package's struct.
            target = [n for n in loaded if n.endswith("." + aliases[msg])
                      and sorted(f[0] for f in loaded[n][1]) == sorted(by_num)]
            if len(target) != 1:
                raise SystemExit(f"{full}: cannot resolve Go type {aliases[msg]}")
            out[full] = loaded[target[0]]
            continue
        if gofields is None:
            if special is None:
                raise SystemExit(f"{full}: no Go struct")
            gofields = []
        seen = set()
        for goname, gotype, tags in gofields:
            if tags.get("protobuf", "-") == "-":
                continue
            num = int(tags["protobuf"].split(",")[1])
            if num not in by_num:
                raise SystemExit(f"{full}: Go field {goname} has proto number {num} missing in proto")
            seen.add(num)
            _, pname, texpr = by_num[num]
            jtag = tags.get("json")
            jparts = jtag.split(",") if jtag is not None else [goname]
            jname = jparts[0]
            flags = ""
            if gotype.startswith("*"):
                flags += "*"
            if "omitempty" in jparts[1:]:
                flags += "o"
            if jname == "":
                if goname is not None:
                    raise SystemExit(f"{full}: named field {goname} with empty json name")
                if texpr in SCALARS or texpr.startswith(("[]", "{")) or flags:
                    raise SystemExit(f"{full}: inline field {gotype} is not a plain struct")
                jname = "~"
                flags = ""
            elif jname == "-":
                if special is None:
                    raise SystemExit(f"{full}: field {goname} hidden from JSON")
            fields.append((num, jname, texpr, flags))
        for num, pname, texpr in pfields:
            if num not in seen:
                if special is None:
                    raise SystemExit(f"{full}: proto field {pname} has no Go field")
                fields.append((num, pname, texpr, ""))
        out[full] = (special, fields)
    return package, group, out, kinds, every_gv


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", help="read API and APIMACHINERY as git directories at this ref")
    ap.add_argument("api", help="k8s.io/api source (directory, or git directory with --ref)")
    ap.add_argument("apimachinery", help="k8s.io/apimachinery source (directory, or git directory with --ref)")
    args = ap.parse_args()

    messages = {}
    gvs = []
    for path, prefixes in ((args.apimachinery, APIMACHINERY_PKGS), (args.api, None)):
        src = Source(path, args.ref)
        files = [f for f in src.files() if f]
        fileset = set(files)
        for f in sorted(files):
            if not f.endswith("/generated.proto"):
                continue
            d = os.path.dirname(f)
            if prefixes is not None:
                if d not in prefixes:
                    continue
            elif not re.fullmatch(r"v\d+", os.path.basename(d)):
                continue
            package, group, msgs, kinds, every = load_package(src, d, fileset, messages)
            messages.update(msgs)
            if every:
                gvs.append(("*", package, every))
            if group is not None and kinds:
                version = os.path.basename(d)
                api_version = f"{group}/{version}" if group else version
                gvs.append((api_version, package, sorted(kinds)))

    # Keep only messages reachable from the kinds (and everything in the apimachinery packages).
    keep = set()
    stack = [f"{pkg}.{k}" for _, pkg, ks in gvs for k in ks]
    stack += [m for m in messages if m.startswith("k8s.io.apimachinery.")]
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        if name not in messages:
            raise SystemExit(f"unknown message {name}")
        keep.add(name)
        for _, _, texpr, _ in messages[name][1]:
            base = re.sub(r"^(\[\]|\{\w+\})", "", texpr)
            if base not in SCALARS:
                stack.append(base)

    out = sys.stdout
    version = f" {args.ref}" if args.ref else ""
    out.write("# Generated by scripts/gen-k8s-proto.py from the generated.proto and types.go of "
              f"k8s.io/api and k8s.io/apimachinery{version} (see the script). Do not edit.\n")
    for api_version, package, kinds in sorted(gvs):
        out.write(f"gv {api_version} {package} {' '.join(kinds)}\n")
    for name in sorted(keep):
        special, fields = messages[name]
        pkg = name.rsplit(".", 1)[0]
        out.write(f"msg {name}{' ' + special if special else ''}\n")
        for num, jname, texpr, flags in fields:
            m = re.match(r"^(\[\]|\{\w+\})?(.*)$", texpr)
            prefix, base = m.group(1) or "", m.group(2)
            if base.rsplit(".", 1)[0] == pkg:
                base = base.rsplit(".", 1)[1]
            line = f" {num} {jname} {prefix}{base}"
            if flags:
                line += f" {flags}"
            out.write(line + "\n")


if __name__ == "__main__":
    main()
