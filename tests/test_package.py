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


def test_main_job_reports_on_a_generated_catalog(capsys, tmp_path):
    # python -m skgeoclust: the seismicity report (small grid here; tests/cli has more)
    argv = ["--n-samples", "600", "--n-clusters-true", "4", "--eps", "0.05:0.15:0.05"]
    argv += ["--min-samples", "10,20", "--algorithms", "dbscan", "-o", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (
        out.strip().splitlines()[-1] == f"report: {tmp_path.resolve() / 'index.html'}"
    )
    found = int(re.search(r"chosen: clusters\s+: (\d+)", out).group(1))
    ari = float(re.search(r"ARI vs generated truth\s+: ([0-9.]+)", out).group(1))
    assert found >= 2 and ari > 0.5


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in readme and "test-command" in ci
