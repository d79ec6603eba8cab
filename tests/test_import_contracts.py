"""The import-linter contracts in pyproject.toml: kept by the code, and able to fail."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.contracts.protected import ProtectedContract

ROOT = Path(__file__).resolve().parents[1]


def _contract(contract_id: str) -> ProtectedContract:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [options] = [c for c in config["contracts"] if c.get("id") == contract_id]
    return ProtectedContract(
        name=options["name"],
        session_options={"root_packages": [config["root_package"]]},
        contract_options={k: v for k, v in options.items() if k not in {"id", "name", "type"}},
    )


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("gongzhi", cache_dir=None)


def test_every_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run([str(lint)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scope_queries_contract_is_kept(graph):
    # A contract's check removes its ignored imports from the graph: each check gets a copy.
    assert _contract("scope-queries").check(copy.deepcopy(graph), verbose=False).kept


def test_an_app_building_scope_queries_breaks_the_contract(graph):
    graph = copy.deepcopy(graph)
    graph.add_import(
        importer="gongzhi.registry.selectors",
        imported="gongzhi.core.scope_queries",
        line_number=1,
        line_contents="from gongzhi.core.scope_queries import q_within",
    )
    check = _contract("scope-queries").check(graph, verbose=False)
    assert not check.kept
    [broken] = check.metadata["illegal_imports"]
    assert [link["importer"] for link in broken.illegal_links] == ["gongzhi.registry.selectors"]
