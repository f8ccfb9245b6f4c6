"""The documentation builds without a warning (Sphinx ``-W``), gallery examples
executed."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "doc"


def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    if not (DOC / "conf.py").exists():
        pytest.skip("doc/ is not part of this installation")
    src = tmp_path / "doc"
    shutil.copytree(
        DOC,
        src,
        ignore=shutil.ignore_patterns(
            "_build", "generated", "auto_examples", "sg_execution_times.rst"
        ),
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-q",
            str(src),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    assert (tmp_path / "html" / "user_guide" / "cli.html").exists()
    assert (tmp_path / "html" / "api.html").exists()
    # Every gallery example ran and drew its figures.
    images = list((src / "auto_examples").glob("*/images/sphx_glr_plot_*_001.png"))
    assert len(images) == len(list((src / "examples").glob("*/plot_*.py")))
