"""Options shared by the subcommands, grid parsing and progress lines."""
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import shlex
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def add_common_options(parser, *, input_help):
    """``--input``, ``--output``, ``--quiet``, ``--n-jobs``, ``--random-state``."""
    parser.add_argument(
        "--input", "-i", type=Path, default=None, metavar="PATH", help=input_help
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        metavar="DIR",
        help="report folder (default: ./skgeoclust-report/<subcommand>)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print nothing but errors"
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel jobs (joblib); -1 for all cores (default: 1)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of every random draw, for reproducible reports",
    )


def add_choice(group, flag, choices, help):
    """An option taking one of ``choices``, the first being the default."""
    group.add_argument(flag, choices=choices, default=choices[0], help=help)


def add_catalog_options(parser, *, depth=True):
    """Column-name mapping flags of a catalog file."""
    group = parser.add_argument_group("catalog columns (CSV or Parquet input)")
    group.add_argument(
        "--lat-col", default=None, metavar="NAME", help="latitude column (degrees)"
    )
    group.add_argument(
        "--lon-col", default=None, metavar="NAME", help="longitude column (degrees)"
    )
    if depth:
        group.add_argument(
            "--depth-col",
            default=None,
            metavar="NAME",
            help="depth column (positive down)",
        )
        add_choice(group, "--depth-unit", ("km", "m"), "unit of the depth column")


def generate(report, generator, *args, note="", **kwargs):
    """Call a dataset generator and record that exact call as the report's input.

    Parameters
    ----------
    report : Report
    generator : callable
        A :mod:`skgeoclust.datasets` function.
    *args, **kwargs
        Its arguments, written into the report as given.
    note : str, default=""
        Appended to the recorded call (what the command did with the data).

    Returns
    -------
    The generator's result.
    """
    words = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    call = ", ".join(words)
    report.parameters["input"] = f"generated: {generator.__name__}({call}){note}"
    return generator(*args, **kwargs)


def parse_grid(text, kind=float):
    """Values of a grid flag: ``start:stop:step`` (stop included) or ``a,b,c``.

    Parameters
    ----------
    text : str
        The flag's value.
    kind : {float, int}
        Type of the values.

    Returns
    -------
    values : list
    """
    text = str(text).strip()
    try:
        if ":" in text:
            parts = [kind(p) for p in text.split(":")]
            if len(parts) == 2:
                parts.append(kind(1))
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            start, stop, step = parts
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(n)]
            if kind is float:
                values = [round(v, 12) for v in values]
            return values
        values = [kind(p) for p in text.split(",") if p.strip()]
        if not values:
            raise ValueError
        return values
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a grid: give start:stop:step (stop included) or a "
            f"comma-separated list of {'integers' if kind is int else 'numbers'}"
        ) from None


def int_grid(text):
    """``parse_grid`` for integers (argparse ``type``)."""
    return parse_grid(text, int)


def float_grid(text):
    """``parse_grid`` for floats (argparse ``type``)."""
    return parse_grid(text, float)


def grid_text(values):
    """Compact text of a grid for the report."""
    values = list(values)
    if len(values) > 3:
        return f"{values[0]:g} .. {values[-1]:g} ({len(values)} values)"
    return ", ".join(f"{v:g}" for v in values)


def command_line(argv):
    """The command as the user would type it."""
    return shlex.join(["skgeoclust", *argv])


class Progress:
    """Step lines with elapsed time on stderr; a tqdm bar on a terminal.

    Parameters
    ----------
    n_steps : int
        Number of steps the run will announce.
    quiet : bool
        Print nothing.
    stream : file, default=sys.stderr
        Where to print.
    """

    def __init__(self, n_steps, *, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self.bar = None
        if not quiet and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(
                    total=n_steps,
                    file=self.stream,
                    bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}]",
                    leave=True,
                )

    def elapsed(self):
        """Seconds since the run started."""
        return time.perf_counter() - self.start

    def info(self, text):
        """A line of information (not a step)."""
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def step(self, text):
        """Announce a step, then report its duration."""
        t0 = time.perf_counter()
        if self.bar is not None:
            self.bar.set_description_str(text)
        else:
            self.info(f"[{self.elapsed():7.1f} s] {text} ...")
        yield
        dt = time.perf_counter() - t0
        if self.bar is not None:
            self.bar.write(
                f"[{self.elapsed():7.1f} s] {text}: {dt:.1f} s", file=self.stream
            )
            self.bar.update(1)
        else:
            self.info(f"[{self.elapsed():7.1f} s] {text}: done in {dt:.1f} s")

    def close(self):
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
