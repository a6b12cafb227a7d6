"""The training loop: state, step, batches, checkpoints that resume bit-exactly, `fit`."""

import hashlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Int

from felice import _io
from felice.networks import SpikingNetwork, apply_mismatch
from felice.training._config import TrainConfig, _integer
from felice.training._evaluate import _check_dataset, evaluate
from felice.training._loss import loss_fn
from felice.training._network import build_network, constrain, trainable_filter


class TrainState(eqx.Module):
    """Everything a run needs to continue: network, optimiser state and step count."""

    network: SpikingNetwork
    opt_state: Any
    step: Int[Array, ""]


def optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam with global-norm gradient clipping at 1; the learning rate is constant, or
    follows a cosine decay from `lr` to `lr/20` over `lr_decay_steps` steps."""
    lr = config.lr
    if config.lr_decay_steps > 0:
        lr = optax.cosine_decay_schedule(config.lr, config.lr_decay_steps, alpha=0.05)
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adam(lr))


def init_state(config: TrainConfig, n_features: int = 4) -> TrainState:
    """Fresh `TrainState` for `config`."""
    network = build_network(config, n_features)
    params = eqx.filter(network, trainable_filter(network, config.train_bias))
    return TrainState(network, optimizer(config).init(params), jnp.zeros((), jnp.int32))


@eqx.filter_jit
def train_step(
    state: TrainState, x: Array, labels: Array, config: TrainConfig
) -> tuple[TrainState, Array, dict[str, Array]]:
    """One optimisation step on a batch: gradient, Adam update, constraints.

    With mismatch enabled, the network seen by this step carries fresh mismatch
    drawn from `fold_in(PRNGKey(seed), step)`.
    """
    spec = trainable_filter(state.network, config.train_bias)
    params, static = eqx.partition(state.network, spec)

    def loss(p):
        net = eqx.combine(p, static)
        if config.mismatch_bias > 0 or config.mismatch_kappa > 0:
            key = jax.random.fold_in(jax.random.PRNGKey(config.seed + 1), state.step)
            net = apply_mismatch(net, key, sigma_bias=config.mismatch_bias,
                                 sigma_kappa=config.mismatch_kappa)
        return loss_fn(net, x, labels, config)

    (value, metrics), grads = eqx.filter_value_and_grad(loss, has_aux=True)(params)
    updates, opt_state = optimizer(config).update(grads, state.opt_state, params)
    network = constrain(eqx.apply_updates(state.network, updates), config.w_max)
    return TrainState(network, opt_state, state.step + 1), value, metrics


def batches(n: int, batch_size: int, seed: int, epoch: int) -> Iterator[np.ndarray]:
    """Index batches of one epoch: a permutation drawn from (seed, epoch); the last partial batch is dropped."""
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    for a in range(0, n - batch_size + 1, batch_size):
        yield perm[a : a + batch_size]


def _progress(epoch: int, epochs: int, k: int, n: int, loss: float, t0: float) -> None:
    done = int(30 * k / n)
    sys.stderr.write(
        f"\repoch {epoch + 1}/{epochs} [{'#' * done}{'.' * (30 - done)}] {k}/{n} "
        f"loss {loss:.4f} {time.time() - t0:.0f}s"
    )
    sys.stderr.flush()


CHECKPOINT_FILE = "state.eqx"
"""The checkpoint in its folder: a JSON line (`meta`), then the serialised `TrainState`."""


def save_checkpoint(path: str | Path, state: TrainState, meta: dict[str, Any]) -> None:
    """Write `meta` (JSON, e.g. step and history) and `state` to `path/state.eqx` atomically.

    One file, one line of strict JSON and then `eqx.tree_serialise_leaves(state)`, so
    that a reader never pairs the weights of one epoch with the history of another.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with _io.atomic_open(path / CHECKPOINT_FILE, "wb") as f:
        f.write(json.dumps(meta, allow_nan=False).encode() + b"\n")
        eqx.tree_serialise_leaves(f, state)


def load_checkpoint(
    path: str | Path, config: TrainConfig, n_features: int = 4
) -> tuple[TrainState, dict[str, Any]]:
    """Read `(state, meta)` from a checkpoint written by `save_checkpoint` for `config`.

    Raises:
        ValueError: if `path/state.eqx` is not such a checkpoint (e.g. an older layout).
    """
    file = Path(path) / CHECKPOINT_FILE
    with open(file, "rb") as f:
        try:
            meta = json.loads(f.readline())
        except ValueError:  # also UnicodeDecodeError
            meta = None
        if not isinstance(meta, dict) or not {"step", "history"} <= set(meta):
            raise ValueError(f"{file} is not a checkpoint of this felice version; start over "
                             "in another folder (another --out)")
        state = eqx.tree_deserialise_leaves(f, init_state(config, n_features))
    if int(state.step) != meta["step"]:
        raise ValueError(f"{file}: its state is at step {int(state.step)}, its history at "
                         f"step {meta['step']}")
    return state, meta


def _write_metrics(out: Path, history: list[dict[str, Any]]) -> None:
    """`out/metrics.jsonl`, one JSON line per epoch, rewritten atomically from `history`."""
    _io.atomic_write(out / "metrics.jsonl", "".join(json.dumps(r, allow_nan=False) + "\n"
                                                for r in history))


def _fingerprint(x: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Size and SHA-256 of a data set (features as float32, as trained on; labels as int64)."""
    digest = hashlib.sha256()
    for a in (np.ascontiguousarray(x, np.float32), np.ascontiguousarray(labels, np.int64)):
        digest.update(repr(a.shape).encode())
        digest.update(a.tobytes())
    return {"n": int(len(x)), "n_features": int(x.shape[1]), "sha256": digest.hexdigest()}


def _run_description(
    config: TrainConfig, train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, Any]:
    """What a run is: its configuration (the lr schedule included) and the data it sees."""
    return {"config": config.to_json(), "train": _fingerprint(*train),
            "val": None if val is None else _fingerprint(*val)}


def _data_change(split: str, old: dict | None, new: dict | None) -> str:
    if old is None or new is None:
        old_n, new_n = ("none" if d is None else f"{d['n']} samples" for d in (old, new))
        return f"{split} data: {old_n} → {new_n}"
    if old["n"] != new["n"]:
        return f"{split} data: {old['n']} → {new['n']} samples"
    if old["n_features"] != new["n_features"]:
        return f"{split} data: {old['n_features']} → {new['n_features']} features"
    return (f"{split} data: same size, other samples (sha256 {old['sha256'][:12]}… → "
            f"{new['sha256'][:12]}…)")


def _run_changes(old: dict[str, Any], new: dict[str, Any], steps_per_epoch: int) -> list[str]:
    """How run description `new` differs from `old`, as "name: old → new" lines.

    `epochs` may change; `lr_decay_steps` only where both runs decay over their whole
    length (epochs × steps_per_epoch, as `with_cosine_decay` sets it), so that a longer
    run stretches its schedule.
    """
    a, b = old["config"], new["config"]
    stretched = all(c.get("lr_decay_steps") == c.get("epochs") * steps_per_epoch for c in (a, b))
    changes = [f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in sorted(set(a) | set(b))
               if k != "epochs" and a.get(k) != b.get(k)
               and not (k == "lr_decay_steps" and stretched)]
    changes += [_data_change(split, old[split], new[split]) for split in ("train", "val")
                if old[split] != new[split]]
    return changes


def _check_resume(out: Path, run: dict[str, Any], steps_per_epoch: int) -> None:
    """Raise `ValueError` unless folder `out` is empty of runs or holds this run."""
    cfg_file, restart = out / "config.json", "or start over in another folder (another --out)"
    if not cfg_file.exists():
        if (out / "checkpoint").exists():
            raise ValueError(f"{out} holds a checkpoint but no config.json, so what it was "
                             f"trained with is unknown; delete {out / 'checkpoint'} {restart}")
        return
    saved = json.loads(cfg_file.read_text())
    if not isinstance(saved, dict) or set(saved) != set(run):
        raise ValueError(f"{cfg_file} does not describe a run of this felice version (keys "
                         f"{sorted(run)}); {restart}")
    changes = _run_changes(saved, run, steps_per_epoch)
    if changes:
        raise ValueError(
            f"{out} holds a run with a different configuration ({'; '.join(changes)}): resume "
            f"it with the settings it was started with (only epochs may change, and with them "
            f"a cosine decay over the whole run), {restart}"
        )


def fit(
    config: TrainConfig,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray] | None = None,
    out_dir: str | Path | None = None,
    *,
    progress: bool = True,
    max_steps: int | None = None,
) -> tuple[TrainState, list[dict[str, Any]]]:
    """Train for `config.epochs` epochs (or `max_steps` steps), resuming from `out_dir`.

    Each step draws its batch from the permutation of (seed, epoch) and its
    mismatch from (seed, step), so a run that is stopped and resumed from a
    checkpoint produces bit for bit the parameters of an uninterrupted run.

    Args:
        config: the hyperparameters.
        train, val: `(features, labels)` arrays.
        out_dir: folder for `config.json` (the run: `config` and the size and SHA-256
            of the training and validation data), `metrics.jsonl` (one JSON line per
            epoch, `wall_s` its duration) and `checkpoint/state.eqx` (`save_checkpoint`,
            written at the end of every epoch and when stopping at `max_steps`). Every file
            is written atomically, so a run killed at any moment resumes with the history
            of every epoch it finished. If a checkpoint is there, training resumes from
            it. The run must be the same: only `epochs` may change (raised to train on),
            and with it `lr_decay_steps` where both runs decay over their whole length
            (`with_cosine_decay`), so that the schedule stretches.
        progress: print a progress bar to stderr.
        max_steps: stop after this many steps in total (for tests and short runs).

    Returns:
        The final `TrainState` and the list of per-epoch metrics.

    Raises:
        ValueError: for bad settings or data; if `out_dir` holds another run (the
            message lists what changed, old → new) or a checkpoint without `config.json`.
    """
    if max_steps is not None:
        _integer("max_steps", max_steps, 0)
    x, labels = _check_dataset(*train, config.n_out, "train ")
    if val is not None:
        val = _check_dataset(*val, config.n_out, "val ")
    x = x.astype(np.float32)
    n_features = x.shape[1]
    steps_per_epoch = len(x) // config.batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"batch_size={config.batch_size} exceeds the {len(x)} training samples")
    out = Path(out_dir) if out_dir is not None else None
    history: list[dict[str, Any]] = []
    state = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        run = _run_description(config, (x, labels), val)
        _check_resume(out, run, steps_per_epoch)
        for folder, name in ((out, "config.json"), (out, "metrics.jsonl"),
                             (out / "checkpoint", CHECKPOINT_FILE)):
            _io.remove_orphans(folder, name)  # left by a killed run; only one run uses `out`
        _io.atomic_write(out / "config.json", json.dumps(run, allow_nan=False, indent=1))
        if (out / "checkpoint" / CHECKPOINT_FILE).exists():
            state, meta = load_checkpoint(out / "checkpoint", config, n_features)
            history = meta["history"]
            _write_metrics(out, history)  # lags by an epoch if killed after the checkpoint
    if state is None:
        state = init_state(config, n_features)
    total = config.epochs * steps_per_epoch if max_steps is None else max_steps
    step = int(state.step)
    t0 = time.time()
    while step < total:
        t_epoch = time.time()
        epoch, k0 = divmod(step, steps_per_epoch)
        losses, accs = [], []
        for k, idx in enumerate(batches(len(x), config.batch_size, config.seed, epoch)):
            if k < k0:
                continue
            state, loss, m = train_step(state, jnp.asarray(x[idx]), jnp.asarray(labels[idx]), config)
            if not np.isfinite(float(loss)):
                raise FloatingPointError(
                    f"the training loss became non-finite at step {step + 1}; the last "
                    "checkpoint holds the state at the end of the previous epoch"
                )
            losses.append(float(loss))
            accs.append(float(m["accuracy"]))
            step += 1
            if progress:
                _progress(epoch, config.epochs, k + 1, steps_per_epoch, float(np.mean(losses)), t0)
            if step >= total:
                break
        if progress:
            sys.stderr.write("\n")
        record: dict[str, Any] = {
            "epoch": epoch + 1, "step": step, "train_loss": float(np.mean(losses)),
            "train_accuracy": float(np.mean(accs)), "wall_s": time.time() - t_epoch,
        }
        if val is not None and step % steps_per_epoch == 0:
            v = evaluate(state.network, val[0], val[1], config)
            record.update(val_loss=v["loss"], val_accuracy=v["accuracy"],
                          val_hidden_spikes=v["hidden_spikes"])
        history.append(record)
        if out is not None:
            save_checkpoint(out / "checkpoint", state, {"step": step, "history": history})
            _write_metrics(out, history)
    return state, history
