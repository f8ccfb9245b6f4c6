"""Package level: version, show_versions, the demo and the CI contract."""

import re
from pathlib import Path

import skgeoclust
from skgeoclust.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_string():
    assert re.match(r"^\d+\.\d+\.\d+", skgeoclust.__version__)


def test_show_versions(capsys):
    skgeoclust.show_versions()
    out = capsys.readouterr().out
    assert "numpy" in out and "scikit-learn" in out and "skgeoclust" in out


def test_demo_clusters_a_generated_catalog(capsys):
    assert main(["--n-samples", "600", "--n-clusters", "4"]) == 0
    out = capsys.readouterr().out
    found = int(re.search(r"clusters found\s+: (\d+)", out).group(1))
    ari = float(re.search(r"adjusted Rand idx : ([0-9.]+)", out).group(1))
    assert found == 4 and ari > 0.9


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in readme and "test-command" in ci
