"""Progress of long fits: a tqdm bar when tqdm is installed, plain lines otherwise."""
# SPDX-License-Identifier: BSD-3-Clause

import sys
import time


def progress(iterable, *, total, desc, enabled=True):
    """Yield from ``iterable``, reporting progress on standard error.

    With tqdm installed (an optional dependency) this is a tqdm bar; without it,
    one line at every tenth of ``total`` and at the end.

    Parameters
    ----------
    iterable : iterable
    total : int
        Number of items expected.
    desc : str
        What is counted, e.g. ``"subsets"``.
    enabled : bool, default=True
        ``False`` yields the items without a word.
    """
    if not enabled:
        yield from iterable
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr)
        return
    start = time.perf_counter()
    step = max(total // 10, 1)
    done = 0
    for item in iterable:
        done += 1
        if done % step == 0 or done == total:
            print(
                f"{desc}: {done}/{total} ({time.perf_counter() - start:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        yield item
