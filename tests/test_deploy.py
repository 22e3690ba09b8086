"""The deployment files, checked without Docker or a cluster: both Dockerfiles parsed, the snippets they run at build
and health-check time run here, and the Kubernetes manifests validated against the API schemas bundled in
kubernetes-validate (offline) and against each other, the images and the service's settings.

What this cannot show (no Docker engine, no GPU, no cluster here) is listed in docs/deploy.md.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath

import kubernetes_validate
import onnxruntime
import pytest
import yaml
from kubernetes_validate.utils import all_versions
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from service.operator import router as operator_router
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEFAULT_PORT = Settings.model_fields["port"].default
SERVICE_GET_PATHS = {route.path for route in operator_router.routes if "GET" in getattr(route, "methods", ())}
ORT_FLAVOURS = {"onnxruntime", "onnxruntime-gpu"}

# The CPU pod's resident memory, its processes' peaks added up, measured at the pod's settings (two workers, one
# card each on one thread) with 4032 and 8000 px photos among the requests (docs/deploy.md, "Memory per worker").
MEASURED_PEAK_RSS_MIB = 1368
MEASURED_WORKERS = 2
# One CUDA worker's resident memory, the CUDA and cuDNN libraries included: 8 workers and their parent held
# 25,593 MiB at 32 clients on an H100's host, batches padded to 8 or 32 rows (docs/benchmarks.md, "On a GPU").
MEASURED_GPU_PEAK_RSS_MIB = 3199
MEMORY_HEADROOM = 1.25


# ---------------------------------------------------------------------------------------------------- Dockerfiles


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str]:
        assert self.args.startswith("["), f"line {self.line}: {self.keyword} should use the exec (JSON) form"
        return json.loads(self.args)


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their arguments, continuation lines joined. Comment lines inside a continued instruction
    are dropped, as Docker does."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        keyword, _, args = " ".join([*pending, line]).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    assert not pending, "the last instruction ends with a line continuation"
    return instructions


def shell_commands(script: str) -> list[list[str]]:
    """A RUN line's simple commands: `a && b; c | d` -> [a, b, c, d], each split into words."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in ("&&", "||", ";", "|", "&"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


@dataclass(frozen=True)
class PipStep:
    action: str  # install | uninstall
    targets: tuple[str, ...]  # requirement strings, or "." (with extras) for the project


# Options of `pip install` / `pip uninstall` that take the next word as their value.
_PIP_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
                      "--root", "--upgrade-strategy", "--platform", "--python-version", "--implementation", "--abi"}


def pip_step(command: list[str]) -> PipStep | None:
    words = command[2:] if command[:2] in (["python", "-m"], ["python3", "-m"]) else command
    if not words or PurePosixPath(words[0]).name not in ("pip", "pip3") or len(words) < 2:
        return None
    action, rest = words[1], words[2:]
    if action not in ("install", "uninstall"):
        return None
    targets, skip = [], False
    for word in rest:
        if skip:
            skip = False
        elif word in ("-r", "--requirement", "-c", "--constraint"):
            pytest.fail(f"`{' '.join(command)}`: this test cannot see inside requirement files; name packages")
        elif word in ("-e", "--editable"):
            continue  # its value is the project, counted below
        elif word in _PIP_VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            targets.append(word)
    return PipStep(action, tuple(targets))


def is_project(target: str) -> bool:
    return target in (".", "./") or target.startswith(".[")


def project_extras(target: str) -> list[str]:
    return target[target.index("[") + 1 : -1].split(",") if "[" in target else []


def declared_requirements() -> dict[str, list[Requirement]]:
    """Every dependency pyproject.toml declares, by canonical name: the main list and every extra."""
    declared: dict[str, list[Requirement]] = {}
    lists = [PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"].values()]
    for requirement in (Requirement(text) for group in lists for text in group):
        declared.setdefault(canonicalize_name(requirement.name), []).append(requirement)
    return declared


def project_dependency_names(extras: list[str]) -> set[str]:
    groups = [PYPROJECT["project"]["dependencies"]] + [PYPROJECT["project"]["optional-dependencies"][e] for e in extras]
    return {canonicalize_name(Requirement(text).name) for group in groups for text in group}


@dataclass
class Image:
    name: str
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert len(found) == 1, f"{self.name}: expected one {keyword}, found {len(found)}"
        return found[0]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            words = shlex.split(instruction.args)
            if "=" not in words[0]:  # the legacy `ENV KEY value with spaces` form
                values[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                key, _, value = word.partition("=")
                values[key] = value
        return values

    def commands(self) -> list[list[str]]:
        """Every simple command of every RUN, in build order."""
        return [command for run in self.all("RUN") for command in shell_commands(run.args)]

    def pip_steps(self) -> list[PipStep]:
        return [step for step in map(pip_step, self.commands()) if step is not None]

    def build_snippets(self, marker: str) -> list[tuple[int, str]]:
        """(position among the commands, code) of every `python -c CODE` at build time whose code holds marker."""
        return [(index, command[2]) for index, command in enumerate(self.commands())
                if command[0] in ("python", "python3") and command[1:2] == ["-c"] and marker in command[2]]

    def project_install_index(self) -> int:
        installs = [index for index, command in enumerate(self.commands())
                    if (step := pip_step(command)) and step.action == "install" and any(map(is_project, step.targets))]
        assert installs, f"{self.name}: no `pip install .`: the image must install the project, so its pins apply"
        return installs[-1]


def load_image(filename: str) -> Image:
    return Image(filename, parse_dockerfile((ROOT / filename).read_text(encoding="utf-8")))


CPU_IMAGE = load_image("Dockerfile")
GPU_IMAGE = load_image("Dockerfile.gpu")
IMAGES = pytest.mark.parametrize("image", [CPU_IMAGE, GPU_IMAGE], ids=lambda image: image.name)


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_parser_joins_continuations_and_drops_comments() -> None:
    parsed = parse_dockerfile('FROM a\n# note\nRUN one \\\n  # inside\n  && two\nCMD ["x", "y"]\n')
    assert [(i.keyword, i.args, i.line) for i in parsed] == [
        ("FROM", "a", 1), ("RUN", "one && two", 3), ("CMD", '["x", "y"]', 6)]
    assert shell_commands('pip install . && pip uninstall -y "a b"; echo') == [
        ["pip", "install", "."], ["pip", "uninstall", "-y", "a b"], ["echo"]]


def test_cpu_base_image_is_a_slim_python_the_project_supports() -> None:
    base = CPU_IMAGE.one("FROM").args
    name, _, tag = base.partition(":")
    assert name == "python" and tag.endswith("-slim"), base
    version = tag.removesuffix("-slim")
    assert version.count(".") == 1, f"{base}: pin the minor version, not just 'python:3'"
    assert Version(version) in Requirement(f"x{PYPROJECT['project']['requires-python']}").specifier


def cuda_major_of_onnxruntime_gpu(version: Version) -> int:
    # From the wheels' metadata on PyPI: their `cuda` extra names CUDA 12 runtime packages from 1.19 to 1.26 and
    # CUDA 13 ones from 1.27; before 1.19 the PyPI build was CUDA 11.8.
    return 11 if version < Version("1.19") else 12 if version < Version("1.27") else 13


def test_gpu_base_image_is_a_pinned_cuda_runtime_with_cudnn_for_the_pinned_onnxruntime() -> None:
    base = GPU_IMAGE.one("FROM").args
    name, _, tag = base.partition(":")
    assert name == "nvidia/cuda", base
    cuda_version, _, flavour = tag.partition("-")
    assert len(Version(cuda_version).release) == 3, f"{base}: pin the full CUDA version"
    # The runtime flavour, not devel (compilers, gigabytes); with cuDNN, which ONNX Runtime's CUDA provider loads.
    assert flavour.startswith("cudnn-runtime-ubuntu"), base
    pins = [Requirement(target) for step in GPU_IMAGE.pip_steps() if step.action == "install"
            for target in step.targets if not is_project(target) and target.startswith("onnxruntime-gpu")]
    assert len(pins) == 1, "Dockerfile.gpu must pin the onnxruntime-gpu it installs"
    ort_version = Version(next(iter(pins[0].specifier)).version)
    assert Version(cuda_version).major == cuda_major_of_onnxruntime_gpu(ort_version), (
        f"onnxruntime-gpu {ort_version} is built for CUDA {cuda_major_of_onnxruntime_gpu(ort_version)}, not {base}")


@IMAGES
def test_runs_as_the_non_root_user_it_creates(image: Image) -> None:
    user = image.all("USER")
    assert user, f"{image.name}: no USER, the service would run as root"
    uid = user[-1].args.split(":")[0]
    assert uid.isdigit(), f"{image.name}: USER {uid}: Kubernetes' runAsNonRoot cannot verify a user name"
    assert uid != "0"
    created = {words[words.index(flag) + 1] for words in image.commands() if words[0] == "useradd"
               for flag in ("--uid", "-u") if flag in words}
    assert uid in created, f"{image.name}: USER {uid} is created by no useradd, so it has no passwd entry or home"
    # Everything after USER runs as that user; the installs must come before it.
    assert all(run.line < user[-1].line for run in image.all("RUN"))


@IMAGES
def test_listens_on_all_interfaces_on_the_default_port(image: Image) -> None:
    env = image.env()
    assert env.get("DLOCR_HOST") == "0.0.0.0", "a container bound to loopback cannot be reached from outside it"
    assert int(env.get("DLOCR_PORT", DEFAULT_PORT)) == DEFAULT_PORT
    assert [int(port.split("/")[0]) for port in image.one("EXPOSE").args.split()] == [DEFAULT_PORT]


@IMAGES
def test_every_dlocr_variable_is_a_setting_with_a_valid_value(image: Image, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_valid_settings(image.name, image.env(), monkeypatch)


@IMAGES
def test_starts_dlocr_serve(image: Image) -> None:
    assert not image.all("ENTRYPOINT"), "an ENTRYPOINT would turn CMD into its arguments"
    assert image.one("CMD").exec_form()[:2] == ["dlocr", "serve"]
    assert PYPROJECT["project"]["scripts"]["dlocr"] == "service.cli:main"


class _Probe(BaseHTTPRequestHandler):
    status = 200
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def probe_server() -> Iterator[tuple[int, type[_Probe]]]:
    handler = type("Probe", (_Probe,), {"paths": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


@IMAGES
def test_healthcheck_asks_health_on_the_configured_port_and_fails_on_errors(
    image: Image, probe_server: tuple[int, type[_Probe]]
) -> None:
    port, handler = probe_server
    options, _, command = image.one("HEALTHCHECK").args.partition("CMD ")
    assert command, f"{image.name}: HEALTHCHECK without CMD"
    words = json.loads(command) if command.startswith("[") else shlex.split(command)
    assert words[:2] == ["python", "-c"], words
    env = {"DLOCR_PORT": str(port)}

    assert run_python(words[2], env).returncode == 0
    assert handler.paths == ["/health"]
    handler.status = 503
    assert run_python(words[2], env).returncode != 0, "a 503 from /health must mark the container unhealthy"

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        env["DLOCR_PORT"] = str(unused.getsockname()[1])
    assert run_python(words[2], env).returncode != 0, "nothing listening must mark the container unhealthy"
    assert "--timeout=" in options and "--start-period=" in options


@IMAGES
def test_copies_every_package_the_install_builds(image: Image) -> None:
    sources = [word for copy in image.all("COPY") for word in copy.args.split()[:-1] if not word.startswith("--")]
    copied = {PurePosixPath(word).as_posix() for word in sources}
    assert "pyproject.toml" in copied
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    included = [pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
    wanted = {package for package in packages if any(package.startswith(prefix) for prefix in included)}
    assert wanted and wanted <= copied, f"{image.name} does not copy {sorted(wanted - copied)}"


def test_files_the_service_reads_are_package_data() -> None:
    """The images install the project as a wheel (`pip install .`, not editable), which carries Python files only
    unless pyproject.toml names the others."""
    patterns = PYPROJECT["tool"]["setuptools"].get("package-data", {})
    missing = []
    for init in ROOT.glob("*/__init__.py"):
        package = init.parent
        for path in package.rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc", ".md") or "__pycache__" in path.parts:
                continue
            relative = PurePosixPath(path.relative_to(package).as_posix())
            if not any(relative.match(p) for p in patterns.get(package.name, []) + patterns.get("*", [])):
                missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not in [tool.setuptools.package-data], so not in the image: {missing}"


@IMAGES
def test_installs_the_project_and_only_pinned_declared_packages_besides(image: Image) -> None:
    image.project_install_index()
    declared = declared_requirements()
    for step in image.pip_steps():
        if step.action != "install":
            continue
        for target in step.targets:
            if is_project(target):
                extras = set(project_extras(target))
                assert extras <= set(PYPROJECT["project"]["optional-dependencies"]), target
                continue
            requirement = Requirement(target)
            name = canonicalize_name(requirement.name)
            if name == "pip":
                continue  # the installer itself
            assert name in declared, f"{image.name} installs {target}, which pyproject.toml does not declare"
            pins = [s for s in requirement.specifier if s.operator == "=="]
            assert len(pins) == 1, f"{image.name}: {target} is not pinned to one version"
            for wanted in declared[name]:
                assert wanted.specifier.contains(pins[0].version, prereleases=True), (
                    f"{image.name} pins {target}, outside pyproject.toml's {wanted}")


def onnxruntime_flavours(image: Image) -> set[str]:
    """Which ONNX Runtime packages the pip steps leave installed. Both write the same `onnxruntime` package, so
    once both are in, no uninstall leaves a working one: each must go before the other comes."""
    installed: set[str] = set()
    for step in image.pip_steps():
        names: set[str] = set()
        for target in step.targets:
            names |= (project_dependency_names(project_extras(target)) if is_project(target)
                      else {canonicalize_name(Requirement(target).name)})
        touched = names & ORT_FLAVOURS
        if not touched:
            continue
        if step.action == "uninstall":
            installed -= touched
            continue
        others = installed - touched
        assert len(touched) == 1 and not others, f"{image.name} installs {sorted(touched)} with {sorted(others)}"
        installed |= touched
    return installed


def test_cpu_image_has_the_cpu_onnxruntime_only() -> None:
    assert onnxruntime_flavours(CPU_IMAGE) == {"onnxruntime"}
    assert CPU_IMAGE.env().get("DLOCR_DEVICE", "auto") in ("auto", "cpu")


def test_gpu_image_swaps_onnxruntime_for_onnxruntime_gpu() -> None:
    assert onnxruntime_flavours(GPU_IMAGE) == {"onnxruntime-gpu"}
    assert GPU_IMAGE.env()["DLOCR_DEVICE"] == "cuda", "auto would fall back to the CPU when CUDA fails to load"


def test_the_flavour_check_catches_a_clash() -> None:
    clash = Image("clash", parse_dockerfile("FROM x\nRUN pip install . && pip install onnxruntime-gpu==1.26.0\n"))
    with pytest.raises(AssertionError, match=r"installs \['onnxruntime-gpu'\] with \['onnxruntime'\]"):
        onnxruntime_flavours(clash)
    both = Image("both", parse_dockerfile("FROM x\nRUN pip install '.[gpu]'\n"))
    with pytest.raises(AssertionError, match=r"installs \['onnxruntime', 'onnxruntime-gpu'\]"):
        onnxruntime_flavours(both)


def test_gpu_build_refuses_an_onnxruntime_without_the_cuda_provider() -> None:
    """The GPU build asserts the CUDA provider is there; here, with the CPU package, that assertion must fail."""
    snippets = GPU_IMAGE.build_snippets("CUDAExecutionProvider")
    assert snippets, "Dockerfile.gpu does not check which ONNX Runtime it ended with"
    assert snippets[0][0] > max(i for i, c in enumerate(GPU_IMAGE.commands()) if pip_step(c))
    assert "CUDAExecutionProvider" not in onnxruntime.get_available_providers(), "this test needs the CPU package"
    assert run_python(snippets[0][1]).returncode != 0


@IMAGES
def test_weights_are_checked_at_build_after_the_install(image: Image) -> None:
    snippets = image.build_snippets("verified_path")
    assert snippets, f"{image.name} does not check the weights' sha256 at build"
    index, code = snippets[-1]
    assert index > image.project_install_index()
    # The same code, here: it fails if the manifest's names change under the Dockerfile, or a weight is wrong.
    result = run_python(code)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------------- Kubernetes


def manifests() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                found[f"{path.name}:{document['kind']}/{document['metadata']['name']}"] = document
    return found


MANIFESTS = manifests()
# The oldest and the newest Kubernetes whose schemas kubernetes-validate carries.
K8S_VERSIONS = [all_versions()[0], all_versions()[-1]]


def by_file(filename: str) -> dict:
    found = [document for key, document in MANIFESTS.items() if key.startswith(f"{filename}:")]
    assert len(found) == 1, f"{filename}: expected one object, found {len(found)}"
    return found[0]


CPU_DEPLOYMENT = by_file("deployment.yaml")
GPU_DEPLOYMENT = by_file("deployment-gpu.yaml")
DEPLOYMENTS = pytest.mark.parametrize(
    "deployment, image", [(CPU_DEPLOYMENT, CPU_IMAGE), (GPU_DEPLOYMENT, GPU_IMAGE)], ids=["cpu", "gpu"])


def container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def pod_labels(deployment: dict) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def env_of(deployment: dict) -> dict[str, dict]:
    return {variable["name"]: variable for variable in container(deployment).get("env", [])}


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity.removesuffix(unit)) * factor
    return float(quantity) / 2**20


def cores(quantity: str) -> float:
    return float(quantity.removesuffix("m")) / 1000 if quantity.endswith("m") else float(quantity)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """kubernetes-validate must use the schemas it bundles: any connection attempt fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the schema validation tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_manifests_are_the_expected_objects() -> None:
    kinds = sorted((key.split(":")[0], document["apiVersion"], document["kind"]) for key, document in MANIFESTS.items())
    assert kinds == [
        ("deployment-gpu.yaml", "apps/v1", "Deployment"),
        ("deployment.yaml", "apps/v1", "Deployment"),
        ("hpa.yaml", "autoscaling/v2", "HorizontalPodAutoscaler"),
        ("pdb.yaml", "policy/v1", "PodDisruptionBudget"),
        ("service.yaml", "v1", "Service"),
    ]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("key", list(MANIFESTS))
def test_manifest_matches_the_kubernetes_schema(key: str, version: str, no_network: None) -> None:
    # strict: a misspelt field (`readinesProbe`) is an error, not silently dropped by the API server.
    kubernetes_validate.validate(MANIFESTS[key], version, strict=True)


def test_the_validator_rejects_a_broken_deployment(no_network: None) -> None:
    broken = yaml.safe_load(yaml.safe_dump(CPU_DEPLOYMENT))
    container(broken)["readinesProbe"] = container(broken).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(CPU_DEPLOYMENT))
    container(broken)["ports"][0]["containerPort"] = "http"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


@DEPLOYMENTS
def test_deployment_selects_its_own_pods_only(deployment: dict, image: Image) -> None:
    own = deployment["spec"]["selector"]["matchLabels"]
    assert selects(own, pod_labels(deployment))
    other = GPU_DEPLOYMENT if deployment is CPU_DEPLOYMENT else CPU_DEPLOYMENT
    assert not selects(own, pod_labels(other)), "two Deployments selecting the same pods fight over them"


@DEPLOYMENTS
def test_container_port_and_probes_agree_with_the_image(deployment: dict, image: Image) -> None:
    spec = container(deployment)
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    exposed = int(image.one("EXPOSE").args.split("/")[0])
    assert list(ports.values()) == [exposed]
    assert int(env_of(deployment).get("DLOCR_PORT", {"value": exposed})["value"]) == exposed
    for probe, path in (("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        assert probe in spec, f"{deployment['metadata']['name']} has no {probe}"
        get = spec[probe]["httpGet"]
        assert get["path"] == path and path in SERVICE_GET_PATHS
        assert ports.get(get["port"], get["port"]) == exposed, f"{probe} knocks on {get['port']}"


@DEPLOYMENTS
def test_environment_is_valid_settings_with_tokens_from_a_secret(
    deployment: dict, image: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_of(deployment)
    assert env["DLOCR_HOST"]["value"] == "0.0.0.0"
    tokens = env["DLOCR_AUTH_TOKENS"]
    assert "value" not in tokens and tokens["valueFrom"]["secretKeyRef"]["name"], "tokens belong in a Secret"
    values = {name: variable["value"] for name, variable in env.items() if "value" in variable}
    assert_valid_settings(deployment["metadata"]["name"], {**image.env(), **values}, monkeypatch)


def assert_valid_settings(where: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every DLOCR_* variable names a setting (pydantic-settings ignores a misspelt one) and parses."""
    for name, value in env.items():
        if name.startswith("DLOCR_"):
            assert name.removeprefix("DLOCR_").lower() in Settings.model_fields, f"{where}: {name} is not a setting"
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", "a-token")
    Settings()


@DEPLOYMENTS
def test_pod_runs_as_the_images_user_without_privileges(deployment: dict, image: Image) -> None:
    pod = deployment["spec"]["template"]["spec"]
    spec = container(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == image.all("USER")[-1].args.split(":")[0]
    security = spec["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    # With a read-only root, /tmp must be a volume: prometheus-client's multiprocess files and tempfile go there.
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in spec["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


@DEPLOYMENTS
def test_image_is_a_fixed_tag(deployment: dict, image: Image) -> None:
    reference = container(deployment)["image"]
    assert ":" in reference.rsplit("/", 1)[-1] and not reference.endswith(":latest"), reference


def test_gpu_deployment_asks_for_one_gpu_and_the_gpu_image() -> None:
    spec = container(GPU_DEPLOYMENT)
    assert spec["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert env_of(GPU_DEPLOYMENT)["DLOCR_DEVICE"]["value"] == "cuda"
    assert spec["image"] != container(CPU_DEPLOYMENT)["image"]
    assert "nvidia.com/gpu" not in container(CPU_DEPLOYMENT)["resources"]["limits"]


def test_cpu_resources_are_sized_from_the_measurements() -> None:
    resources = container(CPU_DEPLOYMENT)["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[kind]), f"{kind} must give cpu and memory"
    limit_mib = mebibytes(resources["limits"]["memory"])
    assert limit_mib >= MEASURED_PEAK_RSS_MIB * MEMORY_HEADROOM, f"{limit_mib} MiB: under the measured peak + headroom"
    # Guaranteed QoS: the last pods a node under memory pressure evicts.
    assert resources["requests"] == resources["limits"]
    # ONNX Runtime and the concurrency limit default to the node's core count, not the pod's CPU limit.
    env = env_of(CPU_DEPLOYMENT)
    cpu_limit = cores(resources["limits"]["cpu"])
    workers = int(env["DLOCR_WORKERS"]["value"])
    threads = workers * int(env["DLOCR_INTRA_OP_THREADS"]["value"]) * int(env["DLOCR_MAX_CONCURRENCY"]["value"])
    assert 1 <= threads <= cpu_limit, f"{threads} inference threads on {cpu_limit} cores wait for each other"
    assert workers == MEASURED_WORKERS, "the memory above was measured with this many workers"


def test_gpu_memory_limit_is_sized_from_the_measurement() -> None:
    resources = container(GPU_DEPLOYMENT)["resources"]
    limit_mib = mebibytes(resources["limits"]["memory"])
    assert limit_mib >= MEASURED_GPU_PEAK_RSS_MIB * MEMORY_HEADROOM, f"{limit_mib} MiB: under the measured peak"
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    assert int(env_of(GPU_DEPLOYMENT)["DLOCR_WORKERS"]["value"]) == 1, "the memory above is one worker's"


def test_service_routes_to_both_deployments_on_their_http_port() -> None:
    service = by_file("service.yaml")
    selector = service["spec"]["selector"]
    for deployment in (CPU_DEPLOYMENT, GPU_DEPLOYMENT):
        assert selects(selector, pod_labels(deployment)), f"the Service misses {deployment['metadata']['name']}"
        names = {port["name"] for port in container(deployment)["ports"]}
        numbers = {port["containerPort"] for port in container(deployment)["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in names | numbers


def test_hpa_scales_the_cpu_deployment_on_cpu() -> None:
    hpa = by_file("hpa.yaml")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment",
                                                                      CPU_DEPLOYMENT["metadata"]["name"])
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"] == ["cpu"]
    assert "replicas" not in CPU_DEPLOYMENT["spec"], "every `kubectl apply` would reset the HPA's replica count"
    assert "cpu" in container(CPU_DEPLOYMENT)["resources"]["requests"], "utilisation is measured against it"


def test_pdb_covers_the_autoscaled_pods_and_leaves_one_up() -> None:
    pdb = by_file("pdb.yaml")
    assert selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(CPU_DEPLOYMENT))
    assert not selects(pdb["spec"]["selector"]["matchLabels"], pod_labels(GPU_DEPLOYMENT))
    unavailable = pdb["spec"]["maxUnavailable"]
    assert isinstance(unavailable, int) and by_file("hpa.yaml")["spec"]["minReplicas"] - unavailable >= 1
