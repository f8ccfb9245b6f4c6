"""Sphinx configuration for the skgeoclust documentation."""

import skgeoclust

project = "skgeoclust"
author = "the skgeoclust developers"
copyright = "2026, the skgeoclust developers"
version = release = skgeoclust.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "**/README.txt"]
html_theme = "pydata_sphinx_theme"

sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "doc_module": ("skgeoclust",),
    "backreferences_dir": "generated",
    "reference_url": {"skgeoclust": None},
    "download_all_examples": False,
}
