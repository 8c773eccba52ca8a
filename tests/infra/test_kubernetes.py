"""infra/k8s: both overlays render offline, pass kubernetes-validate --strict
(built-in kinds) or a structural check written here (CRDs), pass checkov, and
hold the properties Steward depends on: RBAC, probes, the canary split, the
training Job template, Secrets referenced and never inlined."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from infra_support import (
    JOB_TEMPLATE, K8S_DIR, OVERLAYS, contract_env, env_file, load_yaml_docs, run,
)

# kubernetes-validate bundles schemas for built-in kinds only. The Gateway API,
# GKE and Managed Prometheus CRDs are not bundled and cannot be downloaded
# here, so each kind below has a structural check in this file instead
# (check_<kind>); test_crds_have_structural_checks keeps this list exact.
CRD_KINDS = {
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("networking.gke.io/v1", "HealthCheckPolicy"),
    ("monitoring.googleapis.com/v1", "PodMonitoring"),
}
# Oldest Kubernetes minor the manifests must suit (GKE's regular channel and
# the kubectl here), and the newest schema kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.32", None)

ORCHESTRATOR_RULES = {
    ("batch", "jobs"): {"create", "get", "list", "watch", "delete"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "pods/log"): {"get"},
    ("apps", "deployments"): {"get", "list", "watch", "patch"},
    ("gateway.networking.k8s.io", "httproutes"): {"get", "list", "watch", "patch"},
}


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def container(obj: dict, name: str | None = None) -> dict:
    containers = pod_spec(obj)["containers"]
    if name is None:
        assert len(containers) == 1
        return containers[0]
    (found,) = [c for c in containers if c["name"] == name]
    return found


def env_of(c: dict) -> dict:
    return {e["name"]: e for e in c.get("env", [])}


def selects(selector: dict, labels: dict) -> bool:
    """Label selector semantics for matchLabels and the In operator."""
    if "matchLabels" in selector or "matchExpressions" in selector:
        match_labels = selector.get("matchLabels", {})
        expressions = selector.get("matchExpressions", [])
    else:  # a Service's plain map
        match_labels, expressions = selector, []
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for e in expressions:
        assert e["operator"] == "In", f"selects() handles In only, not {e['operator']}"
        if labels.get(e["key"]) not in e["values"]:
            return False
    return True


# --- rendering and schema validation -------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders(rendered, overlay):
    r = rendered[overlay]
    kinds = {d["kind"] for d in r.docs}
    assert {"Deployment", "Service", "Role", "RoleBinding", "HTTPRoute", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "ServiceAccount"} <= kinds
    namespaced = [d for d in r.docs if d["kind"] != "Namespace"]
    assert all(d["metadata"].get("namespace") == "steward" for d in namespaced)
    # The local-config ConfigMaps that carry Terraform's values never ship.
    assert not [d for d in r.of_kind("ConfigMap") if d["metadata"]["name"] in {"terraform-outputs", "release"}]


def _validate(kubernetes_validate, paths, version):
    cmd = [kubernetes_validate, "--strict"]
    if version:
        cmd += ["--kubernetes-version", version]
    proc = run([*cmd, *paths])
    output = proc.stdout + proc.stderr
    skipped, problems = set(), []
    for line in output.splitlines():
        if line.startswith("INFO") and " passed for resource " in line:
            continue
        match = re.search(r"Couldn't find schema for kind (\S+) with api version (\S+)", line)
        if line.startswith("WARN") and match:
            skipped.add((match.group(2), match.group(1)))
        elif line.strip():
            problems.append(line)
    return proc.returncode, skipped, problems


def test_kubernetes_validate_rejects_unknown_fields(kubernetes_validate, tmp_path):
    # Proves --strict is in force here: a misspelt field must fail.
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], selektor: {a: b}}\n")
    code, _, problems = _validate(kubernetes_validate, [bad], "1.32")
    assert code != 0 and problems


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS, ids=lambda v: v or "latest")
def test_kubernetes_validate_strict(kubernetes_validate, rendered, version):
    paths = [r.path for r in rendered.values()] + [JOB_TEMPLATE]
    code, skipped, problems = _validate(kubernetes_validate, paths, version)
    assert code == 0 and not problems, "kubernetes-validate --strict:\n" + "\n".join(problems)
    assert skipped == CRD_KINDS, (
        f"kinds without a bundled schema changed: {skipped ^ CRD_KINDS}; "
        "each one needs a structural check in this file"
    )


def test_crds_have_structural_checks(rendered):
    for r in rendered.values():
        crds = {(d["apiVersion"], d["kind"]) for d in r.docs if (d["apiVersion"], d["kind"]) in CRD_KINDS}
        assert crds == CRD_KINDS
        for d in r.docs:
            if (d["apiVersion"], d["kind"]) in CRD_KINDS:
                CHECKS[d["kind"]](d, r)


# --- structural checks for the CRDs (Gateway API v1, GKE, Managed Prometheus) ----------


def _keys(obj: dict, allowed: set, where: str):
    unknown = set(obj) - allowed
    assert not unknown, f"{where}: unknown fields {sorted(unknown)}"


def _metadata(obj):
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", obj["metadata"]["name"])
    _keys(obj, {"apiVersion", "kind", "metadata", "spec"}, obj["kind"])


def check_gateway(gw, r):
    _metadata(gw)
    spec = gw["spec"]
    _keys(spec, {"gatewayClassName", "listeners", "addresses", "infrastructure", "backendTLS"}, "Gateway.spec")
    assert isinstance(spec["gatewayClassName"], str) and spec["gatewayClassName"]
    names = set()
    for listener in spec["listeners"]:
        _keys(listener, {"name", "hostname", "port", "protocol", "tls", "allowedRoutes"}, "Gateway listener")
        assert listener["protocol"] in {"HTTP", "HTTPS", "TLS", "TCP", "UDP"}
        assert isinstance(listener["port"], int) and 1 <= listener["port"] <= 65535
        names.add(listener["name"])
    assert len(names) == len(spec["listeners"]), "listener names must be unique"


def check_httproute(route, r):
    _metadata(route)
    spec = route["spec"]
    _keys(spec, {"parentRefs", "hostnames", "rules"}, "HTTPRoute.spec")
    for parent in spec["parentRefs"]:
        _keys(parent, {"group", "kind", "namespace", "name", "sectionName", "port"}, "parentRef")
        gateway = r.get("Gateway", parent["name"])
        if "sectionName" in parent:
            assert parent["sectionName"] in {l["name"] for l in gateway["spec"]["listeners"]}
    assert 1 <= len(spec["rules"]) <= 16
    for rule in spec["rules"]:
        _keys(rule, {"name", "matches", "filters", "backendRefs", "timeouts", "sessionPersistence", "retry"}, "rule")
        for match in rule.get("matches", []):
            _keys(match, {"path", "headers", "queryParams", "method"}, "match")
            if "path" in match:
                assert match["path"]["type"] in {"Exact", "PathPrefix", "RegularExpression"}
                assert match["path"]["value"].startswith("/")
        for ref in rule["backendRefs"]:
            _keys(ref, {"group", "kind", "name", "namespace", "port", "weight", "filters"}, "backendRef")
            assert ref.get("kind", "Service") == "Service" and ref.get("group", "") == ""
            service = r.get("Service", ref["name"])
            assert ref["port"] in {p["port"] for p in service["spec"]["ports"]}, f"{ref['name']} has no port {ref['port']}"
            assert isinstance(ref.get("weight", 1), int) and 0 <= ref.get("weight", 1) <= 1_000_000


def check_healthcheckpolicy(policy, r):
    _metadata(policy)
    spec = policy["spec"]
    _keys(spec, {"default", "targetRef"}, "HealthCheckPolicy.spec")
    target = spec["targetRef"]
    assert target == {"group": "", "kind": "Service", "name": target["name"]}
    service = r.get("Service", target["name"])
    check = spec["default"]["config"]
    assert check["type"] == "HTTP"
    http = check["httpHealthCheck"]
    _keys(http, {"portSpecification", "port", "portName", "host", "requestPath", "response", "proxyHeader"}, "httpHealthCheck")
    # It must probe what the pods behind the Service answer as readiness.
    (deployment,) = [d for d in r.of_kind("Deployment") if selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
    c = container(deployment)
    port = {p["name"]: p["containerPort"] for p in c["ports"]}[c["readinessProbe"]["httpGet"]["port"]]
    assert http["requestPath"] == c["readinessProbe"]["httpGet"]["path"]
    assert http["portSpecification"] == "USE_FIXED_PORT" and http["port"] == port


def check_podmonitoring(monitor, r):
    _metadata(monitor)
    spec = monitor["spec"]
    _keys(spec, {"selector", "endpoints", "targetLabels", "limits", "filterRunning"}, "PodMonitoring.spec")
    scraped = [d for d in r.of_kind("Deployment") if selects(spec["selector"], d["spec"]["template"]["metadata"]["labels"])]
    assert {d["metadata"]["name"] for d in scraped} == {"stewardd", "steward-serve-stable", "steward-serve-canary"}
    for endpoint in spec["endpoints"]:
        assert endpoint["path"] == "/metrics"
        for d in scraped:
            assert endpoint["port"] in {p["name"] for p in container(d)["ports"]}


CHECKS = {
    "Gateway": check_gateway,
    "HTTPRoute": check_httproute,
    "HealthCheckPolicy": check_healthcheckpolicy,
    "PodMonitoring": check_podmonitoring,
}


# --- the canary split ---------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_httproute_splits_stable_and_canary(rendered, overlay):
    r = rendered[overlay]
    (route,) = r.of_kind("HTTPRoute")
    (rule,) = route["spec"]["rules"]
    refs = [(b["name"], b["weight"]) for b in rule["backendRefs"]]
    assert refs == [("steward-serve-stable", 100), ("steward-serve-canary", 0)]
    assert sum(w for _, w in refs) == 100
    for track in ("stable", "canary"):
        service = r.get("Service", f"steward-serve-{track}")
        deployment = r.get("Deployment", f"steward-serve-{track}")
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(service["spec"]["selector"], labels)
        other = r.get("Deployment", f"steward-serve-{'canary' if track == 'stable' else 'stable'}")
        assert not selects(service["spec"]["selector"], other["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_serving_deployments(rendered, overlay):
    r = rendered[overlay]
    aliases = {}
    for track in ("stable", "canary"):
        d = r.get("Deployment", f"steward-serve-{track}")
        c = container(d, "steward-serve")
        env = env_of(c)
        assert env["STEWARD_SERVE_TRACK"]["value"] == track
        assert env["STEWARD_MODEL_NAME"]["value"]
        aliases[track] = env["STEWARD_MODEL_ALIAS"]["value"]
        registry = urlparse(env["STEWARD_REGISTRY_URL"]["value"])
        service = r.get("Service", registry.hostname)
        assert registry.port in {p["port"] for p in service["spec"]["ports"]}
        assert selects(service["spec"]["selector"], r.get("Deployment", "stewardd")["spec"]["template"]["metadata"]["labels"])
        assert env["STEWARD_SERVE_PORT"]["value"] == "8080"
        assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": 8080}
        assert c["livenessProbe"]["httpGet"]["path"] == "/health"
        assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert pod_spec(d)["automountServiceAccountToken"] is False
    assert aliases["stable"] != aliases["canary"]
    hpas = r.of_kind("HorizontalPodAutoscaler")
    assert [h["spec"]["scaleTargetRef"]["name"] for h in hpas] == ["steward-serve-stable"]
    assert 1 <= hpas[0]["spec"]["minReplicas"] < hpas[0]["spec"]["maxReplicas"]
    assert "replicas" not in r.get("Deployment", "steward-serve-stable")["spec"], "the HPA owns the stable replica count"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_stewardd_deployment(rendered, overlay):
    r = rendered[overlay]
    d = r.get("Deployment", "stewardd")
    assert d["spec"]["replicas"] == 2
    c = container(d, "stewardd")
    env = env_of(c)
    assert env["STEWARD_HTTP_PORT"]["value"] == "8080"
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": 8080}
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert pod_spec(d)["serviceAccountName"] == "stewardd"
    assert r.get("Service", "stewardd")["spec"]["ports"][0]["port"] == 8080
    pdb = r.get("PodDisruptionBudget", "stewardd")
    assert selects(pdb["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
    # The Job template reaches stewardd through a mounted ConfigMap.
    (mount,) = [m for m in c["volumeMounts"] if m["name"] == "training-job-template"]
    (volume,) = [v for v in pod_spec(d)["volumes"] if v["name"] == "training-job-template"]
    configmap = r.get("ConfigMap", volume["configMap"]["name"])
    key = env["STEWARD_TRAINING_JOB_TEMPLATE"]["value"].removeprefix(mount["mountPath"] + "/")
    assert configmap["data"][key] == JOB_TEMPLATE.read_text()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_hardened(rendered, overlay, job_template):
    workloads = [d for d in rendered[overlay].of_kind("Deployment")] + [job_template]
    for w in workloads:
        name = w["metadata"]["name"]
        pod = pod_spec(w)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 10000, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{name}: {kind}"


# --- RBAC ---------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rbac_is_exactly_what_the_orchestrator_uses(rendered, overlay):
    r = rendered[overlay]
    assert not r.of_kind("ClusterRole") and not r.of_kind("ClusterRoleBinding"), "namespace-scoped RBAC only"
    (role,) = r.of_kind("Role")
    granted = {}
    for rule in role["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, "no resourceNames/nonResourceURLs expected"
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field], f"wildcard in {field}: {rule}"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    assert granted == ORCHESTRATOR_RULES
    assert not any(resource == "leases" for _, resource in granted), "leader election is a Postgres advisory lock"
    (binding,) = r.of_kind("RoleBinding")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "stewardd", "namespace": "steward"}]
    # Only stewardd may call the API at all.
    for sa in r.of_kind("ServiceAccount"):
        if sa["metadata"]["name"] != "stewardd":
            assert sa.get("automountServiceAccountToken") is False, sa["metadata"]["name"]


# --- Secrets --------------------------------------------------------------------------


def test_no_secret_is_inlined_in_sources():
    for path in K8S_DIR.rglob("*.yaml"):
        for doc in load_yaml_docs(path.read_text()):
            assert doc.get("kind") != "Secret", f"{path}: Secrets are created by operators, never committed"
            assert "secretGenerator" not in doc, f"{path}: secretGenerator would inline secret data"


SECRET_NAMES = re.compile(r"(TOKEN|PASSWORD|SECRET|DATABASE_URL|CREDENTIALS|KEY)$")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(rendered, overlay, job_template):
    r = rendered[overlay]
    assert not r.of_kind("Secret")
    referenced = set()
    for w in r.of_kind("Deployment") + [job_template]:
        for c in pod_spec(w)["containers"]:
            for e in c.get("env", []):
                if SECRET_NAMES.search(e["name"]):
                    assert "value" not in e, f"{w['metadata']['name']}: {e['name']} must come from a Secret"
                    referenced.add(e["valueFrom"]["secretKeyRef"]["name"])
    assert referenced == {"steward-database", "steward-serve-token", "steward-training-token"}


# --- the training Job template -------------------------------------------------------------


def test_training_job_template(job_template, tf, rendered):
    job = job_template
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    spec = job["spec"]
    for field in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
        assert isinstance(spec.get(field), int) and spec[field] > 0, field
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    # The entry point exits 2 on a configuration error: no retry can fix that.
    rules = spec["podFailurePolicy"]["rules"]
    assert {"action": "FailJob", "onExitCodes": {"containerName": "train", "operator": "In", "values": [2]}} in rules
    c = container(job, "train")
    assert c["command"] == ["python", "-m", "steward_training.entrypoint"]
    assert c["workingDir"] == "/app/training"
    env = env_of(c)
    contract = contract_env("Training entry point")
    assert contract and contract <= set(env), f"missing training env from docs/contracts.md: {contract - set(env)}"
    assert env["MLFLOW_TRACKING_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "steward-training-token"
    assert c["resources"]["limits"]["nvidia.com/gpu"] in ("1", 1)
    # GPU pool placement must equal what Terraform gives the pool.
    assert pod["nodeSelector"] == tf.local("gpu_node_labels")
    taint = tf.local("gpu_taint")
    effect = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}[taint["effect"]]
    assert {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": effect} in pod["tolerations"]
    assert pod["serviceAccountName"] == tf.local("ksa_training")
    for r in rendered.values():
        r.get("ServiceAccount", pod["serviceAccountName"])
        tracking = urlparse(env["MLFLOW_TRACKING_URI"]["value"])
        assert tracking.port in {p["port"] for p in r.get("Service", tracking.hostname)["spec"]["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cpu_workloads_stay_off_the_gpu_pool(rendered, overlay, tf):
    for d in rendered[overlay].of_kind("Deployment"):
        assert pod_spec(d)["nodeSelector"] == tf.local("cpu_node_labels"), d["metadata"]["name"]
        assert "nvidia.com/gpu" not in str(d), d["metadata"]["name"]


# --- NetworkPolicies and Terraform's values --------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(rendered, overlay, job_template):
    r = rendered[overlay]
    policies = {p["metadata"]["name"]: p for p in r.of_kind("NetworkPolicy")}
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"} and "ingress" not in deny
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in r.of_kind("Deployment")]
    pods.append(job_template["spec"]["template"]["metadata"]["labels"])
    for labels in pods:
        own = [n for n, p in policies.items() if n not in {"default-deny", "allow-dns", "allow-metrics-scrape"}
               and selects(p["spec"]["podSelector"], labels)]
        assert len(own) == 1, f"pods {labels} need exactly one policy of their own, have {own}"
    values = env_file(K8S_DIR / "overlays" / overlay / "terraform.env")
    database = [rule for name in ("stewardd", "steward-serve") for rule in policies[name]["spec"]["egress"]
                if any(p["port"] == 5432 for p in rule["ports"])]
    assert len(database) == 2 and all(rule["to"] == [{"ipBlock": {"cidr": values["DATABASE_CIDR"]}}] for rule in database)
    ingress = policies["steward-serve"]["spec"]["ingress"][0]["from"]
    assert {"ipBlock": {"cidr": values["GATEWAY_PROXY_CIDR"]}} in ingress


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_takes_terraform_and_release_values(rendered, overlay):
    r = rendered[overlay]
    values = env_file(K8S_DIR / "overlays" / overlay / "terraform.env")
    tag = env_file(K8S_DIR / "overlays" / overlay / "release.env")["IMAGE_TAG"]
    stewardd = r.get("Deployment", "stewardd")
    assert container(stewardd)["image"] == f"{values['STEWARDD_IMAGE']}:{tag}"
    assert env_of(container(stewardd))["STEWARD_TRAINING_IMAGE"]["value"] == f"{values['TRAINING_IMAGE']}:{tag}"
    assert env_of(container(stewardd))["STEWARD_ARTIFACT_ROOT"]["value"] == values["ARTIFACT_ROOT"]
    for track in ("stable", "canary"):
        assert container(r.get("Deployment", f"steward-serve-{track}"))["image"] == f"{values['SERVE_IMAGE']}:{tag}"
    annotation = "iam.gke.io/gcp-service-account"
    assert r.get("ServiceAccount", "stewardd")["metadata"]["annotations"][annotation] == values["STEWARDD_GSA"]
    assert r.get("ServiceAccount", "steward-training")["metadata"]["annotations"][annotation] == values["TRAINING_GSA"]
    assert "example-project" not in r.text, "a base placeholder survived the overlay"


# --- checkov --------------------------------------------------------------------------


def test_checkov_manifests_and_dockerfiles(checkov_manifests):
    by_type = {report["check_type"]: report for report in checkov_manifests}
    assert set(by_type) == {"kubernetes", "dockerfile"}
    for check_type, report in by_type.items():
        failed = [f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}" for c in report["results"]["failed_checks"]]
        assert not failed, f"checkov {check_type} failures:\n" + "\n".join(failed)
        assert report["summary"]["parsing_errors"] == 0
        assert report["summary"]["resource_count"] > 0
        for check in report["results"]["skipped_checks"]:
            reason = (check.get("check_result") or {}).get("suppress_comment") or ""
            assert len(reason.strip()) >= 30, f"{check['check_id']} on {check['resource']} skipped without a justification"
