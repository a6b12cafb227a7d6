"""Evaluation: loss and accuracy over a data set, the event engine, device mismatch."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int

from felice._validation import check_finite
from felice.networks import SpikingNetwork, apply_mismatch
from felice.training._config import TrainConfig
from felice.training._loss import _MEMBRANE_READOUTS, forward, loss_fn, predictions


@eqx.filter_jit
def _eval_batch(network: SpikingNetwork, x: Array, labels: Array, config: TrainConfig):
    return loss_fn(network, x, labels, config)


def _check_dataset(
    x: ArrayLike, labels: ArrayLike, n_out: int, split: str = ""
) -> tuple[np.ndarray, np.ndarray]:
    """`(x, labels)` as arrays, or a `ValueError`: x must be finite with shape (n, features),
    labels integers in [0, n_out) with shape (n,). `split` ("train ", "val ") prefixes the names."""
    x, labels = np.asarray(x), np.asarray(labels)
    xs, ls = f"{split}x", f"{split}labels"
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"{xs} must have shape (n, features) with n >= 1, got shape {x.shape}")
    check_finite(xs, x)
    if labels.shape != (len(x),):
        raise ValueError(f"{ls} must have shape ({len(x)},) to match {xs}, got shape "
                         f"{labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{ls} must be integers, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= n_out:
        raise ValueError(f"{ls} must lie in [0, n_out) = [0, {n_out}), got {ls} from "
                         f"{labels.min()} to {labels.max()}")
    return x, labels


def evaluate(
    network: SpikingNetwork, x: Float[ArrayLike, "n features"], labels: Int[ArrayLike, " n"],
    config: TrainConfig, batch_size: int = 500,
) -> dict[str, float]:
    """Mean loss and accuracy over a data set (batches of `batch_size`; the last may be short)."""
    x, labels = _check_dataset(x, labels, config.n_out)
    tot = {"loss": 0.0, "accuracy": 0.0, "hidden_spikes": 0.0}
    for a in range(0, len(x), batch_size):
        xb, yb = x[a : a + batch_size], labels[a : a + batch_size]
        loss, m = _eval_batch(network, jnp.asarray(xb, jnp.float32), jnp.asarray(yb), config)
        w = len(xb) / len(x)
        tot["loss"] += float(loss) * w
        tot["accuracy"] += float(m["accuracy"]) * w
        tot["hidden_spikes"] += float(m["hidden_spikes"]) * w
    return tot


def event_scores(
    network: SpikingNetwork, x: Float[ArrayLike, "batch features"], config: TrainConfig,
    *, rtol: float = 1e-6, atol: float = 1e-8, max_spikes: int = 64,
) -> Float[Array, "batch n_out"]:
    """Class scores of a batch from the event-based engine (`felice.simulate`).

    The same network and encoding as `forward`, but spikes are exact threshold or
    fixpoint crossings of an adaptive solve and input and recurrent spikes arrive at
    their exact times. Scores as in `forward`: membrane maxima over a saved grid of
    step `config.dt` (t = dt … t_max, the grid of the fixed-step trace) for "max" and
    "mean", spike counts ("count") or first-spike times ("ttfs").

    Args:
        network, x, config: as for `forward`; x has shape `(batch, features)`.
        rtol, atol: tolerances of the adaptive solver.
        max_spikes: spike buffer per neuron and trial (an integer ≥ 1).

    Raises:
        ValueError: for max_spikes < 1.
        equinox.EquinoxRuntimeError: at run time, if a neuron spiked more than
            `max_spikes` times in a trial (the message names the argument) or the
            simulation failed otherwise.
    """
    from felice.inputs import SpikeTrain
    from felice.simulation import STATUS_MESSAGES, Status, simulate

    if isinstance(max_spikes, bool) or not isinstance(max_spikes, (int, np.integer)) \
            or max_spikes < 1:
        raise ValueError(f"max_spikes must be an integer ≥ 1, got max_spikes={max_spikes!r}")

    times = config.encoder.times(jnp.asarray(x, network.w_in.weight.dtype))  # (batch, channels)
    n = network.n_neurons
    w_in = network.w_in.effective  # (channels, neurons)
    channels = w_in.shape[0]
    targets = jnp.tile(jnp.arange(n), channels)
    weights = w_in.reshape(-1)
    y0 = network.init_state()
    out = network.output_slice
    # the fixed-step trace's grid: the state after each step, t_1 … t_n
    saveat = (np.arange(config.n_steps) + 1) * config.dt
    membrane_readout = _MEMBRANE_READOUTS.get(config.readout)

    def one(t_channels):
        train = SpikeTrain(jnp.repeat(t_channels, n), targets, weights)
        result = simulate(network, t1=config.t_max, y0=y0, inputs=train, rtol=rtol, atol=atol,
                          saveat=saveat if membrane_readout else None,
                          max_spikes=int(max_spikes), autodiff="forward", throw=False)
        if membrane_readout:
            membrane = jax.vmap(network.membrane)(result.ys)[:, out]
            score = config.readout_gain * membrane_readout(membrane)
        elif config.readout == "count":
            score = config.readout_gain * result.spike_counts[out].astype(result.y1.dtype)
        else:
            score = jnp.minimum(result.spike_times[out, 0], config.t_max)
        return score, result.status

    scores, status = jax.vmap(one)(times)
    overflow = f"a neuron spiked more than max_spikes={int(max_spikes)} times in a trial"
    messages = [
        f"event_scores: {overflow}; pass a larger max_spikes to event_scores/evaluate_events"
        if s == Status.SPIKE_OVERFLOW
        else f"event_scores: felice.simulate failed: {STATUS_MESSAGES[s]}"
        for s in Status
    ]
    worst = jnp.max(status)  # OK = 0; any failure is reported
    return eqx.branched_error_if(scores, worst != Status.OK, worst, messages)


def evaluate_events(
    network: SpikingNetwork, x: Float[ArrayLike, "n features"], labels: Int[ArrayLike, " n"],
    config: TrainConfig, batch_size: int = 100, max_spikes: int = 64,
) -> dict[str, float]:
    """Accuracy of the event-based engine on a data set, and its agreement with `forward`.

    `max_spikes` is the spike buffer per neuron and trial of `event_scores`.

    Returns:
        `{"accuracy": ..., "accuracy_fixed_step": ..., "agreement": ...}`: accuracies of
        the event engine and of the fixed-step simulation used in training, and the
        fraction of samples on which the two predict the same class.
    """
    x, labels = _check_dataset(x, labels, config.n_out)
    score_events = eqx.filter_jit(functools.partial(event_scores, max_spikes=max_spikes))
    score_fixed = eqx.filter_jit(lambda net, xb: forward(net, xb, config)[0])
    hits = hits_fixed = same = 0
    for a in range(0, len(x), batch_size):
        xb = jnp.asarray(x[a : a + batch_size], network.w_in.weight.dtype)
        pe = np.asarray(predictions(score_events(network, xb, config), config))
        pf = np.asarray(predictions(score_fixed(network, xb), config))
        yb = labels[a : a + batch_size]
        hits += int(np.sum(pe == yb))
        hits_fixed += int(np.sum(pf == yb))
        same += int(np.sum(pe == pf))
    return {"accuracy": hits / len(x), "accuracy_fixed_step": hits_fixed / len(x),
            "agreement": same / len(x)}


def evaluate_mismatch(
    network: SpikingNetwork, x: Array, labels: Array, config: TrainConfig, *,
    sigma_bias: float, sigma_kappa: float, n_draws: int = 5, seed: int = 123,
) -> list[float]:
    """Test accuracy of `n_draws` independently mismatched copies of `network`.

    `x` is the input batch, shape `(batch, n_features)`, `labels` shape `(batch,)`;
    `sigma_bias` and `sigma_kappa` are relative standard deviations (dimensionless) of the
    per-neuron bias currents and κ. Returns one accuracy in [0, 1] per draw.
    """
    accs = []
    for k in range(n_draws):
        net = apply_mismatch(network, jax.random.PRNGKey(seed + k),
                             sigma_bias=sigma_bias, sigma_kappa=sigma_kappa)
        accs.append(evaluate(net, x, labels, config)["accuracy"])
    return accs
