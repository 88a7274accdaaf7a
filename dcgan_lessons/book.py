"""The course as a website: ``dcgan-lessons book --out site/`` builds the notebook series, with its committed
outputs and figures, into a static site that a teacher can publish as it is.

The tool is Sphinx with myst-nb and sphinx-book-theme, because it builds offline from PyPI alone: Jupyter Book 2
(mystmd) fetches its HTML theme from api.mystmd.org at build time and fails on a machine that reaches only the
package registries. MathJax comes from the sphinx-mathjax-offline wheel, not a CDN. The embedded widget manager
would also come from a CDN, and even with it the course's sliders would move without changing their pictures,
which the notebook's Python draws; so each widget is shown as a still frame of its saved state, with a note that
it is live in JupyterLab.

The site is the students' by default: the exercises' solutions and hidden tests are replaced as ``dcgan-lessons
assign`` replaces them (the same function), and the notebooks to download are those student versions;
``--solutions`` publishes the teacher's notebooks as committed.

No notebook is executed (myst-nb's ``nb_execution_mode = "off"``): the committed outputs are the content, and a
notebook without outputs is refused. The build runs in a temporary copy of ``docs/book/`` (the configuration and
landing page), the README's introduction and series table, and the notebooks (code cells made collapsible, widget
outputs replaced by their stills); the notebooks to download are put beside their pages.
This module is also the Sphinx extension that ``docs/book/conf.py`` loads: it writes the API page from what the
notebooks call or name, and links inline code that names a documented function and "notebook 06" to their pages.
"""

from __future__ import annotations

import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .handouts import student_version
from .notebooks import NOTEBOOK_DIR, series

BOOK_DIR = Path("docs/book")  # the configuration and landing page, from the project folder like NOTEBOOK_DIR
MARKER = ".dcgan-lessons-book"  # marks an --out folder as a previous build, which a new build may replace
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# The claims module renders the notebooks' prose from their data; students read its results, they don't call it.
NOT_IN_API = ("dcgan_lessons.claims", "dcgan_lessons.sweep_claims")


def build(out: str | os.PathLike, project: str | os.PathLike = ".", solutions: bool = False) -> Path:
    """Build the website into ``out`` (a new or empty folder, or a previous build, which is replaced).

    Without ``solutions`` the exercises are the students' (as ``dcgan-lessons assign`` writes them: solutions
    stubbed, hidden tests removed, those cells without outputs) and so are the notebooks to download; with it,
    the teacher's notebooks as committed."""
    project, out = Path(project), Path(out)
    notebooks = series(project / NOTEBOOK_DIR)
    if not notebooks or not (project / BOOK_DIR / "conf.py").is_file():
        raise ValueError(f"{project.resolve()} has no notebooks/ or no {BOOK_DIR}/; run this in the project folder")
    for path in notebooks:
        refuse_without_outputs(path)
    check_out(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("")  # fails now, naming the folder, if it cannot be written to
    try:
        from sphinx.application import Sphinx
        from sphinx.errors import SphinxError
        from sphinx.util.console import nocolor
    except ImportError:
        raise ValueError('the book needs Sphinx and myst-nb: pip install -e ".[book]"') from None
    with tempfile.TemporaryDirectory(prefix="dcgan-lessons-book-") as tmp:
        src, html = Path(tmp) / "src", Path(tmp) / "html"
        stage(project, notebooks, src, solutions)
        warnings = io.StringIO()
        nocolor()  # the warnings are printed as plain lines
        try:
            app = Sphinx(src, src, html, src / ".doctrees", "html", status=None, warning=warnings, freshenv=True)
            app.build()
        except SphinxError as err:
            raise ValueError(f"Sphinx failed: {err}") from err
        if app.statuscode:
            raise ValueError(f"Sphinx failed: {(warnings.getvalue().strip().splitlines() or ['no message'])[-1]}")
        for path in notebooks:  # the download link on each page
            if solutions:
                shutil.copyfile(path, html / "notebooks" / path.name)
            else:
                nbformat.write(
                    student_version(nbformat.read(path, as_version=4), path.name), html / "notebooks" / path.name
                )
        for child in list(out.iterdir()):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(html, out, dirs_exist_ok=True)
    (out / MARKER).write_text("Built by dcgan-lessons book: a new build replaces everything in this folder.\n")
    problems = [line for line in warnings.getvalue().splitlines() if "WARNING" in line or "ERROR" in line]
    if problems:
        print(f"{len(problems)} Sphinx warning(s):", *problems, sep="\n  ")
    return out


def refuse_without_outputs(path: Path) -> None:
    """The site shows the committed outputs, so a notebook whose code cells have none is an error."""
    cells = json.loads(path.read_text())["cells"]
    if not any(cell.get("outputs") for cell in cells if cell["cell_type"] == "code"):
        raise ValueError(f"{path} has no outputs; run `dcgan-lessons notebooks {path}` and commit it before the book")


def check_out(out: Path) -> None:
    """Refuse an --out that is a file or a folder holding something other than a previous build."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for the website")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ValueError(f"--out {out} is a folder with other files in it; give a new or empty folder")


def stage(project: Path, notebooks: list[Path], src: Path, solutions: bool) -> None:
    """The temporary Sphinx source: docs/book/, the README's introduction, the figures, the notebooks."""
    shutil.copytree(project / BOOK_DIR, src)
    shutil.copytree(project / "figures", src / "figures")  # the README table's thumbnails
    (src / "_readme.md").write_text(readme_introduction((project / "README.md").read_text()))
    (src / "notebooks").mkdir()
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        if not solutions:
            hide_solutions(notebook, path.name)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = [shown for output in cell["outputs"] for shown in still(output, notebook)]
                make_collapsible(cell)
        notebook["metadata"].pop("widgets", None)  # shown as stills: the page needs no widget state
        add_download_link(notebook["cells"], path.name)
        (src / "notebooks" / path.name).write_text(json.dumps(notebook))


def hide_solutions(notebook, name: str) -> None:
    """The exercises' cells as students get them (``handouts.student_version``), without their outputs; every
    other cell keeps its committed outputs."""
    for cell, students in zip(notebook.cells, student_version(notebook, name).cells, strict=True):
        if cell.source != students.source:
            cell.source = students.source
            if cell.cell_type == "code":
                cell.outputs = []


def readme_introduction(readme: str) -> str:
    """The landing page: the README up to its first section, and the series section up to the end of its table."""
    intro, *sections = re.split(r"^(?=## )", readme, flags=re.M)
    table = next((s for s in sections if s.startswith("## The notebook series")), "")
    lines = table.splitlines()
    last_row = max((i for i, line in enumerate(lines) if line.startswith("|")), default=len(lines) - 1)
    return intro + "\n".join(lines[: last_row + 1]) + "\n"


def make_collapsible(cell: dict) -> None:
    """Every code cell can be folded away (myst-nb's hide-input); cells that only render prose start folded."""
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    outputs = cell["outputs"]
    prose_only = outputs and all(set(o.get("data", {})) <= {"text/markdown", "text/plain"} for o in outputs)
    tags += ["hide-input"] if prose_only else ["hide-input", "book-open"]


def add_download_link(cells: list[dict], name: str) -> None:
    """A line under the notebook's title linking the committed notebook, which build() puts beside the page."""
    link = (
        f'<a href="{name}" download>Download this notebook</a> and open it in JupyterLab from the project\'s '
        "`notebooks/` folder to run it; its widgets are live there."
    )
    title, _, rest = "".join(cells[0]["source"]).partition("\n")
    if cells[0]["cell_type"] == "markdown" and title.startswith("# "):
        cells[0]["source"] = f"{title}\n\n{link}\n{rest}"
    else:
        cells.insert(0, {"cell_type": "markdown", "id": "book-download", "metadata": {}, "source": link})


def still(output: dict, notebook: dict) -> list[dict]:
    """A widget output becomes the picture its saved state shows and a note; other outputs stay as they are."""
    view = output.get("data", {}).get(WIDGET_VIEW)
    if view is None:
        return [output]
    models = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    images, labels = [], []
    for model in widget_tree(view["model_id"], models):
        if model["model_name"] == "ImageModel":
            images += [b["data"] for b in model.get("buffers", []) if b["path"] == ["value"]]
        elif model["model_name"] == "LabelModel" and model["state"].get("value"):
            labels.append(model["state"]["value"])
    caption = f" ({'; '.join(labels)})" if labels else ""
    note = (
        f"*A still frame of an interactive widget{caption}: its controls need the notebook's Python, so they "
        "run in JupyterLab (download the notebook above).*"
    )
    shown = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": data}} for data in images[:1]]
    return shown + [{"output_type": "display_data", "metadata": {}, "data": {"text/markdown": note}}]


def widget_tree(model_id: str, models: dict) -> list[dict]:
    """The saved widget models under ``model_id``, depth first, each once."""
    seen, order, todo = set(), [], [model_id]
    while todo:
        key = todo.pop(0)
        if key in seen or key not in models:
            continue
        seen.add(key)
        order.append(models[key])
        todo += re.findall(r"IPY_MODEL_(\w+)", json.dumps(models[key]["state"]))
    return order


# -- The Sphinx extension ---------------------------------------------------------------------------------------


def api_objects(notebooks: list[Path]) -> dict[str, object]:
    """The package's functions and classes that the notebooks call or name in their text, by every name they use."""
    import dcgan_lessons

    called: dict[str, object] = {}
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        written = re.findall(r"\bdl\.([A-Za-z]\w*(?:\.[A-Za-z]\w*)?)", code)
        written += re.findall(r"`(?:dl\.|dcgan_lessons\.)?([A-Za-z]\w*(?:\.[A-Za-z]\w*)?)(?:\(\))?`", text)
        for module, names in re.findall(r"^from dcgan_lessons(?:\.(\w+))? import ([\w, ]+)", code, flags=re.M):
            for name in (n.strip() for n in names.split(",")):
                if module:
                    written.append(f"{module}.{name}")
                else:  # a submodule imported by name: its functions are then called as name.function
                    written += re.findall(rf"\b({name}\.[A-Za-z]\w*)", code)
        for dotted in written:
            obj = dcgan_lessons
            for part in dotted.split("."):
                obj = getattr(obj, part, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith("dcgan_lessons."):
                public = obj.__qualname__ == obj.__name__ and not obj.__name__.startswith("_")  # no methods
                if public and obj.__module__ not in NOT_IN_API:
                    called[dotted] = obj
    return called


def api_page(objects: dict[str, object]) -> str:
    """The API reference: each module that defines something the notebooks call or name, with those members; the
    command line's help as the command prints it (asked of the command, so the book does not import the CLI that
    builds it)."""
    cli_help = subprocess.run(
        [sys.executable, "-m", "dcgan_lessons", "--help"], capture_output=True, text=True, check=True
    ).stdout
    by_module: dict[str, list[str]] = {}
    for obj in objects.values():
        names = by_module.setdefault(obj.__module__, [])
        if obj.__name__ not in names:
            names.append(obj.__name__)
    parts = [
        "# API reference\n",
        "The functions and classes of `dcgan_lessons` that the notebooks call or name, from their docstrings. "
        "Teachers drive the package from the command line:\n",
        "```text\n" + cli_help + "```\n",
    ]
    for module in sorted(by_module):
        members = ", ".join(by_module[module])
        parts.append(f"## `{module}`\n\n```{{eval-rst}}\n.. automodule:: {module}\n   :members: {members}\n```\n")
    return "\n".join(parts)


def _targets(objects: dict[str, object]) -> dict[str, str]:
    """Inline code as the notebooks write it (``dl.train``, ``games.train_ring_gan``, ``build_generator``) to the
    documented object's full name; a bare name that means two objects links nowhere."""
    full = {name: f"{obj.__module__}.{obj.__qualname__}" for name, obj in objects.items()}
    short: dict[str, set[str]] = {}
    for target in set(full.values()):
        module, _, name = target.rpartition(".")
        full[f"{module.rpartition('.')[2]}.{name}"] = target
        short.setdefault(name, set()).add(target)
    return full | {name: next(iter(t)) for name, t in short.items() if len(t) == 1}


NOTEBOOK_MENTION = re.compile(r"\b[Nn]otebooks? \d\d(?:(?:, | and |-)\d\d)*\b")


def _link(app, doctree) -> None:
    """Inline code naming a documented function links to the API page; "notebook 06" links to notebook 06."""
    from docutils import nodes
    from sphinx import addnodes

    if not app.env.docname.startswith("notebooks/"):
        return
    targets, pages = app.book_targets, app.book_pages
    for literal in list(doctree.findall(nodes.literal)):
        key = re.sub(r"^(?:dl|dcgan_lessons)\.|\(\)$", "", literal.astext())
        cls, _, method = key.rpartition(".")
        target = targets.get(key) or (targets.get(cls) and f"{targets[cls]}.{method}")
        if target and not isinstance(literal.parent, (nodes.reference, addnodes.pending_xref)):
            xref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=target, refexplicit=True)
            literal.replace_self(xref)
            xref += literal
    for text in list(doctree.findall(nodes.Text)):
        if isinstance(text.parent, (nodes.literal, nodes.reference, nodes.literal_block, nodes.title)):
            continue
        pieces, last = [], 0
        for mention in NOTEBOOK_MENTION.finditer(text):
            for number in re.finditer(r"\d\d", mention.group()):
                start, end = mention.start() + number.start(), mention.start() + number.end()
                page = pages.get(number.group())
                if page and page != app.env.docname:
                    ref = addnodes.pending_xref(
                        "", refdomain="std", reftype="doc", reftarget="/" + page, refexplicit=True
                    )
                    ref += nodes.inline(text=number.group())
                    pieces += [nodes.Text(text[last:start]), ref]
                    last = end
        if pieces:
            text.parent.replace(text, [*pieces, nodes.Text(text[last:])])


def _write_api(app) -> None:
    """Before Sphinx reads the sources: the API page, and what inline code and notebook numbers link to."""
    notebooks = series(Path(app.srcdir) / "notebooks")
    objects = api_objects(notebooks)
    (Path(app.srcdir) / "api.md").write_text(api_page(objects))
    app.book_targets = _targets(objects)
    app.book_pages = {path.name[:2]: f"notebooks/{path.stem}" for path in notebooks}


def setup(app) -> dict:
    """The Sphinx extension (``docs/book/conf.py`` lists it)."""
    app.connect("builder-inited", _write_api)
    app.connect("doctree-read", _link)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
