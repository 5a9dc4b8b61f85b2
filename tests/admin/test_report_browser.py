"""The HTML report as a browser shows it: headless Chromium renders the demo's report at 1024 px.

The report carries no script of its own, so the test adds one to a copy: it records script errors and
``console.error`` calls, measures the page and each chart, and writes what it found into the DOM, which
``chromium --dump-dom`` prints. No browser driver or extra Python package is needed. Without Chromium the test is
skipped, except on CI (``CI=true``), where it must run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from mentorflow import Mentorflow
from mentorflow.audit.report import render_html
from mentorflow.demo import build_demo
from tests.conftest import FakeClock

WIDTH = 1024
CHARTS = 4
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", (event) => window.__errors.push("error: " + event.message));
const __consoleError = console.error;
console.error = (...args) => { window.__errors.push("console.error: " + args.join(" ")); __consoleError(...args); };
</script>"""

MEASURE = """<script>
(() => {
  const charts = [...document.querySelectorAll("svg")].map((svg) => {
    const box = svg.getBoundingClientRect();
    return {title: svg.querySelector("title").textContent, width: box.width, height: box.height};
  });
  const found = document.createElement("pre");
  found.id = "measured";
  found.textContent = JSON.stringify({
    errors: window.__errors,
    scrollWidth: document.documentElement.scrollWidth,
    charts: charts,
  });
  document.body.appendChild(found);
})();
</script>"""


ON_CI = os.environ.get("CI") == "true"

pytestmark = pytest.mark.skipif(
    BROWSER is None and not ON_CI,
    reason="chromium is not installed: `apt-get install chromium` (or `make test`) to check the report",
)


@pytest.fixture(scope="module")
def browser() -> str:
    """The browser to render with; on CI a missing one fails the test instead of skipping it."""
    if BROWSER is None:
        pytest.fail("chromium is missing on CI: `make test` installs it (apt-get install chromium)")
    return BROWSER


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo program's report, written as the CLI writes it."""
    folder = tmp_path_factory.mktemp("report")
    clock = FakeClock(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))
    mf = Mentorflow(f"sqlite:///{folder / 'demo.db'}", clock=clock)
    mf.upgrade()
    build_demo(mf, clock())
    summary, rows = mf.overview()
    yield render_html(summary, rows, stalled_days=30, title="Mentoring program audit")
    mf.engine.dispose()


def render(browser: str, html: str, folder: Path) -> dict[str, Any]:
    """What the probe found once Chromium loaded ``html`` in a 1024 px window."""
    target = folder / "probed.html"
    target.write_text(html.replace("<head>", "<head>" + PROBE, 1).replace("</body>", MEASURE + "</body>", 1))
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--window-size={WIDTH},800",
        f"--user-data-dir={folder / 'profile'}",
        "--dump-dom",
        target.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"chromium printed no measurements (exit {done.returncode}): {done.stderr[-2000:]}"
    measured: dict[str, Any] = json.loads(unescape(found.group(1)))
    return measured


def test_the_report_renders_without_errors_within_1024_px(browser: str, page: str, tmp_path: Path) -> None:
    """No script error, no console error, no horizontal scroll at 1024 px, and every chart drawn at a real size."""
    measured = render(browser, page, tmp_path)
    assert measured["errors"] == []
    assert measured["scrollWidth"] <= WIDTH
    assert len(measured["charts"]) == CHARTS
    for chart in measured["charts"]:
        assert chart["width"] > 0, chart
        assert chart["height"] > 0, chart
        assert chart["width"] <= WIDTH, chart


def test_the_probe_sees_errors_and_overflow(browser: str, tmp_path: Path) -> None:
    """The check can fail: a console error and a page wider than the window are both reported."""
    wide = '<div style="width:1500px">wide</div><script>console.error("boom")</script>'
    html = f"<!DOCTYPE html><html><head><title>t</title></head><body>{wide}</body></html>"
    measured = render(browser, html, tmp_path)
    assert measured["errors"] == ["console.error: boom"]
    assert measured["scrollWidth"] > WIDTH
    assert measured["charts"] == []
