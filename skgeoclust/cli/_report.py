"""The report folder: PNG figures, CSV/JSON tables and an HTML page linking them."""
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import html
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; }
code, pre { background: #f4f4f4; padding: 0.1em 0.3em; }
pre { padding: 0.6em; overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #eee; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
.summary th, .summary td { text-align: left; }
"""


def _jsonable(value):
    """Plain-Python version of numpy / pandas values, NaN as None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _format(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


class Report:
    """Collects the outputs of one run in a folder and writes ``index.html``.

    Parameters
    ----------
    folder : str or Path
        Output folder, created when the first file is written; files of the same
        name are overwritten.
    title : str
        Page title.
    command : str
        The command line that produced the report (shown on the page).
    """

    def __init__(self, folder, title, command):
        self._folder = Path(folder)
        self.title = title
        self.command = command
        self.summary = {}
        self.notes = []
        self.parameters = {}
        self.figures = []  # (file, caption)
        self.tables = []  # (file, caption, preview DataFrame)
        self.files = []  # (file, caption)

    @property
    def folder(self):
        """The report folder, created on first use (not when the input is bad)."""
        self._folder.mkdir(parents=True, exist_ok=True)
        return self._folder

    def add_summary(self, **items):
        """Key figures of the run (shown first, saved in ``summary.json``)."""
        self.summary.update(items)

    def add_note(self, text):
        """A sentence shown under the summary (departures, warnings)."""
        self.notes.append(str(text))

    def add_figure(self, name, fig, caption):
        """Save a matplotlib figure as ``<name>.png`` and close it."""
        path = self.folder / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        try:
            import matplotlib.pyplot as plt

            plt.close(fig)
        except ImportError:  # pragma: no cover - figures imply matplotlib
            pass
        self.figures.append((path.name, caption))
        return path

    def add_existing_figure(self, path, caption):
        """List a PNG written by someone else (must be inside the folder)."""
        self.figures.append((Path(path).name, caption))

    def add_table(self, name, table, caption, *, preview=15, index=False):
        """Save a DataFrame as ``<name>.csv`` and show its first rows."""
        path = self.folder / f"{name}.csv"
        table.to_csv(path, index=index)
        shown = table.head(preview)
        if index:
            shown = shown.reset_index()
        self.tables.append((path.name, caption, shown, len(table)))
        return path

    def add_json(self, name, obj, caption):
        """Save an object as ``<name>.json``."""
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(_jsonable(obj), indent=2) + "\n")
        self.files.append((path.name, caption))
        return path

    def add_file(self, path, caption):
        """List another file of the folder (for example labels in ``.npy``)."""
        self.files.append((Path(path).name, caption))

    def write(self):
        """Write ``summary.json`` and ``index.html``; return the page's path."""
        manifest = {
            "title": self.title,
            "command": self.command,
            "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "parameters": self.parameters,
            "summary": self.summary,
            "notes": self.notes,
            "figures": [f for f, _ in self.figures],
            "tables": [t[0] for t in self.tables],
            "files": [f for f, _ in self.files],
        }
        from skgeoclust import __version__

        manifest["skgeoclust_version"] = __version__
        (self.folder / "summary.json").write_text(
            json.dumps(_jsonable(manifest), indent=2) + "\n"
        )
        page = self.folder / "index.html"
        page.write_text(self._html(manifest), encoding="utf-8")
        return page

    def _html(self, manifest):
        e = html.escape
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{e(self.title)}</h1>",
            f"<p>skgeoclust {e(manifest['skgeoclust_version'])}, "
            f"{e(manifest['created_utc'])}. Command:</p>",
            f"<pre>{e(self.command)}</pre>",
            "<h2>Summary</h2>",
            '<table class="summary"><tbody>',
        ]
        for key, value in self.summary.items():
            parts.append(f"<tr><th>{e(str(key))}</th><td>{e(_format(value))}</td></tr>")
        parts.append("</tbody></table>")
        for note in self.notes:
            parts.append(f"<p>{e(note)}</p>")
        if self.parameters:
            parts.append('<h2>Parameters</h2><table class="summary"><tbody>')
            for key, value in self.parameters.items():
                parts.append(
                    f"<tr><th>{e(str(key))}</th><td>{e(_format(value))}</td></tr>"
                )
            parts.append("</tbody></table>")
        if self.figures:
            parts.append("<h2>Figures</h2>")
            for name, caption in self.figures:
                parts.append(
                    f'<figure><a href="{e(name)}"><img src="{e(name)}" '
                    f'alt="{e(caption)}"></a><figcaption>{e(caption)} '
                    f'(<a href="{e(name)}">{e(name)}</a>)</figcaption></figure>'
                )
        if self.tables:
            parts.append("<h2>Tables</h2>")
            for name, caption, shown, n_rows in self.tables:
                more = (
                    f", first {len(shown)} of {n_rows} rows"
                    if n_rows > len(shown)
                    else ""
                )
                parts.append(
                    f'<h3><a href="{e(name)}">{e(name)}</a></h3>'
                    f"<p>{e(caption)}{more}.</p>"
                )
                parts.append(
                    shown.to_html(
                        index=False,
                        float_format=lambda v: f"{v:.4g}",
                        na_rep="",
                        border=0,
                        escape=True,
                    )
                )
        files = [*self.files, ("summary.json", "this page's summary, machine-readable")]
        parts.append("<h2>Other files</h2><ul>")
        for name, caption in files:
            parts.append(f'<li><a href="{e(name)}">{e(name)}</a>: {e(caption)}</li>')
        parts.append("</ul></body></html>")
        return "\n".join(parts) + "\n"


def select_backend():
    """Use the non-interactive Agg backend unless pyplot is already in use."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def new_figure(*args, **kwargs):
    """``plt.subplots(*args, **kwargs)`` on a non-interactive backend."""
    select_backend()
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def set_map_extent(ax, lat, lon):
    """The whole globe for a global catalog, else a local aspect (1 / cos lat)."""
    if np.ptp(lon) > 90 or np.ptp(lat) > 60:
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        ax.set_aspect("equal")
    else:
        ax.set_aspect(1.0 / max(np.cos(np.deg2rad(np.mean(lat))), 0.2))


def have_matplotlib():
    """True if matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def as_frame(mapping):
    """DataFrame from a dict of equal-length columns."""
    return pd.DataFrame({k: np.asarray(v) for k, v in mapping.items()})
