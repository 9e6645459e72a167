#!/usr/bin/env python3
"""Static checks of everything under deploy/: Kubernetes manifests and
kustomizations, the Prometheus-operator monitors, the Grafana dashboard and the
metric names the rules and the dashboard use.

Usage: check_manifests.py [--hostprobe BUILD_DIR/hostprobe]

With --hostprobe, the DaemonSet's args are also handed to the real binary
(`hostprobe ARGS --help` must exit 0), which proves every flag exists and every
value parses. Needs python3-yaml. No cluster, no network. Prints one line per
check and closes with "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
K8S = os.path.join(REPO, "deploy", "kubernetes")
RULES = os.path.join(REPO, "deploy", "prometheus", "hostprobe-rules.yml")
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "hostprobe.json")
METRICS_DOC = os.path.join(REPO, "docs", "metrics.md")

PORT = 9640
IMAGE = "ghcr.io/hostprobe/hostprobe:0.1.0"
# Metrics the rules may use before docs/metrics.md lists them: they are in the
# contract (the process collector, not built yet), and the alert on them is
# marked as such in the rules file.
PENDING_METRICS = {
    "hostprobe_process_memory_leak_suspected",
    "hostprobe_process_memory_growth_bytes_per_second",
    "hostprobe_process_rss_bytes",
}


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
        return ok


def rel(path):
    return os.path.relpath(path, REPO)


def load_yaml_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ---- kustomize, the part we use ---------------------------------------------

def json_patch(obj, ops):
    """RFC 6902 add/replace/remove, enough for our overlays."""
    obj = copy.deepcopy(obj)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = obj
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        key = int(last) if isinstance(parent, list) else last
        if op["op"] in ("replace", "remove") and (key not in parent if isinstance(parent, dict)
                                                   else key >= len(parent)):
            raise KeyError(f"{op['op']} {op['path']}: no such path")
        if op["op"] == "remove":
            del parent[key]
        elif op["op"] in ("add", "replace"):
            parent[key] = op["value"]
        else:
            raise ValueError(f"unsupported op {op['op']}")
    return obj


def build(kdir, c, seen=None):
    """Resources of a kustomization directory with namespace and JSON patches
    applied. Checks as it goes that everything it lists exists."""
    seen = seen or set()
    kfile = os.path.join(kdir, "kustomization.yaml")
    if not c.check(os.path.isfile(kfile), f"{rel(kdir)} has kustomization.yaml"):
        return []
    k = load_yaml_docs(kfile)[0]
    resources = []
    for r in k.get("resources", []):
        path = os.path.normpath(os.path.join(kdir, r))
        if os.path.isdir(path):
            # kustomize refuses a base that contains the overlay (a cycle).
            c.check(not os.path.abspath(kdir).startswith(os.path.abspath(path) + os.sep),
                    f"{rel(kfile)}: base {r} does not contain the overlay")
            resources += build(path, c, seen)
        elif c.check(os.path.isfile(path), f"{rel(kfile)} lists {r}, which exists"):
            for d in load_yaml_docs(path):
                resources.append(d)
    ns = k.get("namespace")
    if ns:
        for r in resources:
            if r.get("kind") not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
                r.setdefault("metadata", {})["namespace"] = ns
    for img in k.get("images", []):
        for r in resources:
            for ctr in pod_spec(r).get("containers", []) if pod_spec(r) else []:
                if ctr["image"].split(":")[0] == img["name"] and "newTag" in img:
                    ctr["image"] = img["name"] + ":" + img["newTag"]
    for p in k.get("patches", []):
        t = p.get("target", {})
        targets = [r for r in resources if r.get("kind") == t.get("kind")
                   and r["metadata"].get("name") == t.get("name")]
        c.check(len(targets) == 1, f"{rel(kfile)}: patch target {t.get('kind')}/{t.get('name')} exists in the base")
        ops = yaml.safe_load(p["patch"]) if "patch" in p else load_yaml_docs(os.path.join(kdir, p["path"]))[0]
        c.check(isinstance(ops, list), f"{rel(kfile)}: patch is a JSON 6902 list")
        for tgt in targets:
            try:
                patched = json_patch(tgt, ops)
                tgt.clear()
                tgt.update(patched)
                c.check(True, f"{rel(kfile)}: patch applies")
            except (KeyError, IndexError, ValueError) as e:
                c.check(False, f"{rel(kfile)}: patch applies", str(e))
    return resources


def pod_spec(r):
    if r.get("kind") in ("DaemonSet", "Deployment", "StatefulSet"):
        return r["spec"]["template"]["spec"]
    return None


def find(resources, kind, name=None):
    return [r for r in resources if r.get("kind") == kind and (name is None or r["metadata"]["name"] == name)]


# ---- checks -------------------------------------------------------------------

def check_yaml_files(c):
    for root, _, files in os.walk(K8S):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, f)
            try:
                docs = load_yaml_docs(path)
            except yaml.YAMLError as e:
                c.check(False, f"{rel(path)} parses", str(e).replace("\n", " "))
                continue
            c.check(bool(docs), f"{rel(path)} parses")
            for d in docs:
                if f == "kustomization.yaml":
                    c.check(d.get("kind") == "Kustomization", f"{rel(path)} is a Kustomization")
                    continue
                c.check(bool(d.get("apiVersion")) and bool(d.get("kind")) and bool(d.get("metadata", {}).get("name")),
                        f"{rel(path)}: {d.get('kind')}/{d.get('metadata', {}).get('name')} has apiVersion, kind, name")


def resolve_port(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def check_base(c, resources, hostprobe):
    ns = find(resources, "Namespace")
    c.check(len(ns) == 1 and ns[0]["metadata"]["name"] == "hostprobe", "base: Namespace hostprobe")
    if ns:
        c.check(ns[0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "privileged",
                "base: namespace allows privileged pod security (hostPID, hostPath, BPF)")
    for r in resources:
        if r["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            c.check(r["metadata"].get("namespace") == "hostprobe", f"base: {r['kind']}/{r['metadata']['name']} in namespace hostprobe")

    ds = find(resources, "DaemonSet", "hostprobe")
    if not c.check(len(ds) == 1, "base: one DaemonSet hostprobe"):
        return
    ds = ds[0]
    spec = ds["spec"]["template"]["spec"]
    labels = ds["spec"]["template"]["metadata"].get("labels", {})
    sel = ds["spec"]["selector"]["matchLabels"]
    c.check(all(labels.get(k) == v for k, v in sel.items()), "DaemonSet: selector matches the pod labels")
    c.check(spec.get("hostPID") is True, "DaemonSet: hostPID true")
    c.check(not spec.get("hostNetwork", False), "DaemonSet: hostNetwork false")
    c.check(spec.get("priorityClassName") == "system-node-critical", "DaemonSet: priorityClassName system-node-critical")
    c.check(any(t.get("operator") == "Exists" and "key" not in t for t in spec.get("tolerations", [])),
            "DaemonSet: tolerates every taint")
    sa = spec.get("serviceAccountName")
    c.check(bool(find(resources, "ServiceAccount", sa)), f"DaemonSet: service account {sa} exists")
    ann = ds["spec"]["template"]["metadata"].get("annotations", {})
    c.check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(PORT)
            and ann.get("prometheus.io/path") == "/metrics", "DaemonSet: prometheus.io scrape annotations")

    ctrs = spec["containers"]
    if not c.check(len(ctrs) == 1, "DaemonSet: one container"):
        return
    ctr = ctrs[0]
    c.check(ctr.get("image") == IMAGE, f"DaemonSet: image {IMAGE}", ctr.get("image"))
    c.check(any(p.get("containerPort") == PORT for p in ctr.get("ports", [])), f"DaemonSet: containerPort {PORT}")
    for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/healthz")):
        hg = ctr.get(probe, {}).get("httpGet", {})
        c.check(hg.get("path") == path and resolve_port(ctr, hg.get("port")) == PORT,
                f"DaemonSet: {probe} on {path}:{PORT}", str(hg))
    res = ctr.get("resources", {})
    for kind in ("requests", "limits"):
        for what in ("cpu", "memory"):
            c.check(what in res.get(kind, {}), f"DaemonSet: resources.{kind}.{what} set")

    sc = ctr.get("securityContext", {})
    c.check(sc.get("privileged") is not True, "DaemonSet: not privileged in the base")
    c.check(sc.get("allowPrivilegeEscalation") is False, "DaemonSet: allowPrivilegeEscalation false")
    c.check(sc.get("readOnlyRootFilesystem") is True, "DaemonSet: readOnlyRootFilesystem")
    caps = sc.get("capabilities", {})
    add = set(caps.get("add", []))
    c.check("ALL" in caps.get("drop", []), "DaemonSet: drops ALL capabilities")
    c.check({"BPF", "PERFMON"} <= add, "DaemonSet: adds BPF and PERFMON", str(sorted(add)))
    c.check(not add & {"SYS_ADMIN", "CAP_SYS_ADMIN", "ALL"}, "DaemonSet: no SYS_ADMIN in the base")
    c.check(all(not a.startswith("CAP_") for a in add), "DaemonSet: capability names without CAP_ prefix")
    c.check(sc.get("seccompProfile", {}).get("type") in ("Unconfined", "RuntimeDefault"),
            "DaemonSet: explicit seccompProfile")

    env = {e["name"]: e for e in ctr.get("env", [])}
    c.check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
            "DaemonSet: NODE_NAME from spec.nodeName")

    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = ctr.get("volumeMounts", [])
    for m in mounts:
        c.check(m["name"] in volumes, f"DaemonSet: volumeMount {m['name']} has a volume")
        if m["name"] == "state":
            # The one writable path: --state-dir, on its own hostPath directory.
            c.check(volumes.get("state", {}).get("hostPath", {}).get("path") == "/var/lib/hostprobe"
                    and m.get("mountPath") == "/var/lib/hostprobe" and not m.get("readOnly"),
                    "DaemonSet: the state volume is /var/lib/hostprobe, writable, at --state-dir's default")
        else:
            c.check(m.get("readOnly") is True, f"DaemonSet: volumeMount {m['name']} read-only")
    for name in volumes:
        c.check(any(m["name"] == name for m in mounts), f"DaemonSet: volume {name} is mounted")
    host = {volumes[m["name"]].get("hostPath", {}).get("path"): m for m in mounts if m["name"] in volumes}
    c.check(host.get("/", {}).get("mountPropagation") == "HostToContainer", "DaemonSet: / mounted with HostToContainer")
    for hp in ("/proc", "/sys/fs/cgroup", "/sys/kernel/btf"):
        c.check(hp in host, f"DaemonSet: host {hp} mounted")
    c.check(not any(p and p.startswith(("/sys/kernel/debug", "/sys/kernel/tracing")) for p in host),
            "DaemonSet: no tracefs/debugfs mount")

    args = ctr.get("args", [])
    flags = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
    c.check(len(flags) == len(args), "DaemonSet: args are --flag=value", str(args))
    c.check(flags.get("listen", "").endswith(f":{PORT}"), f"DaemonSet: --listen on port {PORT}")
    mount_paths = [m["mountPath"] for m in mounts]
    for flag in ("procfs", "rootfs", "cgroup-root"):
        c.check(flag in flags and flags[flag] in mount_paths, f"DaemonSet: --{flag} is a mounted host path",
                flags.get(flag, "missing"))
    if hostprobe:
        p = subprocess.run([hostprobe] + args + ["--help"], capture_output=True, text=True, timeout=30)
        c.check(p.returncode == 0, f"DaemonSet: {rel(hostprobe) if hostprobe.startswith(REPO) else hostprobe} accepts the args",
                (p.stderr or p.stdout).strip().splitlines()[0] if (p.stderr or p.stdout).strip() else f"exit {p.returncode}")
    else:
        print("skip  DaemonSet args against the binary (no --hostprobe given)")

    svc = find(resources, "Service", "hostprobe")
    if c.check(len(svc) == 1, "base: Service hostprobe"):
        s = svc[0]["spec"]
        c.check(s.get("clusterIP") == "None", "Service: headless")
        c.check(all(labels.get(k) == v for k, v in s.get("selector", {}).items()) and s.get("selector"),
                "Service: selector matches the pods")
        c.check(any(p.get("port") == PORT and resolve_port(ctr, p.get("targetPort", p.get("port"))) == PORT
                    for p in s.get("ports", [])), f"Service: port {PORT} reaches the container")

    cr = find(resources, "ClusterRole", "hostprobe")
    if c.check(len(cr) == 1, "base: ClusterRole hostprobe"):
        rules = cr[0].get("rules", [])
        c.check(rules == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
                "ClusterRole: only pods get/list/watch", str(rules))
    crb = find(resources, "ClusterRoleBinding", "hostprobe")
    if c.check(len(crb) == 1, "base: ClusterRoleBinding hostprobe"):
        b = crb[0]
        c.check(b["roleRef"]["kind"] == "ClusterRole" and bool(find(resources, "ClusterRole", b["roleRef"]["name"])),
                "ClusterRoleBinding: role exists")
        c.check(any(s["kind"] == "ServiceAccount" and s["name"] == sa and s.get("namespace") == "hostprobe"
                    for s in b.get("subjects", [])), "ClusterRoleBinding: bound to the service account")
    return ctr


def check_privileged(c, resources):
    ds = find(resources, "DaemonSet", "hostprobe")
    if not c.check(len(ds) == 1, "privileged overlay: DaemonSet hostprobe"):
        return
    spec = ds[0]["spec"]["template"]["spec"]
    sc = spec["containers"][0].get("securityContext", {})
    c.check(sc.get("privileged") is True, "privileged overlay: privileged true")
    c.check(sc.get("allowPrivilegeEscalation") is not False,
            "privileged overlay: allowPrivilegeEscalation not false (the API rejects the pair)")
    c.check("capabilities" not in sc, "privileged overlay: no capability list")
    c.check(spec.get("hostPID") is True, "privileged overlay: rest of the base kept (hostPID)")


def check_monitors(c, base):
    pod_labels = find(base, "DaemonSet", "hostprobe")[0]["spec"]["template"]["metadata"]["labels"]
    ctr = find(base, "DaemonSet", "hostprobe")[0]["spec"]["template"]["spec"]["containers"][0]
    svc = find(base, "Service", "hostprobe")[0]
    mon = os.path.join(K8S, "monitoring")
    # monitoring/ is applied on its own (CRDs may be absent); it must not be in the base.
    base_k = load_yaml_docs(os.path.join(K8S, "kustomization.yaml"))[0]
    c.check("monitoring" not in [os.path.normpath(r) for r in base_k.get("resources", [])],
            "monitoring/ is not in the base kustomization")
    for kind, fname in (("PodMonitor", "podmonitor.yaml"), ("ServiceMonitor", "servicemonitor.yaml")):
        path = os.path.join(mon, fname)
        if not c.check(os.path.isfile(path), f"monitoring/{fname} exists"):
            continue
        d = load_yaml_docs(path)[0]
        c.check(d["kind"] == kind and d["apiVersion"] == "monitoring.coreos.com/v1", f"{fname}: {kind} monitoring.coreos.com/v1")
        c.check(d["metadata"].get("namespace") == "hostprobe", f"{fname}: namespace hostprobe")
        c.check(d["spec"].get("namespaceSelector", {}).get("matchNames") == ["hostprobe"], f"{fname}: namespaceSelector hostprobe")
        sel = d["spec"]["selector"]["matchLabels"]
        target_labels = pod_labels if kind == "PodMonitor" else svc["metadata"]["labels"]
        c.check(all(target_labels.get(k) == v for k, v in sel.items()), f"{fname}: selector matches")
        eps = d["spec"]["podMetricsEndpoints" if kind == "PodMonitor" else "endpoints"]
        for ep in eps:
            if kind == "PodMonitor":
                c.check(resolve_port(ctr, ep.get("port")) == PORT, f"{fname}: port {ep.get('port')} is the container's {PORT}")
            else:
                c.check(any(p.get("name") == ep.get("port") and p.get("port") == PORT for p in svc["spec"]["ports"]),
                        f"{fname}: port {ep.get('port')} is the Service's {PORT}")
            c.check(ep.get("path", "/metrics") == "/metrics", f"{fname}: path /metrics")
            rl = ep.get("relabelings", [])
            c.check(any(r.get("targetLabel") == "job" and r.get("replacement") == "hostprobe" for r in rl),
                    f"{fname}: job relabelled to hostprobe (the rules' job)")
            c.check(any(r.get("targetLabel") == "instance" and r.get("sourceLabels") == ["__meta_kubernetes_pod_node_name"]
                        for r in rl), f"{fname}: instance = node name")


def documented_metrics():
    with open(METRICS_DOC) as f:
        return set(re.findall(r"`((?:hostprobe|process)_[a-z0-9_]+)", f.read()))


METRIC_RE = re.compile(r"\b((?:hostprobe|process)_[a-z0-9_]+|hostprobe:[a-z0-9_:]+)\b")


def base_name(m):
    for suffix in ("_bucket", "_sum", "_count"):
        if m.endswith(suffix) and m[: -len(suffix)] + "_seconds" != m:
            return m[: -len(suffix)]
    return m


def check_metric_names(c, where, exprs, documented, recorded, pending_ok):
    for m in sorted({m for expr in exprs for m in METRIC_RE.findall(expr)}):
        if ":" in m:
            c.check(m in recorded, f"{where}: recording rule {m} exists")
        elif m in documented or base_name(m) in documented:
            c.check(True, f"{where}: {m} is in docs/metrics.md")
        elif pending_ok and m in PENDING_METRICS:
            c.check(True, f"{where}: {m} is pending (contract / collector in progress)")
        else:
            c.check(False, f"{where}: {m} is in docs/metrics.md")


def check_rules(c, documented):
    doc = load_yaml_docs(RULES)[0]
    recorded = {r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r}
    alerts = [r for g in doc["groups"] for r in g["rules"] if "alert" in r]
    exprs = [r["expr"] for g in doc["groups"] for r in g["rules"]]
    check_metric_names(c, "rules", exprs, documented, recorded, pending_ok=True)
    for a in alerts:
        c.check(a.get("labels", {}).get("severity") in ("warning", "critical", "info"), f"rules: {a['alert']} has a severity")
        ann = a.get("annotations", {})
        c.check(bool(ann.get("summary")) and len(ann.get("description", "")) > 200,
                f"rules: {a['alert']} has a summary and a runbook-style description")
    # The PrometheusRule wrapping documented in docs/kubernetes.md
    # (`sed 's/^./  &/'`: every non-empty line indented by two spaces under
    # `spec:`). It must give the same groups.
    with open(RULES) as f:
        wrapped = ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: hostprobe\n"
                   "  namespace: hostprobe\nspec:\n" + "".join("  " + line if line.rstrip("\n") else line for line in f))
    c.check(yaml.safe_load(wrapped)["spec"] == doc, "rules: the PrometheusRule wrapping of docs/kubernetes.md is equivalent")
    return recorded


def dashboard_targets(d):
    for p in d["panels"]:
        for sub in [p] + p.get("panels", []):
            for t in sub.get("targets", []):
                yield sub, t


def check_dashboard(c, documented, recorded):
    try:
        with open(DASHBOARD) as f:
            d = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        c.check(False, "dashboard: valid JSON", str(e))
        return
    c.check(True, "dashboard: valid JSON")
    c.check(d.get("uid") and d.get("title"), "dashboard: uid and title")
    c.check(36 <= d.get("schemaVersion", 0) <= 41, "dashboard: schemaVersion ~38", str(d.get("schemaVersion")))
    vars_ = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    ds = vars_.get("datasource", {})
    c.check(ds.get("type") == "datasource" and ds.get("query") == "prometheus", "dashboard: ${datasource} variable of type prometheus")
    node = vars_.get("node", {})
    c.check(node.get("definition") == "label_values(hostprobe_build_info, instance)", "dashboard: node variable from hostprobe_build_info")
    for name in ("node", "cgroup"):
        v = vars_.get(name, {})
        c.check(v.get("includeAll") and v.get("multi") and v.get("allValue") == ".*", f"dashboard: {name} variable multi, All = .*")
    ids = [p["id"] for p in d["panels"]]
    c.check(len(ids) == len(set(ids)), "dashboard: panel ids unique")
    # Grafana moves overlapping panels on load, away from where rows put them.
    cells, overlaps = {}, []
    for p in d["panels"]:
        g = p.get("gridPos", {})
        if not all(k in g for k in "hwxy"):
            continue
        if g["x"] + g["w"] > 24:
            overlaps.append(f"{p['title']!r} is wider than the 24 columns")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    overlaps.append(f"{p['title']!r} overlaps {cells[(x, y)]!r}")
                    break
                cells[(x, y)] = p["title"]
            else:
                continue
            break
    c.check(not overlaps, "dashboard: panels do not overlap", "; ".join(overlaps))
    exprs = []
    for p in d["panels"]:
        c.check(all(k in p.get("gridPos", {}) for k in "hwxy"), f"dashboard: panel {p['title']!r} has a gridPos")
        if p["type"] not in ("row", "text"):
            c.check(p.get("datasource", {}).get("uid") == "${datasource}", f"dashboard: panel {p['title']!r} uses ${{datasource}}")
            c.check(bool(p.get("targets")), f"dashboard: panel {p['title']!r} has targets")
            refs = [t["refId"] for t in p.get("targets", [])]
            c.check(len(refs) == len(set(refs)), f"dashboard: panel {p['title']!r} refIds unique")
    defined = set(vars_) | {"__rate_interval", "__interval", "__range"}
    for p, t in dashboard_targets(d):
        e = t.get("expr", "")
        exprs.append(e)
        c.check(bool(e.strip()), f"dashboard: {p['title']!r} {t.get('refId')} has an expr")
        used = set(re.findall(r"\$\{?(\w+)", e))
        c.check(used <= defined, f"dashboard: {p['title']!r} uses only defined variables", str(used - defined))
        c.check(not re.search(r'(instance|cgroup)="\$', e), f"dashboard: {p['title']!r} matches variables with =~ (All works)")
        if p["type"] == "heatmap":
            c.check(t.get("format") == "heatmap", f"dashboard: {p['title']!r} target format heatmap")
    check_metric_names(c, "dashboard", exprs, documented, recorded, pending_ok=False)


def check_kubectl(c):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("skip  kubectl kustomize (kubectl not installed; the checks above cover the same ground)")
        return
    for k in ("", "overlays/privileged", "monitoring"):
        path = os.path.join(K8S, k)
        p = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True, timeout=60)
        c.check(p.returncode == 0, f"kubectl kustomize {rel(path)}", p.stderr.strip()[:300])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hostprobe", help="the built sensor binary, to check the DaemonSet args against")
    args = ap.parse_args()
    c = Checker()
    check_yaml_files(c)
    base = build(K8S, c)
    check_base(c, base, args.hostprobe)
    check_privileged(c, build(os.path.join(K8S, "overlays", "privileged"), c))
    check_monitors(c, base)
    build(os.path.join(K8S, "monitoring"), c)
    documented = documented_metrics()
    recorded = check_rules(c, documented)
    check_dashboard(c, documented, recorded)
    check_kubectl(c)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
