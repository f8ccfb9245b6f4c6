"""Package-wide switches read from the environment."""
# SPDX-License-Identifier: BSD-3-Clause

import os

#: Whether Numba kernels cache their compiled code on disk. Set the environment
#: variable ``SKGEOCLUST_NUMBA_CACHE=0`` to turn caching off (read-only installs).
NUMBA_CACHE = os.environ.get("SKGEOCLUST_NUMBA_CACHE", "1").lower() not in {
    "0",
    "false",
    "no",
    "off",
}
