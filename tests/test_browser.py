"""The series in a real browser: JupyterLab in headless Chromium runs every notebook top to bottom,
no cell ends in an error, and every widget's controls move its picture.

The test starts its own JupyterLab on a free localhost port, over a temporary copy of the project
(``notebooks/``, ``figures/``, ``reference-run/``, ``conditional-run/``, ``sweeps/``) so that nothing committed is
overwritten, and drives Debian's ``chromium`` through ``chromedriver`` with Selenium. The kernels run in quick
settings (``DCGAN_LESSONS_QUICK=1``). Deselect it with ``pytest -m "not browser"``; without Chromium
it is skipped, except in CI (``CI=true``), where ``.ci/run`` installs it and its absence is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from dcgan_lessons.notebooks import series

import nbformat
import pytest

from tests.conftest import ROOT

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:  # pragma: no cover - depends on the environment
    webdriver = None

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # JupyterLab in Chromium

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
# Without the networking flags Chromium's own background connections are refused on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]
NOTEBOOKS = series(ROOT / "notebooks")
COPIED = ("figures", "reference-run", "conditional-run", "sweeps")  # what the notebooks read beside them

SERVER_TIMEOUT = 120  # seconds for JupyterLab to answer
KERNEL_TIMEOUT = 180  # seconds for a notebook to open and its kernel to be idle
RUN_TIMEOUT = int(os.environ.get("DCGAN_LESSONS_BROWSER_TIMEOUT", "600"))  # seconds for Run All Cells
WIDGET_TIMEOUT = 60  # seconds for a widget to render, and for its picture to follow a control

# A cell that builds a widget: `widgets.LatentExplorer(...)`, `ipywidgets.IntSlider(...)`, `interact(...)`.
WIDGET_CELL = re.compile(r"\b(?:widgets\.[A-Z]\w*|interact(?:ive)?)\(")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(condition: bool, reason: str) -> None:
    """Skip when something the test needs is missing, but fail in CI, which must run it."""
    if not condition:
        if in_ci():
            pytest.fail(f"{reason} (CI=true: .ci/run installs it)")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- JupyterLab -----------------------------------------------------------------------------------


class Lab:
    """A JupyterLab server we started: its URL, token and log."""

    def __init__(self, root: Path, port: int, token: str, process: subprocess.Popen, log: Path):
        self.root, self.port, self.token, self.process, self.log = root, port, token, process, log
        self.url = f"http://127.0.0.1:{port}"

    def api(self, method: str, path: str, timeout: float = 10):
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def shutdown_kernels(self) -> None:
        """Shut down every session's kernel (each notebook's TensorFlow kernel holds about 1 GB)."""
        try:
            for session in self.api("GET", "sessions"):
                self.api("DELETE", f"sessions/{session['id']}", timeout=30)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # a server that no longer answers has no kernels to keep


def lab_settings(folder: Path) -> None:
    """User settings for a quiet, deterministic lab: every cell attached to the DOM, no news, no
    update checks, no extension manager (each of those would reach out to the network)."""
    settings = {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "extensionmanager-extension/plugin": {"enabled": False},
    }
    for name, values in settings.items():
        path = folder / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab over a temporary copy of the project, kernels in quick settings; always stopped."""
    require(webdriver is not None, "selenium is not installed (pip install selenium)")
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    require(CHROMEDRIVER.exists(), f"{CHROMEDRIVER} is missing (apt-get install chromium-driver)")
    base = tmp_path_factory.mktemp("browser")
    root = base / "project"
    (root / "notebooks").mkdir(parents=True)
    for path in NOTEBOOKS:
        shutil.copy2(path, root / "notebooks" / path.name)
    for name in COPIED:
        shutil.copytree(ROOT / name, root / name)
    lab_settings(base / "settings")

    env = {
        **os.environ,
        "DCGAN_LESSONS_QUICK": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),  # no user configuration leaks in
        "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
        "IPYTHONDIR": str(base / "ipython"),
    }
    if os.environ.get("MNIST_DIR"):
        env["MNIST_DIR"] = str(Path(os.environ["MNIST_DIR"]).resolve())
    port, token = free_port(), os.urandom(16).hex()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: its commands and notebook models
        f"--LabApp.user_settings_dir={base / 'settings'}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "jupyterlab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(root, port, token, process, log)
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("GET", "status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on port {port} in {SERVER_TIMEOUT} s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        stop_lab(server)


def stop_lab(server: Lab) -> None:
    """Shut the kernels and the server down; kill our own process group if it does not stop."""
    process = server.process
    if process.poll() is None:
        try:
            server.shutdown_kernels()
            server.api("POST", "shutdown", timeout=10)
            process.wait(timeout=30)
        except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired, OSError):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)  # the server's session: its kernels too
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            continue
    process.wait()


# --- Chromium -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    service = Service(str(CHROMEDRIVER), log_output=str(lab.root.parent / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


# JavaScript run in the page. `panel(path)` is the open notebook at `path` (JupyterLab 4's NotebookPanel).
PANEL = """
const panel = (path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
};
"""

KERNEL_STATUS = (
    PANEL
    + """
const w = panel(arguments[0]);
if (!w) return 'no notebook';
const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
if (!kernel) return 'no kernel';
return w.content.widgets.length > 0 && w.sessionContext.isReady ? kernel.status : 'starting';
"""
)

RUN_ALL = (
    PANEL
    + """
const app = window.jupyterapp, w = panel(arguments[0]);
app.shell.activateById(w.id);
if (app.shell.currentWidget !== w) return 'the notebook is not the current widget';
window.__runAll = {done: false};
app.commands.execute('notebook:run-all-cells').then(
  (ok) => { window.__runAll = {done: true, ok: ok}; },
  (error) => { window.__runAll = {done: true, ok: false, error: String(error)}; });
return 'started';
"""
)

# One row per cell: its index, type, execution count, tags, first line and outputs (without data).
CELLS = (
    PANEL
    + """
const w = panel(arguments[0]);
return w.content.widgets.map((cell, index) => {
  const model = cell.model, code = model.type === 'code';
  const outputs = [];
  if (code) {
    for (let i = 0; i < model.outputs.length; i++) {
      const o = model.outputs.get(i).toJSON();
      outputs.push({type: o.output_type, name: o.name || null, ename: o.ename || null,
                    evalue: o.evalue || null, traceback: (o.traceback || []).join('\\n').slice(-3000),
                    text: typeof o.text === 'string' ? o.text.slice(0, 500) : null});
    }
  }
  return {index: index, type: model.type, count: code ? model.executionCount : null,
          tags: model.getMetadata('tags') || [], head: model.sharedModel.getSource().split('\\n')[0].slice(0, 100),
          outputs: outputs, widgets: cell.node.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length};
});
"""
)

OUTPUT_AREA = PANEL + "return panel(arguments[0]).content.widgets[arguments[1]].outputArea.node;"

# What a widget shows: every picture under the element, as strings that change when the picture does
# (an <img>'s src: ipywidgets makes a new blob URL for each new value; a canvas' pixels; an svg's markup).
PICTURES = """
return Array.from(arguments[0].querySelectorAll('img, canvas, svg')).map((e) =>
  e.tagName === 'IMG' ? e.src : e.tagName === 'CANVAS' ? e.toDataURL() : e.outerHTML);
"""

LEAVE = (
    PANEL
    + """
const app = window.jupyterapp;
if (app) for (const w of app.shell.widgets('main')) if (w.context) w.context.model.dirty = false;
"""
)


def wait_for(condition, timeout: float, interval: float = 0.5):
    """Poll ``condition()`` until it returns something truthy; return that, or None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def describe(cell: dict) -> str:
    return f"cell {cell['index']} ({cell['head']!r})"


# --- the notebooks --------------------------------------------------------------------------------


@pytest.fixture
def page(lab, browser):
    """The browser on a fresh JupyterLab page; afterwards the page is left and the kernels shut down."""
    yield browser
    try:
        browser.execute_script(LEAVE)  # no "leave site?" dialog for a run notebook
        browser.get("about:blank")
    except WebDriverException:
        pass
    lab.shutdown_kernels()


def open_notebook(lab: Lab, browser, name: str) -> str:
    path = f"notebooks/{name}"
    # a workspace of its own, so that the page does not restore an earlier notebook (and its kernel)
    workspace = "browser-" + re.sub(r"\W", "-", name)
    browser.get(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?token={lab.token}")
    status = wait_for(lambda: browser.execute_script(KERNEL_STATUS, path) == "idle", KERNEL_TIMEOUT, 1)
    if not status:
        shot = screenshot(browser, lab, name, "open")
        pytest.fail(
            f"{name}: the notebook did not open with an idle kernel in {KERNEL_TIMEOUT} s "
            f"(last state {browser.execute_script(KERNEL_STATUS, path)!r}; screenshot {shot})\n{lab.log_tail()}"
        )
    return path


def screenshot(browser, lab: Lab, name: str, what: str) -> Path:
    path = lab.root.parent / f"{Path(name).stem}-{what}.png"
    try:
        browser.save_screenshot(str(path))
    except WebDriverException:
        pass
    return path


def run_all_cells(lab: Lab, browser, name: str, path: str) -> list[dict]:
    started = browser.execute_script(RUN_ALL, path)
    assert started == "started", f"{name}: could not run all cells: {started}"
    result = wait_for(
        lambda: browser.execute_script("return window.__runAll.done ? window.__runAll : null"), RUN_TIMEOUT
    )
    cells = browser.execute_script(CELLS, path)
    if not result:
        pending = [c for c in cells if c["type"] == "code" and c["count"] is None]
        where = describe(pending[0]) if pending else "no cell pending"
        shot = screenshot(browser, lab, name, "timeout")
        pytest.fail(f"{name}: Run All Cells did not finish in {RUN_TIMEOUT} s, still at {where} (screenshot {shot})")
    errors = [(cell, output) for cell in cells for output in cell["outputs"] if output["type"] == "error"]
    expected = [(cell, output) for cell, output in errors if "raises-exception" in cell["tags"]]  # as nbval
    unexpected = [(cell, output) for cell, output in errors if "raises-exception" not in cell["tags"]]
    if unexpected:
        pytest.fail(
            f"{name}: "
            + "\n\n".join(
                f"{describe(cell)} raised {output['ename']}: {output['evalue']}\n{strip_ansi(output['traceback'])}"
                for cell, output in unexpected
            ),
            pytrace=False,
        )
    not_run = [describe(c) for c in cells if c["type"] == "code" and c["count"] is None]
    if not_run:
        pytest.fail(f"{name}: cells without an execution count after Run All Cells: {not_run}", pytrace=False)
    if not (result.get("ok") or expected):  # JupyterLab reports False after a tagged cell's error too
        pytest.fail(f"{name}: Run All Cells reported a failure: {result}", pytrace=False)
    return cells


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# --- widgets --------------------------------------------------------------------------------------


def controls(area) -> list[tuple[str, object]]:
    """The widget controls in an output area, each as (description, element)."""
    found = []
    for slider in area.find_elements(By.CSS_SELECTOR, ".widget-slider"):
        label = slider.find_element(By.CSS_SELECTOR, ".widget-label").text or "slider"
        found.append((f"slider {label!r}", slider))
    for dropdown in area.find_elements(By.CSS_SELECTOR, ".widget-dropdown"):
        label = dropdown.find_element(By.CSS_SELECTOR, ".widget-label").text or "dropdown"
        found.append((f"dropdown {label!r}", dropdown))
    for play in area.find_elements(By.CSS_SELECTOR, ".widget-play"):
        found.append(("play button", play))
    return found


PLAY_BUTTON = ".//button[i[contains(concat(' ', @class, ' '), ' %s ')]]"  # the button holding that icon


def move(browser, description: str, control) -> str:
    """Move one control the way a student would; return what it shows now (its value)."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", control)
    if description.startswith("slider"):
        handle = control.find_element(By.CSS_SELECTOR, ".noUi-handle")
        before = handle.get_attribute("aria-valuenow")
        for _ in range(5):  # five steps to the right, as with the keyboard
            handle.send_keys(Keys.ARROW_RIGHT)
        moved = wait_for(lambda: handle.get_attribute("aria-valuenow") != before, 10)
        assert moved, f"the {description} did not move on ArrowRight (value {before})"
        return handle.get_attribute("aria-valuenow")
    if description.startswith("dropdown"):
        select = Select(control.find_element(By.TAG_NAME, "select"))
        current = select.options.index(select.first_selected_option)
        select.select_by_index((current + 1) % len(select.options))
        return select.first_selected_option.text
    control.find_element(By.XPATH, PLAY_BUTTON % "fa-play").click()  # it ticks on its own from now on
    return "playing"


def stop(control) -> None:
    control.find_element(By.XPATH, PLAY_BUTTON % "fa-stop").click()


def drive_widgets(lab: Lab, browser, name: str, path: str, cells: list[dict]) -> list[str]:
    """Move every control of every widget in the notebook and see its picture change; return what moved."""
    nb = nbformat.read(lab.root / "notebooks" / name, as_version=4)
    expected = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and WIDGET_CELL.search(c.source)]
    for index in expected:
        rendered = wait_for(lambda index=index: browser.execute_script(CELLS, path)[index]["widgets"], WIDGET_TIMEOUT)
        assert rendered, f"{name}: {describe(cells[index])} shows no widget in the browser after {WIDGET_TIMEOUT} s"
    with_widgets = [c["index"] for c in browser.execute_script(CELLS, path) if c["widgets"]]
    moved = []
    for index in sorted(set(expected) | set(with_widgets)):
        cell = cells[index]
        area = browser.execute_script(OUTPUT_AREA, path, index)
        found = controls(area)
        assert found, f"{name}: the widget in {describe(cell)} has no slider, dropdown or play button"
        assert browser.execute_script(PICTURES, area), f"{name}: the widget in {describe(cell)} shows no picture"
        for description, control in found:
            before = browser.execute_script(PICTURES, area)
            value = move(browser, description, control)
            changed = wait_for(
                lambda area=area, before=before: browser.execute_script(PICTURES, area) != before, WIDGET_TIMEOUT
            )
            if description == "play button":
                stop(control)
            if not changed:
                shot = screenshot(browser, lab, name, f"widget-{index}")
                pytest.fail(
                    f"{name}: moving the {description} of the widget in {describe(cell)} to {value} did not "
                    f"change its picture in {WIDGET_TIMEOUT} s (screenshot {shot})"
                )
            moved.append(f"cell {index}: {description} -> {value}")
    return moved


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab_and_its_widgets_respond(lab, page, name):
    start = time.monotonic()
    path = open_notebook(lab, page, name)
    cells = run_all_cells(lab, page, name, path)
    ran = time.monotonic() - start
    moved = drive_widgets(lab, page, name, path, cells)
    code = sum(c["type"] == "code" for c in cells)
    print(f"{name}: {code} code cells run in {ran:.0f} s; widget controls that moved their picture: {moved or 'none'}")
