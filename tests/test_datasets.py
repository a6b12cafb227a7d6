"""Yin-Yang generator and the Braille loader."""

import pickle

import numpy as np
import pytest

from felice.datasets import load_braille, yin_yang, yin_yang_class, yin_yang_splits


def _reference_class(x, y):
    """The published rule, written point by point with complex numbers."""
    p = complex(x, y)
    d_r, d_l = abs(p - complex(0.75, 0.5)), abs(p - complex(0.25, 0.5))
    if min(d_r, d_l) < 0.1:
        return 2
    if d_r <= 0.1 or 0.1 < d_l <= 0.25 or (y > 0.5 and d_r > 0.25):
        return 1
    return 0


@pytest.mark.parametrize("point,label", [
    ((0.75, 0.5), 2), ((0.25, 0.5), 2), ((0.22, 0.53), 2),   # the two dots
    ((0.5, 0.9), 1), ((0.25, 0.35), 1), ((0.25, 0.68), 1),   # yang: upper half, ring round the left dot
    ((0.5, 0.1), 0), ((0.75, 0.65), 0), ((0.75, 0.32), 0),   # yin: lower half, ring round the right dot
])
def test_hand_checked_points(point, label):
    assert int(yin_yang_class(*point)) == label
    assert _reference_class(*point) == label


def test_generated_points_balance_and_rule():
    x, labels = yin_yang(10_000, seed=3)
    assert x.shape == (10_000, 4) and labels.shape == (10_000,)
    frac = np.bincount(labels, minlength=3) / 10_000
    assert np.all(np.abs(frac - 1 / 3) < 0.02), frac
    assert np.all(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5) <= 0.5)
    np.testing.assert_allclose(x[:, 2:], 1 - x[:, :2])
    ref = np.array([_reference_class(a, b) for a, b in x[:2000, :2]])
    np.testing.assert_array_equal(labels[:2000], ref)


def test_seeds_reproduce_and_splits_differ():
    a, la = yin_yang(50, 7)
    b, lb = yin_yang(50, 7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    s = yin_yang_splits(40, 20, 20, seed=1)
    assert {k: len(v[0]) for k, v in s.items()} == {"train": 40, "val": 20, "test": 20}
    assert not np.allclose(s["val"][0][:20], s["test"][0][:20])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        yin_yang(0)


def _synthetic_braille(tmp_path, layout):
    rng = np.random.default_rng(0)
    letters = ["A", "Space", "Z"]
    events = [[np.sort(rng.uniform(0, 1000, rng.integers(0, 5))) for _ in range(24)] for _ in letters]
    if layout == "records":
        table = [{"letter": l, "events": e} for l, e in zip(letters, events)]
    else:
        table = {"letter": letters, "events": events}
    path = tmp_path / "braille.pkl"
    path.write_bytes(pickle.dumps(table))
    return path, letters, events


@pytest.mark.parametrize("layout", ["records", "columns"])
def test_braille_loader_on_synthetic_file(tmp_path, layout):
    path, letters, events = _synthetic_braille(tmp_path, layout)
    samples, labels = load_braille(path)
    np.testing.assert_array_equal(labels, [1, 0, 26])
    for (times, channels), ev in zip(samples, events):
        assert np.all(np.diff(times) >= 0)
        for c in range(24):
            np.testing.assert_allclose(np.sort(times[channels == c]), ev[c] * 1e-3)


def test_braille_loader_rejects_bad_files(tmp_path):
    path = tmp_path / "bad.pkl"
    path.write_bytes(pickle.dumps({"letter": ["?"], "events": [[[1.0]]]}))
    with pytest.raises(ValueError, match="letter='\\?'"):
        load_braille(path)
    path.write_bytes(pickle.dumps({"label": ["A"]}))
    with pytest.raises(ValueError, match="'letter' and 'events'"):
        load_braille(path)
    path.write_bytes(pickle.dumps({"letter": ["A"], "events": [[[-1.0]]]}))
    with pytest.raises(ValueError, match="negative"):
        load_braille(path)
