"""Classification data sets for spiking networks: Yin-Yang and Braille reading.

Yin-Yang (Kriener et al. 2022): points in the unit square inside a disc of radius
0.5 around (0.5, 0.5), in three classes (yin, yang, dot); features (x, y, 1 − x,
1 − y). Braille reading (Müller-Cleve et al. 2022): event-coded tactile
recordings of 27 letters, loaded from a local file (it is hosted online only).
"""

import pickle
from pathlib import Path

import numpy as np
from jaxtyping import ArrayLike, Float, Int

R_BIG = 0.5
R_SMALL = 0.1
YIN_YANG_CLASSES = ("yin", "yang", "dot")
BRAILLE_LETTERS = ("Space", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def yin_yang_class(
    x: Float[ArrayLike, "*n"], y: Float[ArrayLike, "*n"]
) -> Int[np.ndarray, "*n"]:
    """Class of points (x, y) inside the big circle: 0 yin, 1 yang, 2 dot.

    d_R, d_L are the distances to (0.75, 0.5) and (0.25, 0.5); a dot if either is
    below r_small = 0.1, else yang if d_R ≤ r_small or r_small < d_L ≤ 0.25 or
    (y > 0.5 and d_R > 0.25), else yin.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    d_r = np.hypot(x - 0.75, y - 0.5)
    d_l = np.hypot(x - 0.25, y - 0.5)
    dot = (d_r < R_SMALL) | (d_l < R_SMALL)
    yang = (d_r <= R_SMALL) | ((d_l > R_SMALL) & (d_l <= 0.25)) | ((y > 0.5) & (d_r > 0.25))
    return np.where(dot, 2, np.where(yang, 1, 0))


def yin_yang(
    n: int, seed: int = 0
) -> tuple[Float[np.ndarray, "n 4"], Int[np.ndarray, " n"]]:
    """`n` Yin-Yang samples with balanced classes.

    Each sample first draws its class uniformly, then rejection-samples points
    uniform in the unit square (kept only inside the big circle) until one has
    that class.

    Args:
        n: number of samples (≥ 1).
        seed: seed of the NumPy random generator (same seed, same samples).

    Returns:
        `(features, labels)`: features `(n, 4)` = (x, y, 1 − x, 1 − y) in [0, 1],
        float64; labels `(n,)` int in {0, 1, 2} (see `yin_yang_class`).

    Raises:
        ValueError: if n is not a positive integer.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got n={n!r}")
    rng = np.random.default_rng(seed)
    wanted = rng.integers(0, 3, size=n)
    points = np.empty((n, 2))
    todo = np.arange(n)
    while todo.size:
        xy = rng.uniform(0.0, 1.0, size=(todo.size, 2))
        inside = np.hypot(xy[:, 0] - 0.5, xy[:, 1] - 0.5) <= R_BIG
        ok = inside & (yin_yang_class(xy[:, 0], xy[:, 1]) == wanted[todo])
        points[todo[ok]] = xy[ok]
        todo = todo[~ok]
    features = np.concatenate([points, 1.0 - points], axis=1)
    return features, wanted.astype(np.int64)


def yin_yang_splits(
    n_train: int = 5000, n_val: int = 1000, n_test: int = 1000, seed: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The usual train/validation/test splits, from independent seeds derived from `seed`.

    Returns:
        `{"train": (x, y), "val": (x, y), "test": (x, y)}` as from `yin_yang`: features
        `x` of shape `(n, 4)`, labels `y` of shape `(n,)`.
    """
    seeds = np.random.SeedSequence(seed).spawn(3)
    sizes = dict(train=n_train, val=n_val, test=n_test)
    return {
        name: yin_yang(size, int(s.generate_state(1)[0]))
        for (name, size), s in zip(sizes.items(), seeds)
    }


def load_braille(
    path: str | Path, *, time_scale: float = 1e-3, letters: tuple[str, ...] = BRAILLE_LETTERS
) -> tuple[list[tuple[np.ndarray, np.ndarray]], Int[np.ndarray, " n"]]:
    """Load the event-coded Braille reading data set from a local pickle file.

    Format (the layout of the published event-coded files): a pickle of a table
    with a column `"letter"` (one of `letters`, e.g. "A" or "Space") and a column
    `"events"`, one entry per sample: a sequence of channels (taxels × ON/OFF),
    each a 1-D array of spike times. The table may be a pandas DataFrame, a dict
    of two lists, or a list of `{"letter": ..., "events": ...}` records. Only
    open files you trust: unpickling runs code.

    Args:
        path: the pickle file.
        time_scale: seconds per time unit of the stored spike times (1e-3: ms).
        letters: class names; a label is the index of the letter in `letters`.

    Returns:
        `(samples, labels)`: `samples[i] = (times, channels)`, spike times in s
        (float64, sorted) and the channel index of each spike (int64);
        labels `(n,)` int64.

    Raises:
        ValueError: if the file lacks the columns, a letter is unknown, or a
            spike time is negative or not finite.
    """
    with open(path, "rb") as f:
        table = pickle.load(f)
    if isinstance(table, list):
        try:
            table = {k: [r[k] for r in table] for k in ("letter", "events")}
        except (KeyError, TypeError):
            raise ValueError(
                f"{path}: records must be mappings with 'letter' and 'events'"
            ) from None
    try:
        letter_col, event_col = list(table["letter"]), list(table["events"])
    except (KeyError, TypeError, IndexError):
        raise ValueError(f"{path}: expected columns 'letter' and 'events'") from None
    index = {name: k for k, name in enumerate(letters)}
    samples, labels = [], []
    for i, (letter, channels) in enumerate(zip(letter_col, event_col)):
        if letter not in index:
            raise ValueError(f"{path}: sample {i} has letter={letter!r}, not one of {letters}")
        times = [np.asarray(t, float).ravel() * time_scale for t in channels]
        ids = [np.full(t.size, c, np.int64) for c, t in enumerate(times)]
        t_all = np.concatenate(times) if times else np.zeros(0)
        c_all = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        if not np.all(np.isfinite(t_all)) or np.any(t_all < 0):
            raise ValueError(f"{path}: sample {i} has negative or non-finite spike times")
        order = np.argsort(t_all, kind="stable")
        samples.append((t_all[order], c_all[order]))
        labels.append(index[letter])
    return samples, np.asarray(labels, np.int64)
