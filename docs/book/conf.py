"""Sphinx configuration of the course website (``dcgan-lessons book --out site/``; see dcgan_lessons/book.py).

The build copies this folder, the README and the notebooks into a temporary source folder and runs Sphinx there:
nothing here reaches the network, and no notebook is executed.
"""

project = "dcgan-lessons"
author = "dcgan-lessons"
copyright = "the dcgan-lessons authors, MIT License"

extensions = [
    "myst_nb",  # the notebooks with their committed outputs
    "sphinx.ext.autodoc",  # the API reference from the docstrings
    "sphinx-mathjax-offline",  # MathJax 3 from its wheel into _static/, not from a CDN
    "dcgan_lessons.book",  # links to the API and between notebooks, the widgets' notes
]

exclude_patterns = ["README.md", "_readme.md", ".doctrees"]  # _readme.md: the landing page includes it

# The committed outputs are the content: never execute a notebook.
nb_execution_mode = "off"
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the measured results) hold tables and math
# The embedded widget manager would come from a CDN; the build shows a still frame of each widget instead.
nb_ipywidgets_js = {}
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
autodoc_inherit_docstrings = False  # only the package's own docstrings, not those of the Keras methods it overrides

html_theme = "sphinx_book_theme"
html_title = "dcgan-lessons"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_js_files = ["book.js"]
html_copy_source = False  # each notebook page links the committed notebook itself (book.py puts it beside the page)
html_show_sourcelink = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
}
