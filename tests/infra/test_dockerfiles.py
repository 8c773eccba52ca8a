"""infra/docker: the images cannot be built here (no container engine), so the
Dockerfiles are checked as text: multi-stage, slim non-root final stages, the
ONNX Runtime library in the serving image, the contract's entry points and
ports. checkov's Dockerfile checks run in test_kubernetes.py."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import pytest

from infra_support import DOCKER_DIR, ROOT

STEWARD = DOCKER_DIR / "steward.Dockerfile"
TRAINING = DOCKER_DIR / "training.Dockerfile"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list = field(default_factory=list)  # (KEYWORD, arguments)

    def args(self, keyword: str) -> list:
        return [a for k, a in self.instructions if k == keyword]


def parse(path) -> tuple[dict, list]:
    """Global ARGs and the stages of a Dockerfile, continuation lines joined."""
    logical, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    global_args, stages = {}, []
    for line in logical:
        keyword, _, rest = line.strip().partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            assert match, f"{path}: cannot read FROM {rest}"
            stages.append(Stage(match.group(1), match.group(2)))
        elif not stages:
            assert keyword == "ARG", f"{path}: only ARG may precede the first FROM"
            name, _, default = rest.partition("=")
            global_args[name] = default
        else:
            stages[-1].instructions.append((keyword, rest))
    return global_args, stages


def stage(stages, name) -> Stage:
    (found,) = [s for s in stages if s.name == name]
    return found


def assert_non_root(s: Stage):
    users = s.args("USER")
    assert users, f"stage {s.name} sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"stage {s.name} runs as {user}"


@pytest.fixture(scope="module")
def steward():
    return parse(STEWARD)


@pytest.fixture(scope="module")
def training():
    return parse(TRAINING)


def test_dockerignore_files_sit_next_to_the_dockerfiles():
    for dockerfile in (STEWARD, TRAINING):
        ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
        assert ignore.is_file(), f"{ignore} keeps the repository's build outputs out of the context"
        rules = [l.strip() for l in ignore.read_text().splitlines() if l.strip() and not l.startswith("#")]
        assert rules[0] == "*", f"{ignore}: exclude everything, then re-include what the build needs"
        assert not [r for r in rules if r.startswith("!") and (".steward" in r or ".build" in r)]


def test_steward_image_is_multi_stage_and_slim(steward):
    _, stages = steward
    names = [s.name for s in stages]
    assert len(stages) >= 3 and {"build", "stewardd", "steward-serve"} <= set(names)
    assert stages[-1].name in {"stewardd", "steward-serve"}
    build = stage(stages, "build")
    assert build.base.startswith("swift:"), "the build stage compiles with the Swift toolchain image"
    assert any("--static-swift-stdlib" in run and "-c release" in run for run in build.args("RUN"))
    runtime = stage(stages, "runtime")
    assert runtime.base.endswith("-slim"), "the runtime base must be slim"
    for target in ("stewardd", "steward-serve"):
        s = stage(stages, target)
        assert s.base == "runtime", f"{target} must derive from the slim runtime, not the toolchain"
        assert_non_root(s)
        assert s.args("ENTRYPOINT") == [f'["/app/bin/{target}"]']
        assert s.args("EXPOSE") == ["8080"], "containers listen on 8080 (docs/contracts.md)"
        assert any(a.startswith("--from=build ") for a in s.args("COPY")), f"{target} copies its binary from the build stage"
    useradd = " ".join(runtime.args("RUN"))
    assert "useradd --uid 10001" in useradd, "the pods' runAsUser 10001 must exist in the image"


def test_serving_image_carries_onnx_runtime(steward):
    global_args, stages = steward
    serve = stage(stages, "steward-serve")
    copies = [a for a in serve.args("COPY") if a.startswith("--from=ort-library ")]
    assert copies and copies[0].split()[-1] == "/usr/local/lib/", "steward-serve copies libonnxruntime into /usr/local/lib"
    assert any("libonnxruntime.so.1" in run and "ldconfig" in run for run in serve.args("RUN"))
    library = stage(stages, "ort-library")
    assert any("onnxruntime==${ORT_VERSION}" in run and "libonnxruntime.so.${ORT_VERSION}" in run for run in library.args("RUN"))
    # The image's ONNX Runtime must be the one the code is built and tested against.
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert f"ORT_VERSION={global_args['ORT_VERSION']}\n" in setup, "ORT_VERSION differs from scripts/setup.sh"
    build = stage(stages, "build")
    assert any(a.startswith("--from=ort-headers ") for a in build.args("COPY")), "the build needs the C API headers"
    # stewardd does not link ONNX Runtime and does not carry it.
    assert not [a for a in stage(stages, "stewardd").args("COPY") if "ort-" in a]


def test_schema_migrations_ship_with_stewardd(steward):
    _, stages = steward
    build = " ".join(stage(stages, "build").args("RUN"))
    assert "*.resources" in build and "/out/stewardd/" in build, "SwiftPM resource bundles must sit next to stewardd"
    assert stage(stages, "stewardd").args("COPY") == ["--from=build /out/stewardd/ /app/bin/"]


def test_training_image(training):
    _, stages = training
    assert len(stages) >= 2
    final = stages[-1]
    assert_non_root(final)
    assert final.args("WORKDIR") == ["/app/training"]
    assert shlex.split(final.args("ENTRYPOINT")[0].strip("[]").replace(",", " ")) == ["python", "-m", "steward_training.entrypoint"]
    deps = stage(stages, "deps")
    assert any("training/requirements.txt" in c for c in deps.args("COPY")), "dependencies come from training/requirements.txt"
    assert any("/app/training/" in c and c.startswith("training/") for c in final.args("COPY"))
    env = " ".join(final.args("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "/usr/local/nvidia/lib64" in env
    # The base model baked in is where the Job template points STEWARD_BASE_MODEL.
    template = (ROOT / "infra/k8s/base/training/job-template.yaml").read_text()
    model_dir = re.search(r"STEWARD_BASE_MODEL=(\S+)", env).group(1)
    assert f"value: {model_dir}\n" in template
    assert any(c.endswith(f" {model_dir}") for c in final.args("COPY"))
    # The "tiny" configuration finds its vocabulary at $STEWARD_ASSETS/minilm/vocab.txt.
    assets = re.search(r"STEWARD_ASSETS=(\S+)", env).group(1)
    assert model_dir == f"{assets}/minilm"
