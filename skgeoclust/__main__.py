"""``python -m skgeoclust``: the ``skgeoclust`` command (see :mod:`skgeoclust.cli`).

With no arguments it runs the ``seismicity`` report on a generated catalog and
prints where the report is.
"""
# SPDX-License-Identifier: BSD-3-Clause

import sys

from skgeoclust.cli import main

if __name__ == "__main__":
    sys.exit(main())
