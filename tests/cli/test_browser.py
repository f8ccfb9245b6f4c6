"""The HTML report in a headless Chromium: every figure loads (skipped without one)."""

import re
import shutil
import subprocess

import pytest

from skgeoclust.cli import main

pytest.importorskip("matplotlib")

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Appended to a copy of the page: after load, record the images that failed.
PROBE = """<script>
window.addEventListener("load", () => {
  const bad = [...document.images]
    .filter((i) => !(i.complete && i.naturalWidth > 0))
    .map((i) => i.getAttribute("src"));
  const n = document.images.length;
  const result = bad.length ? "broken:" + bad.join(",") : "ok:" + n;
  document.body.setAttribute("data-check", result);
});
window.addEventListener("error", (e) => {
  document.body.setAttribute("data-js-error", e.message);
});
</script>"""


def _browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on PATH (apt-get install chromium)")


def _check(browser, page):
    probe = page.with_name("_browser_check.html")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    probe.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-js-error="' not in done.stdout
    match = re.search(r'data-check="([^"]*)"', done.stdout)
    assert match is not None, done.stdout[-2000:]
    return match.group(1)


def test_report_opens_in_headless_chromium(tmp_path, capsys):
    browser = _browser()
    argv = ["kmedoids", "--n-samples", "300", "-o", str(tmp_path / "r"), "-q"]
    assert main(argv) == 0
    assert _check(browser, tmp_path / "r" / "index.html") == "ok:2"
    # the check can fail: a missing figure is reported
    (tmp_path / "r" / "cluster_map.png").unlink()
    assert _check(browser, tmp_path / "r" / "index.html") == "broken:cluster_map.png"
