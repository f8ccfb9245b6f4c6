"""Synthetic fault networks: hypocentres on rectangular planes plus a uniform
background."""
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state


def _plane_axes(strike_deg, dip_deg):
    """Along-strike, down-dip and normal unit vectors in (east, north, down).

    Strike is clockwise from north; the plane dips to the right of the strike
    direction (right-hand rule), so ``dip=90`` is vertical.
    """
    strike = np.radians(strike_deg)
    dip = np.radians(dip_deg)
    along = np.array([np.sin(strike), np.cos(strike), 0.0])
    horizontal_dip = np.array([np.cos(strike), -np.sin(strike), 0.0])
    down_dip = np.cos(dip) * horizontal_dip + np.array([0.0, 0.0, np.sin(dip)])
    return along, down_dip, np.cross(along, down_dip)


def _split_counts(total, areas):
    """Split ``total`` points over planes in proportion to their areas (largest
    remainder, so the counts add up exactly)."""
    share = total * areas / areas.sum()
    counts = np.floor(share).astype(np.int64)
    remainder = total - counts.sum()
    counts[np.argsort(counts - share)[:remainder]] += 1
    return counts


def make_fault_network(
    n_faults=20,
    *,
    density=0.5,
    n_samples=None,
    background_fraction=0.1,
    strike_range=(-90.0, 90.0),
    dip_range=(45.0, 90.0),
    length_range_km=(20.0, 40.0),
    width_range_km=(5.0, 15.0),
    domain_km=(220.0, 150.0, 30.0),
    location_error_km=0.0,
    scatter="isotropic",
    kernel="rectangle",
    event_error_km=None,
    event_error_log_std=0.6,
    shuffle=True,
    return_faults=False,
    random_state=None,
):
    """Generate hypocentres on randomly oriented fault planes plus uniform background.

    This is the synthetic test of Kamer, Ouillon & Sornette (2020), §3.2: planes with
    strike in ``strike_range``, dip in ``dip_range``, length and width drawn
    uniformly, each sampled uniformly at ``density`` events per km^2 of fault area,
    inside a box of ``domain_km``; then a fraction ``background_fraction`` of the
    *total* is added as events uniform in the box. With ``kernel="gaussian"`` each
    plane is replaced by the Gaussian with the same second moments (standard
    deviations ``L / sqrt(12)`` and ``W / sqrt(12)`` along strike and dip), as in
    the paper's Fig. 5b.

    Parameters
    ----------
    n_faults : int, default=20
        Number of fault planes.
    density : float, default=0.5
        Events per km^2 of fault area; plane ``i`` gets ``round(density * L_i * W_i)``
        events. Ignored when ``n_samples`` is given.
    n_samples : int, default=None
        Total number of events including background; the fault events are then
        split over the planes in proportion to their areas. §3.1 of the paper uses
        ``n_faults=5, n_samples=640, background_fraction=0.2``.
    background_fraction : float, default=0.1
        Fraction of all events that are background, in [0, 1).
    strike_range : tuple of float, default=(-90, 90)
        Strike interval in degrees, clockwise from north.
    dip_range : tuple of float, default=(45, 90)
        Dip interval in degrees; planes dip to the right of the strike direction.
    length_range_km, width_range_km : tuple of float, default=(20, 40) and (5, 15)
        Along-strike length and down-dip width intervals in km.
    domain_km : tuple of float, default=(220, 150, 30)
        Box (east, north, down) in km with its corner at the origin; every plane lies
        wholly inside it and the background fills it.
    location_error_km : float, default=0.0
        Standard deviation of isotropic Gaussian location scatter added to fault
        events. 0 gives events exactly on the planes (zero thickness); the authors'
        MATLAB synthetics use 0.5 km.
    scatter : {"isotropic", "normal"}, default="isotropic"
        Direction of the location scatter: in all three directions, or only
        along each plane's normal (the issue-14 setting, in which a fault event's
        exact density is uniform over the rectangle times
        ``N(0, location_error_km**2)`` across it). ``"isotropic"`` gives the
        same output as before this option existed.
    kernel : {"rectangle", "gaussian"}, default="rectangle"
        Sample planes uniformly, or from the Gaussian of the same second moments.
    event_error_km : float, default=None
        Give every event (fault and background) its own location error, as a
        catalog does: a 1-sigma ``s_i`` drawn from a lognormal distribution of
        median ``event_error_km`` and log standard deviation
        ``event_error_log_std``, and a displacement drawn from the isotropic
        ``N(0, s_i**2 I)``, added after ``location_error_km``'s scatter. The
        ``s_i`` are returned. None (the default) adds nothing and leaves the
        output exactly as without this option; with it, the same
        ``random_state`` gives the same planes and the same events before their
        displacement.
    event_error_log_std : float, default=0.6
        Log standard deviation of the ``s_i``: with ``event_error_km=0.6``, half
        the events are within 0.6 km, 1 % beyond 2.4 km, and a catalog of a few
        thousand events reaches 4-6 km.
    shuffle : bool, default=True
        Shuffle the rows; otherwise fault events come first, plane by plane, then the
        background.
    return_faults : bool, default=False
        Also return a dict of the planes' parameters.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, 3)
        Hypocentres (east, north, down) in km.
    y : ndarray of shape (n_samples,)
        Plane index of each event, -1 for background.
    location_error_km : ndarray of shape (n_samples,), only with ``event_error_km``
        Each event's isotropic 1-sigma location error ``s_i`` in km.
    faults : dict of ndarray, only when ``return_faults``
        ``centers`` (n_faults, 3), ``strike``, ``dip``, ``length``, ``width``,
        ``normals`` (n_faults, 3), ``along_strike`` and ``down_dip`` (n_faults,
        3; unit vectors of the rectangle's sides), ``n_events``, and the
        ``domain`` box (3,) and ``location_error_km`` / ``scatter`` used: with
        them the generating density of every event is known exactly (with
        ``event_error_km``, convolved with each event's ``N(0, s_i**2 I)``;
        ``event_error_km`` and ``event_error_log_std`` are recorded too).

    References
    ----------
    .. [1] Kamer, Y., Ouillon, G. and Sornette, D. (2020). Fault network
       reconstruction using agglomerative clustering: applications to southern
       Californian seismicity. Nat. Hazards Earth Syst. Sci., 20, 3611-3625.

    Examples
    --------
    >>> from skgeoclust.datasets import make_fault_network
    >>> X, y = make_fault_network(n_faults=5, n_samples=640, background_fraction=0.2,
    ...                           random_state=0)
    >>> X.shape, int((y == -1).sum()), len(set(y[y >= 0]))
    ((640, 3), 128, 5)
    >>> X, y, sigma = make_fault_network(n_faults=5, n_samples=640,
    ...                                  event_error_km=0.6, random_state=0)
    >>> sigma.shape, bool(0.4 < np.median(sigma) < 0.9)
    ((640,), True)
    """
    if int(n_faults) < 1:
        raise ValueError(f"n_faults must be >= 1, got {n_faults!r}.")
    if not 0.0 <= background_fraction < 1.0:
        raise ValueError(
            f"background_fraction must be in [0, 1), got {background_fraction!r}."
        )
    if kernel not in ("rectangle", "gaussian"):
        raise ValueError(f"kernel must be 'rectangle' or 'gaussian', got {kernel!r}.")
    if scatter not in ("isotropic", "normal"):
        raise ValueError(f"scatter must be 'isotropic' or 'normal', got {scatter!r}.")
    if location_error_km < 0:
        raise ValueError(f"location_error_km must be >= 0, got {location_error_km!r}.")
    if event_error_km is not None and not event_error_km > 0:
        raise ValueError(f"event_error_km must be > 0, got {event_error_km!r}.")
    if not event_error_log_std >= 0:
        raise ValueError(
            f"event_error_log_std must be >= 0, got {event_error_log_std!r}."
        )
    if n_samples is None and not density > 0:
        raise ValueError(f"density must be > 0, got {density!r}.")
    domain = np.asarray(domain_km, dtype=np.float64)
    if domain.shape != (3,) or np.any(domain <= 0):
        raise ValueError(
            f"domain_km must be three positive lengths, got {domain_km!r}."
        )
    rng = check_random_state(random_state)
    n_faults = int(n_faults)

    strike = rng.uniform(*strike_range, size=n_faults)
    dip = rng.uniform(*dip_range, size=n_faults)
    length = rng.uniform(*length_range_km, size=n_faults)
    width = rng.uniform(*width_range_km, size=n_faults)
    if n_samples is None:
        counts = np.rint(density * length * width).astype(np.int64)
        n_fault_events = int(counts.sum())
        n_background = int(
            np.rint(background_fraction * n_fault_events / (1.0 - background_fraction))
        )
    else:
        n_fault_events = int(np.rint(n_samples * (1.0 - background_fraction)))
        if n_fault_events < n_faults:
            raise ValueError(
                f"n_samples={n_samples} leaves {n_fault_events} fault events for "
                f"{n_faults} faults; at least one per fault is needed."
            )
        counts = _split_counts(n_fault_events, length * width)
        n_background = int(n_samples) - n_fault_events

    centers = np.empty((n_faults, 3))
    normals = np.empty((n_faults, 3))
    alongs = np.empty((n_faults, 3))
    down_dips = np.empty((n_faults, 3))
    blocks, labels = [], []
    for i in range(n_faults):
        along, down_dip, normal = _plane_axes(strike[i], dip[i])
        normals[i] = normal
        alongs[i], down_dips[i] = along, down_dip
        corners = np.array(
            [
                sa * 0.5 * length[i] * along + sd * 0.5 * width[i] * down_dip
                for sa in (-1, 1)
                for sd in (-1, 1)
            ]
        )
        half_extent = np.abs(corners).max(axis=0)
        low = np.minimum(half_extent, 0.5 * domain)
        centers[i] = rng.uniform(low, domain - low)
        if kernel == "rectangle":
            u = rng.uniform(-0.5, 0.5, size=counts[i]) * length[i]
            v = rng.uniform(-0.5, 0.5, size=counts[i]) * width[i]
        else:
            u = rng.normal(0.0, length[i] / np.sqrt(12.0), size=counts[i])
            v = rng.normal(0.0, width[i] / np.sqrt(12.0), size=counts[i])
        points = centers[i] + np.outer(u, along) + np.outer(v, down_dip)
        if location_error_km > 0 and scatter == "isotropic":
            points += rng.normal(0.0, location_error_km, size=points.shape)
        elif location_error_km > 0:
            points += np.outer(rng.normal(0.0, location_error_km, counts[i]), normal)
        blocks.append(points)
        labels.append(np.full(counts[i], i, dtype=np.int64))

    blocks.append(rng.uniform(0.0, 1.0, size=(n_background, 3)) * domain)
    labels.append(np.full(n_background, -1, dtype=np.int64))
    X = np.concatenate(blocks)
    y = np.concatenate(labels)
    if shuffle:
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    out = (X, y)
    if event_error_km is not None:
        sigma = event_error_km * np.exp(event_error_log_std * rng.normal(size=len(y)))
        X += sigma[:, None] * rng.normal(size=X.shape)
        out = (X, y, sigma)
    if not return_faults:
        return out
    faults = {
        "centers": centers,
        "strike": strike,
        "dip": dip,
        "length": length,
        "width": width,
        "normals": normals,
        "along_strike": alongs,
        "down_dip": down_dips,
        "n_events": counts,
        "domain": domain,
        "location_error_km": float(location_error_km),
        "scatter": scatter,
    }
    if event_error_km is not None:
        faults["event_error_km"] = float(event_error_km)
        faults["event_error_log_std"] = float(event_error_log_std)
    return (*out, faults)
