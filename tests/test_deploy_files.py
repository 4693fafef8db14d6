"""The deployment files, checked without Docker (no image registry is reachable from CI, so the
image is never built there): the Dockerfile's steps, compose.yaml's wiring of the proxy and the
replicas, ``haproxy -c`` on deploy/haproxy.cfg, the package built from what the Dockerfile's
builder stage copies, and .dockerignore. tests/e2e/test_team.py runs the same start script and
proxy config as processes."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml  # PyYAML, in the venv through schemathesis (dev extras)

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
PROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
START_CONSOLE = ROOT / "deploy" / "start-console"
HEALTH = "/_stcore/health"
REPLICAS = ("console-a", "console-b", "console-c")
CACHES = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


# --- the Dockerfile ------------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    joined: list[str] = []
    parts: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not parts and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        joined.append(" ".join(p for p in parts if p))
        parts = []
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage (each begins with its FROM)."""
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def copied(stage: list[tuple[str, str]]) -> set[str]:
    """The build-context paths a stage's COPY instructions take (not those --from a stage)."""
    sources: set[str] = set()
    for name, args in stage:
        words = args.split()
        if name != "COPY" or any(w.startswith("--from") for w in words):
            continue
        paths = [w for w in words if not w.startswith("--")]
        sources.update(p.rstrip("/") for p in paths[:-1])
    return sources


def exec_form(args: str) -> list[str]:
    value = ast.literal_eval(args)  # a JSON array of strings is a Python list literal too
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def test_dockerfile_is_multi_stage_with_a_slim_python_base() -> None:
    froms = [args for name, args in instructions() if name == "FROM"]
    assert len(froms) == 2, froms
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE.read_text()
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms), froms


def test_dockerfile_installs_the_package_without_dev_extras_in_the_builder() -> None:
    builder, final = stages()
    runs = [args for name, args in builder if name == "RUN"]
    installs = [r for r in runs if "pip install" in r]
    assert installs == ["/opt/venv/bin/pip install --no-cache-dir ."], runs
    assert not any("[dev]" in args for _, args in instructions())
    assert not any("pip install" in args for name, args in final if name == "RUN")
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final


def test_dockerfile_runs_the_start_script_as_a_non_root_user() -> None:
    final = stages()[-1]
    assert [exec_form(a) for n, a in final if n == "CMD"] == [["deploy/start-console"]]
    assert ("WORKDIR", "/app") in final
    assert ("ENV", "PATH=/opt/venv/bin:$PATH") in [(n, a.split()[0]) for n, a in final]
    users = [args for name, args in final if name == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    # The start script listens on 8501 unless PORT says otherwise; the image does not set it.
    assert '"${PORT:-8501}"' in START_CONSOLE.read_text()
    assert not any(n == "ENV" and "PORT=" in a for n, a in final)
    assert ("EXPOSE", "8501") in final


def test_dockerfile_healthcheck_asks_the_health_endpoint_on_port_8501() -> None:
    final = stages()[-1]
    (check,) = [args for name, args in final if name == "HEALTHCHECK"]
    command = exec_form(check.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"], command
    assert f"http://127.0.0.1:8501{HEALTH}" in command[2]
    assert "urllib.request.urlopen" in command[2]


def test_the_image_holds_what_the_app_reads_at_run_time() -> None:
    final = copied(stages()[-1])
    # app.py, the page scripts, the page icon app.py names, Streamlit's settings, the script.
    needed = {"app.py", "views", "assets", ".streamlit/config.toml", "deploy/start-console"}
    assert needed | local_packages() <= final, final
    assert ".streamlit/secrets.toml" not in final  # mounted at run time, never built in
    assert 'str(Path(__file__).parent / "assets" / "icon.png")' in (ROOT / "app.py").read_text()
    # The default SQLite store and the embedded sandbox write into data/, owned by the user.
    assert any(n == "RUN" and "chown console:console data" in a for n, a in stages()[-1])


# --- the package the builder stage installs ------------------------------------------------


def local_packages() -> set[str]:
    """This repository's top-level packages imported by app.py, views/ or by those packages."""
    found: set[str] = set()
    todo = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py"))]
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top not in found and (ROOT / top / "__init__.py").is_file():
                    found.add(top)
                    todo.extend(p for p in (ROOT / top).rglob("*.py") if CACHES.isdisjoint(p.parts))
    return found


def package_files(package: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / package).rglob("*")
        if p.is_file() and CACHES.isdisjoint(p.parts) and p.suffix != ".pyc"
    }


def builds_wheels(python: str) -> bool:
    """setuptools has built wheels by itself since 70.1; before that it needs ``wheel``."""
    probe = (
        "import importlib.util, setuptools; v = tuple(int(x) for x in "
        "setuptools.__version__.split('.')[:2]); "
        "print(v >= (70, 1) or importlib.util.find_spec('wheel') is not None)"
    )
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() == "True"


def built_files(source: Path, out: Path) -> set[str]:
    """The files `pip install .` puts into site-packages, built offline with the venv's own
    setuptools. With what can build a wheel: `pip wheel --no-build-isolation`, as the image's
    builder does (there with build isolation). Otherwise (Python 3.11's venv brings setuptools
    65 and no ``wheel``): setuptools' build_py, which lays out the same package files a wheel
    zips, from the same [tool.setuptools] configuration."""
    python = sys.executable
    if builds_wheels(python):
        args = [python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        done = subprocess.run(
            [*args, "-w", str(out), "."], cwd=source, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        (wheel,) = out.glob("envoy_support_console-*.whl")
        with zipfile.ZipFile(wheel) as zipped:
            return {n for n in zipped.namelist() if ".dist-info/" not in n}
    (out / "egg").mkdir(parents=True)
    setup = [python, "-W", "ignore", "-c", "import setuptools; setuptools.setup()", "-q"]
    egg_info = ["egg_info", "--egg-base", str(out / "egg")]
    command = [*setup, *egg_info, "build_py", "--build-lib", str(out / "lib")]
    done = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return {p.relative_to(out / "lib").as_posix() for p in (out / "lib").rglob("*") if p.is_file()}


def test_the_builder_stage_copies_enough_to_build_the_package_with_every_file(
    tmp_path: Path,
) -> None:
    """The build runs on a copy of exactly what the builder stage copies, so a package or a
    file the Dockerfile leaves out of it fails here (setuptools would build without it)."""
    source = tmp_path / "src"
    for path in sorted(copied(stages()[0])):
        if (ROOT / path).is_dir():
            ignore = shutil.ignore_patterns(*CACHES, "*.pyc")
            shutil.copytree(ROOT / path, source / path, ignore=ignore)
        else:
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, source / path)
    started = time.monotonic()
    files = built_files(source, tmp_path / "out")
    elapsed = time.monotonic() - started
    packages = local_packages()
    assert {"components", "envoy_api", "envoy_sandbox"} <= packages
    for package in sorted(packages):
        missing = package_files(package) - files
        assert not missing, f"not in the built package: {sorted(missing)}"
    assert "components/store/migrations/script.py.mako" in files
    assert {f for f in files if f.startswith("components/store/migrations/versions/r")}
    assert elapsed < 60, f"building the package took {elapsed:.1f} s"


# --- compose.yaml --------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def proxy_variables() -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", PROXY_CONFIG.read_text()))


def test_compose_has_no_traefik_left() -> None:
    assert "traefik" not in COMPOSE.read_text().lower()


def test_compose_proxy_runs_the_repositorys_haproxy_config() -> None:
    proxy = compose()["services"]["proxy"]
    assert proxy["image"] == "haproxy:2.6"
    assert proxy["volumes"] == ["./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    env = proxy["environment"]
    assert proxy_variables() == {
        "PROXY_BIND",
        "REPLICA_A",
        "REPLICA_B",
        "REPLICA_C",
        "HAPROXY_SOCKET",
    }
    assert proxy_variables() <= set(env), env
    assert [env[f"REPLICA_{r[-1].upper()}"] for r in REPLICAS] == [f"{r}:8501" for r in REPLICAS]
    assert set(proxy["depends_on"]) == set(REPLICAS)


def test_compose_replicas_run_the_image_and_check_its_health_endpoint() -> None:
    services = compose()["services"]
    assert set(services) == {*REPLICAS, "db", "proxy"}  # the sandbox is not deployed
    for name in REPLICAS:
        replica = services[name]
        assert replica["build"] == "."
        assert replica.get("command", ["deploy/start-console"]) == ["deploy/start-console"]
        check = " ".join(replica["healthcheck"]["test"])
        assert f"http://127.0.0.1:8501{HEALTH}" in check
        env = replica["environment"]
        assert "@db:5432/" in env["ENVOY_CONSOLE_DATABASE_URL"]
        assert {"ENVOY_BASE_URL", "ENVOY_API_KEY", "ENVOY_JOB_LEASE_SECONDS"} <= set(env)
        secrets = "./.streamlit/secrets.toml:/app/.streamlit/secrets.toml:ro"
        assert secrets in replica["volumes"]
    assert services["db"]["image"] == "postgres:15"


# --- deploy/haproxy.cfg --------------------------------------------------------------------


def haproxy() -> str:
    """The binary; without one the test skips, or fails under CI (as tests/postgres.py does)."""
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if Path(found).exists():
        return found
    message = "HAProxy is not installed (no haproxy on PATH nor /usr/sbin/haproxy)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("where", ["local", "compose"])
def test_haproxy_accepts_the_config(where: str, tmp_path: Path) -> None:
    """`haproxy -c` on the file as it is, with the environment `make team` gives it (local
    addresses) and compose.yaml's (names a check cannot resolve: servers disabled, still valid)."""
    binary = haproxy()
    if where == "local":
        env = {
            "PROXY_BIND": "127.0.0.1:18080",
            "REPLICA_A": "127.0.0.1:18501",
            "REPLICA_B": "127.0.0.1:18502",
            "REPLICA_C": "127.0.0.1:18503",
            "HAPROXY_SOCKET": str(tmp_path / "haproxy.sock"),
        }
    else:
        env = {k: str(v) for k, v in compose()["services"]["proxy"]["environment"].items()}
    assert proxy_variables() <= set(env)
    done = subprocess.run(
        [binary, "-c", "-f", str(PROXY_CONFIG)],
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# --- .dockerignore -------------------------------------------------------------------------


def test_dockerignore_keeps_local_state_and_tests_out() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = {line.strip().rstrip("/") for line in lines if line.strip()[:1] not in ("", "#")}
    assert {".venv", "data", ".streamlit/secrets.toml", "tests", ".git", ".env"} <= patterns
    # What the Dockerfile copies must stay in the build context.
    every_copy = copied(stages()[0]) | copied(stages()[-1])
    assert not patterns & every_copy, patterns & every_copy
