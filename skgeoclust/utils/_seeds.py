"""Integer seeds for the libraries that take one (tslearn, minisom)."""
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state


def integer_seed(random_state):
    """The int itself, or one drawn from the ``random_state`` (None, RandomState).

    A library seeded with the same int as the estimator then makes the same draws,
    so results match the library's own run with that seed.

    Examples
    --------
    >>> import numpy as np
    >>> from skgeoclust.utils._seeds import integer_seed
    >>> integer_seed(7)
    7
    >>> integer_seed(np.random.RandomState(0)) == integer_seed(np.random.RandomState(0))
    True
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
