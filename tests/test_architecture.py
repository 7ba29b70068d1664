"""The rooms and doors of docs/architecture.md, checked on the source: which package may import which,
and that nothing below the CLIs receives the absl flags object."""
import ast
import os

import pytest

from run_utils import registry
from tests.conftest import ROOT

PROJECT = ("fileio", "data_utils", "mdn", "run_utils", "web", "pretrained", *registry.PACKAGES)
# room -> the project packages its modules may import (itself always)
ALLOWED = {
    "fileio": set(),
    "data_utils": {"fileio"},
    "mdn": set(),
    "run_utils": {"fileio", "data_utils"},
    "web": {"fileio", "data_utils", "run_utils"},
    **{model: {"fileio", "data_utils", "mdn", "run_utils"} for model in registry.PACKAGES},
}


def imports(package):
    """(module file, imported top-level project package, at module top?) of every import in a package."""
    for folder, _, files in os.walk(os.path.join(ROOT, package)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            tree = ast.parse(open(path, encoding="utf-8").read())
            top = {id(node) for node in tree.body}
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for imported in names:
                    root = imported.split(".")[0]
                    if root in PROJECT and root != package:
                        yield os.path.relpath(path, ROOT), root, id(node) in top


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_room_imports_only_what_its_rules_allow(package):
    bad = [(path, root) for path, root, _ in imports(package) if root not in ALLOWED[package]]
    assert not bad, f"{package} may import only {sorted(ALLOWED[package])}: {bad}"


def test_nothing_below_the_clis_receives_the_flags_object():
    """No function of run_utils or a model package has a parameter called flags, and none reads
    absl's global FLAGS (run_utils/cli.py, which builds the typed runs, excepted)."""
    offenders = []
    for package in ("run_utils", *registry.PACKAGES):
        for folder, _, files in os.walk(os.path.join(ROOT, package)):
            for name in (n for n in files if n.endswith(".py")):
                path = os.path.join(folder, name)
                if path.endswith(os.path.join("run_utils", "cli.py")):
                    continue
                tree = ast.parse(open(path, encoding="utf-8").read())
                for node in ast.walk(tree):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        if any(a.arg == "flags" for a in node.args.args + node.args.kwonlyargs):
                            offenders.append(f"{os.path.relpath(path, ROOT)}:{node.name}")
                    if isinstance(node, ast.Attribute) and node.attr == "FLAGS":
                        offenders.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} FLAGS")
    assert not offenders, offenders


def test_the_tests_do_not_stand_in_for_flags_with_namespaces():
    folder = os.path.join(ROOT, "tests")
    users = [n for n in os.listdir(folder) if n.endswith(".py") and n != os.path.basename(__file__)
             and "SimpleNamespace" in open(os.path.join(folder, n), encoding="utf-8").read()]
    assert not users, users
