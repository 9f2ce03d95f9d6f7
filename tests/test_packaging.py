"""What `pip install .` ships: every app, and a declared dependency behind every import.

An app missing from pyproject.toml's wheel packages, or a module the server imports that only
a test tool happens to pull in, works in a checkout and breaks an operator's install.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SDK_PYPROJECT = tomllib.loads((ROOT / "sdk" / "pyproject.toml").read_text())
WHEEL_PACKAGES = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
SERVER_PACKAGES = [name for name in WHEEL_PACKAGES if (ROOT / name).is_dir()]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(lock: str) -> set[str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {_normalize(m) for m in re.findall(r"^([A-Za-z0-9][\w.-]*)==", text, re.M)}


def _declared(requirements: list[str]) -> set[str]:
    return {_normalize(re.match(r"[A-Za-z0-9][\w.-]*", r).group(0)) for r in requirements}


def _third_party_imports(package: str) -> set[str]:
    """Top-level modules imported anywhere in ``package`` that are neither stdlib nor ours."""
    ours = set(WHEEL_PACKAGES)
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ours:
                    found.add(top)
    return found


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    installed = packages_distributions()
    return {module: {_normalize(d) for d in installed.get(module, [])} for module in modules}


def test_every_installed_app_is_in_the_wheel():
    from django.conf import settings

    local = {app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    assert local <= set(WHEEL_PACKAGES), "add the app to pyproject.toml's wheel packages"


@pytest.mark.parametrize("package", SERVER_PACKAGES)
def test_what_the_server_imports_is_a_declared_runtime_dependency(package):
    declared = _declared(PYPROJECT["project"]["dependencies"])
    locked = _locked("runtime.txt")
    for module, dists in _distributions(_third_party_imports(package)).items():
        assert dists, f"{package} imports {module}, which no installed distribution provides"
        assert dists & locked, f"{package} imports {module} ({dists}): not in the runtime lock"
        assert dists & declared, f"{package} imports {module}: declare it in pyproject.toml"


def test_the_sdk_needs_neither_django_nor_the_server():
    modules = _third_party_imports("recognize_sdk")
    declared = _declared(SDK_PYPROJECT["project"]["dependencies"])
    declared |= _declared(SDK_PYPROJECT["project"]["optional-dependencies"]["face"])
    for module, dists in _distributions(modules).items():
        assert dists & declared, f"recognize_sdk imports {module}: declare it in sdk/pyproject"
    assert not {"django", "rest_framework", "celery"} & modules


def test_the_dev_lock_pins_the_runtime_lock_versions():
    def pins(lock: str) -> dict[str, str]:
        text = (ROOT / "requirements" / lock).read_text()
        return {
            _normalize(n): v for n, v in re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", text, re.M)
        }

    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime
