"""The course as a website (``dcgan-lessons book``): bad --out folders and notebooks without outputs are refused
in one line; the real build, served on localhost, is opened page by page in headless Chromium, which finds every
internal link's target, every image loaded, the math typeset by the site's own MathJax, and each notebook's
figures and widget stills on its page."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from dcgan_lessons.book import MARKER, WIDGET_VIEW, build
from dcgan_lessons.cli import main
from dcgan_lessons.exercises import BEGIN_HIDDEN, BEGIN_SOLUTION
from dcgan_lessons.handouts import student_version
from dcgan_lessons.notebooks import series

import nbformat
import pytest

from tests.conftest import ROOT
from tests.test_browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS, require, wait_for, webdriver

NOTEBOOKS = series(ROOT / "notebooks")


def run_book(out, capsys) -> tuple[int, str]:
    code = main(["book", "--out", str(out)])
    return code, capsys.readouterr().err.strip()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project's book configuration and notebooks, as the current folder."""
    shutil.copytree(ROOT / "docs" / "book", tmp_path / "docs" / "book")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_notebook_without_outputs_is_refused(project, capsys):
    path = project / "notebooks" / NOTEBOOKS[2].name
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        cell.pop("outputs", None) if cell["cell_type"] != "code" else cell.update(outputs=[], execution_count=None)
    path.write_text(json.dumps(notebook))
    code, err = run_book("site", capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert f"notebooks/{path.name} has no outputs" in err and "dcgan-lessons notebooks" in err
    assert not (project / "site").exists()


@pytest.mark.parametrize("kind", ["file", "foreign folder", "under a file"])
def test_a_bad_out_gets_one_line(project, capsys, kind):
    (project / "notes.txt").write_text("a teacher's file")
    out = {"file": "notes.txt", "foreign folder": ".", "under a file": "notes.txt/site"}[kind]
    code, err = run_book(out, capsys)
    assert code == 2 and len(err.splitlines()) == 1, err
    expected = {"file": "is a file", "foreign folder": "other files in it", "under a file": "is a file, not a folder"}
    assert expected[kind] in err
    assert (project / "notes.txt").read_text() == "a teacher's file"


def test_an_unwritable_out_gets_one_line(project, capsys):
    if os.geteuid() == 0:
        pytest.skip("root may write into any folder")
    locked = project / "locked"
    locked.mkdir(mode=0o500)
    code, err = run_book(locked / "site", capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "permission denied" in err


# --- The real build ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("myst_nb", reason="the book's tools are the [book] extra")
    out = tmp_path_factory.mktemp("book") / "site"
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        build(out, project=ROOT)
    assert "warning" not in printed.getvalue(), printed.getvalue()  # e.g. a broken reference or a missing image
    return out


def shown_outputs(path: Path) -> list[dict]:
    """The committed outputs that the students' site shows: all but those of the exercises' solution and check
    cells."""
    cells = json.loads(path.read_text())["cells"]
    exercise = (BEGIN_SOLUTION, BEGIN_HIDDEN)
    shown = [c for c in cells if c["cell_type"] == "code" and not any(m in "".join(c["source"]) for m in exercise)]
    return [o.get("data", {}) for c in shown for o in c["outputs"]]


def image_outputs(path: Path) -> int:
    """The pictures a notebook page must show: image outputs, and one still for each widget."""
    return sum(1 for data in shown_outputs(path) if WIDGET_VIEW in data or any(m.startswith("image/") for m in data))


TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$", re.M)  # a Markdown table's |---|---| line


def tables(path: Path) -> int:
    """The tables a notebook page must show: in its Markdown cells and in its outputs (HTML first, as myst-nb)."""
    cells = json.loads(path.read_text())["cells"]
    text = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    shown = [t for t in text if BEGIN_SOLUTION not in t]
    for data in shown_outputs(path):
        html = "".join(data.get("text/html", ""))
        shown += ["<table>" * html.count("<table")] if html else ["".join(data.get("text/markdown", ""))]
    return sum(len(TABLE_RULE.findall(t)) + t.count("<table>") for t in shown)


@pytest.mark.slow
def test_the_build_has_every_notebook_and_reaches_no_network(site):
    for path in NOTEBOOKS:
        html = (site / "notebooks" / f"{path.stem}.html").read_text()
        assert f'<a href="{path.name}" download>' in html
        assert html.count("<table") == tables(path), f"{path.stem}: its tables"
        code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code" and c["source"]]
        assert len(re.findall(r'<details class="[^"]*\bhide above-input"', html)) == len(code), "every code cell folds"
    assert (site / MARKER).is_file()
    assert (site / "index.html").read_text().count("<table") == 1, "the landing page has the README's series table"
    for page in site.rglob("*.html"):
        html = page.read_text()
        external = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="((?:https?:)?//[^"]*)"', html)
        assert not external, f"{page.name} loads {external}"
    api = (site / "api.html").read_text()
    assert 'id="dcgan_lessons.games.train_ring_gan"' in api and "dcgan_lessons.claims" not in api
    widgets = {path.stem: sum(WIDGET_VIEW in data for data in shown_outputs(path)) for path in NOTEBOOKS}
    assert sum(widgets.values()) > 0
    for stem, count in widgets.items():
        html = (site / "notebooks" / f"{stem}.html").read_text()
        assert html.count("A still frame of an interactive widget") == count, stem


@pytest.mark.slow
def test_the_students_site_hides_the_solutions(site):
    pages = "".join((site / "notebooks" / f"{path.stem}.html").read_text() for path in NOTEBOOKS)
    assert "YOUR CODE HERE" in pages and "BEGIN SOLUTION" not in pages and "BEGIN HIDDEN" not in pages
    for path in NOTEBOOKS:  # the download is the students' version, as `dcgan-lessons assign` writes it
        students = student_version(nbformat.read(path, as_version=4), path.name)
        downloaded = nbformat.read(site / "notebooks" / path.name, as_version=4)
        assert [c.source for c in downloaded.cells] == [c.source for c in students.cells]


# --- In Chromium ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site):
    """The site on a free localhost port, as a web server would publish it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    require(webdriver is not None, "selenium is not installed")
    require(CHROMIUM.exists() and CHROMEDRIVER.exists(), f"{CHROMIUM} or {CHROMEDRIVER} is missing")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


PAGE = """
const inside = (e) => e.closest('.cell_output') !== null;
return {
  links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
  images: Array.from(document.querySelectorAll('img')).map((i) => ({
    src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0, output: inside(i)})),
  math: document.querySelectorAll('.math').length,
  typeset: document.querySelectorAll('.math mjx-container, mjx-container.MathJax').length,
  errors: document.querySelectorAll('mjx-merror').length,
};
"""


def anchors(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text()))


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_in_chromium(site, served, chromium):
    pages = sorted(site.rglob("*.html"))
    math_pages = 0
    for page in pages:
        url = urljoin(served, page.relative_to(site).as_posix())
        chromium.get(url)
        seen = wait_for(lambda: _typeset(chromium.execute_script(PAGE)), timeout=30)
        assert seen, f"{page.name}: MathJax did not typeset every formula: {chromium.execute_script(PAGE)}"
        for image in seen["images"]:
            assert image["loaded"], f"{page.name}: the image {image['src']} is missing"
        for link in seen["links"]:
            parts = urlsplit(link)
            if not link.startswith(served):
                assert parts.scheme in ("http", "https", "mailto"), f"{page.name} links {link}"
                continue
            target = site / unquote(parts.path.removeprefix(urlsplit(served).path))
            target = target / "index.html" if target.is_dir() else target
            assert target.is_file(), f"{page.name} links {link}, which is not in the site"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in anchors(target), f"{page.name} links {link}, which has no such anchor"
        math_pages += seen["math"] > 0
        if page.parent.name == "notebooks":
            notebook = ROOT / "notebooks" / f"{page.stem}.ipynb"
            shown = [i for i in seen["images"] if i["output"]]
            assert len(shown) == image_outputs(notebook), f"{page.name}: {len(shown)} figures shown"
    assert math_pages >= len(NOTEBOOKS) // 2, "the math of the notebooks is not on their pages"


def _typeset(found: dict) -> dict | None:
    """The page's state once MathJax has typeset all of its formulas (or at once, on a page without any)."""
    return found if found["typeset"] >= found["math"] and not found["errors"] else None


@pytest.mark.slow
def test_the_teachers_site_replaces_the_students(site):
    """Runs last: it rebuilds the module's site in place, with --solutions."""
    (site / "stale.html").write_text("old")
    build(site, project=ROOT, solutions=True)
    assert not (site / "stale.html").exists()
    pages = "".join((site / "notebooks" / f"{path.stem}.html").read_text() for path in NOTEBOOKS)
    assert "BEGIN SOLUTION" in pages and "YOUR CODE HERE" not in pages
    for path in NOTEBOOKS:
        assert (site / "notebooks" / path.name).read_bytes() == path.read_bytes()  # the download: as committed
