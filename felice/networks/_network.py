"""A network of circuit neurons, itself a `AbstractNeuron` over all its neurons.

State: the states of all `n_neurons` neurons stacked, shape `(n_neurons, n_state)`,
with a synaptic current column `I_syn` last. FHNRS already has one; for WereRabbit
and Boomerang the network adds it:

    dI_syn/dt = −I_syn/τ_syn,   currents into (u, v): (w_u·I_d, w_v·I_d),
    I_d = I_max·tanh(I_syn/I_max)

(model current units, i.e. units of I_bias; with the defaults w_u = 0.5 and
w_v = −0.5 a positive current charges u and discharges v). The drive I_d
saturates at `I_syn_max` (the bias of the synapse circuit, default 0.3·I_bias): a
larger drive would push a node far above its fixpoint, where the exponential
nFET current makes the circuit too stiff for a fixed-step simulation.

Spikes travel with zero delay through weight matrices (model current units):
- an output spike of neuron i adds `w_rec[i, j]` to `I_syn` of every neuron j
  (`reset_spiked`);
- an external spike on input channel c adds `w_in[c, j]` to `I_syn` of neuron j
  (`input_spike(y, network.input_weights(counts))`).

The event-based engine and `simulate_fixed` both call these methods, so they run
the same network. Spikes are upward zero crossings of each neuron's own spike
condition; a neuron re-arms only after its condition has been negative again
(the latch that keeps a bistable neuron resting at a fixpoint from spiking again),
for the bistable models by a small margin (`rearm_condition`).
"""

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray

from felice._validation import check_positive
from felice.networks._synapses import Connection, dense, layered_mask
from felice.neuron_models import (
    FHNRS,
    AbstractBistableCircuit,
    AbstractNeuron,
    AbstractResettingNeuron,
    external_current,
    get_model,
    model_class,
)

REARM_MARGIN = 1e-3
"""Re-arming margin of bistable neurons in a network, a fraction of their atol (see
`SpikingNetwork.rearm_condition`)."""


class SpikingNetwork(AbstractResettingNeuron):
    """Neurons of one circuit model connected by exponential current synapses.

    Attributes:
        neuron: the population model of all `n_neurons` neurons (parameters scalar
            or one value per neuron).
        w_in: input connection, shape `(n_inputs, n_neurons)`.
        w_rec: neuron-to-neuron connection, shape `(n_neurons, n_neurons)`; a
            layered feed-forward network is a block mask (`layered_mask`).
        tau_syn: synaptic decay time (model time units) of the added `I_syn`
            column; unused (NaN) for FHNRS, which has its own `tau_syn`.
        I_syn_max: saturation I_max of the synaptic drive of the bistable models
            (model current units); unused (NaN) for FHNRS.
        rest_guess: starting point of the Newton search for each bistable neuron's
            resting fixpoint, shape `(n_neurons, 2)`; unused for FHNRS.
        layer_sizes: static, the number of neurons in each layer (outputs last).
    """

    neuron: AbstractNeuron
    w_in: Connection
    w_rec: Connection
    tau_syn: Float[Array, "*neurons"]
    I_syn_max: Float[Array, "*neurons"]
    rest_guess: Float[Array, "neurons 2"]
    layer_sizes: tuple[int, ...] = eqx.field(static=True)

    core_ndim: ClassVar[dict[str, int]] = {"rest_guess": 1}
    unit_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        neuron: AbstractNeuron,
        w_in: Connection,
        w_rec: Connection,
        layer_sizes: tuple[int, ...],
        *,
        tau_syn: Float[ArrayLike, "*neurons"] = 0.5,
        I_syn_max: Float[ArrayLike, "*neurons"] = 0.3,
        rest_guess: Float[ArrayLike, "neurons 2"] | None = None,
    ):
        """Assemble a network; see `feedforward` for the usual construction.

        Raises:
            ValueError: if the connection shapes, layer sizes and the neuron
                population disagree, tau_syn ≤ 0 or I_syn_max ≤ 0.
        """
        layer_sizes = tuple(int(s) for s in layer_sizes)
        n = sum(layer_sizes)
        if any(s < 1 for s in layer_sizes):
            raise ValueError(f"layer_sizes must be positive, got layer_sizes={layer_sizes}")
        if w_rec.weight.shape != (n, n):
            raise ValueError(f"w_rec must have shape ({n}, {n}), got {w_rec.weight.shape}")
        if w_in.weight.shape[1] != n:
            raise ValueError(f"w_in must have shape (n_inputs, {n}), got {w_in.weight.shape}")
        size = neuron.population_size()
        if size is not None and size != n:
            raise ValueError(f"the neuron parameters describe {size} neurons, layer_sizes {n}")
        check_positive("tau_syn", tau_syn)
        check_positive("I_syn_max", I_syn_max)
        dtype = w_in.weight.dtype
        self.neuron = neuron
        self.w_in = w_in
        self.w_rec = w_rec
        self.layer_sizes = layer_sizes
        if self._has_own_syn:
            self.tau_syn = jnp.asarray(jnp.nan, dtype)
            self.I_syn_max = jnp.asarray(jnp.nan, dtype)
            self.rest_guess = jnp.zeros((n, 2), dtype)
        else:
            self.tau_syn = jnp.asarray(tau_syn, dtype)
            self.I_syn_max = jnp.asarray(I_syn_max, dtype)
            if rest_guess is None:
                rest_guess = neuron.init_state(n)
            self.rest_guess = jnp.asarray(rest_guess, dtype)

    @classmethod
    def feedforward(
        cls,
        model: str | AbstractNeuron,
        sizes: tuple[int, ...],
        *,
        key: PRNGKeyArray,
        recurrent: bool = False,
        weight_std: float | tuple[float, ...] = 1.0,
        weight_mean: float | tuple[float, ...] = 0.0,
        tau_syn: float = 0.5,
        I_syn_max: float = 0.3,
        dtype=jnp.float32,
        **neuron_params: Any,
    ) -> "SpikingNetwork":
        """A layered network `sizes = (n_inputs, n_hidden..., n_out)`.

        Args:
            model: a model name (`felice.MODELS`) built with its `network_defaults`
                updated by `neuron_params`, or a ready population model.
            sizes: input channels, then the size of each neuron layer.
            key: JAX PRNG key for the initial weights.
            recurrent: add all-to-all connections within each neuron layer.
            weight_std, weight_mean: Gaussian initial weights, one value or one per
                projection (input→layer 1, layer 1→2, ...), scaled by 1/√n_pre.
            tau_syn, I_syn_max: the added synaptic current of the bistable models.
            dtype: floating dtype.

        Returns:
            The network; its neuron parameters are broadcast to one value per neuron.
        """
        if len(sizes) < 2:
            raise ValueError(f"sizes needs inputs and at least one layer, got sizes={sizes}")
        n_in, layers = int(sizes[0]), tuple(int(s) for s in sizes[1:])
        n = sum(layers)
        if isinstance(model, str):
            params = dict(model_class(model).network_defaults)
            params.update(neuron_params)
            model = get_model(model, dtype=dtype, **params)
        neuron = model.per_neuron(n)
        n_proj = len(layers)
        std = np.broadcast_to(np.asarray(weight_std, float), (n_proj,))
        mean = np.broadcast_to(np.asarray(weight_mean, float), (n_proj,))
        keys = jax.random.split(key, n_proj + 1)
        in_mask = np.zeros((n_in, n), bool)
        in_mask[:, : layers[0]] = True
        w_in = dense(keys[0], n_in, n, mean=mean[0] / np.sqrt(n_in),
                     std=std[0] / np.sqrt(n_in), mask=in_mask, dtype=dtype)
        rec = np.zeros((n, n), dtype)
        start = np.cumsum((0, *layers))
        for p in range(1, n_proj):
            a, b, c = start[p - 1], start[p], start[p + 1]
            w = mean[p] + std[p] * np.asarray(jax.random.normal(keys[p], (b - a, c - b)))
            rec[a:b, b:c] = w / np.sqrt(b - a)
        if recurrent:
            rec += np.asarray(0.1 * jax.random.normal(keys[-1], (n, n))) / np.sqrt(n)
        mask = layered_mask(layers, recurrent=recurrent)
        w_rec = Connection(jnp.asarray(rec * mask, dtype), mask)
        return cls(neuron, w_in, w_rec, layers, tau_syn=tau_syn, I_syn_max=I_syn_max)

    # -- structure --------------------------------------------------------------

    @property
    def _has_own_syn(self) -> bool:
        return "I_syn" in self.neuron.state_names

    @property
    def n_neurons(self) -> int:
        """Total number of neurons."""
        return sum(self.layer_sizes)

    @property
    def n_inputs(self) -> int:
        """Number of external input channels."""
        return self.w_in.weight.shape[0]

    @property
    def output_slice(self) -> slice:
        """Indices of the output layer (the last one) in the neuron axis."""
        return slice(self.n_neurons - self.layer_sizes[-1], self.n_neurons)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The neuron model's state columns, then `I_syn` (added where the model has none)."""
        names = self.neuron.state_names
        return names if self._has_own_syn else (*names, "I_syn")

    # -- units ------------------------------------------------------------------

    @property
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit (the neuron model's)."""
        return self.neuron.time_unit

    @property
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit (the neuron model's)."""
        return self.neuron.voltage_unit

    @property
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit (the neuron model's); weights are in this unit."""
        return self.neuron.current_unit

    @property
    def state_scale(self) -> Float[Array, " n_state"]:
        """SI value of one model unit of each state column."""
        scale = self.neuron.state_scale
        if self._has_own_syn:
            return scale
        return jnp.concatenate([scale, self.current_unit[None].astype(scale.dtype)])

    def to_circuit(self) -> dict[str, Array]:
        """Hardware view: the neuron circuit values plus the synapses in SI units.

        Keys: those of `neuron.to_circuit()` (per-neuron arrays), `w_in` and `w_rec`
        (peak synaptic current of one spike in A, masked), `mask_in`, `mask_rec`,
        and `tau_syn` in s. Not the arguments of a `from_circuit`: a network is
        rebuilt with its constructor.
        """
        out = dict(self.neuron.to_circuit())
        out["w_in"] = self.w_in.effective * self.current_unit
        out["w_rec"] = self.w_rec.effective * self.current_unit
        out["mask_in"] = self.w_in.mask
        out["mask_rec"] = self.w_rec.mask
        if not self._has_own_syn:
            out["tau_syn"] = jnp.broadcast_to(self.tau_syn * self.time_unit, (self.n_neurons,))
        return out

    # -- dynamics ---------------------------------------------------------------

    def _split(self, y: Array, args: Any) -> tuple[Array, Any]:
        """The neuron model's state and its args, with the synaptic drive in `I_ext`."""
        if self._has_own_syn:
            return y, args
        y_n, I_syn = y[:, :-1], y[:, -1]
        n = self.neuron
        I_d = self.I_syn_max * jnp.tanh(I_syn / self.I_syn_max)
        drive = jnp.stack(jnp.broadcast_arrays(n.w_u * I_d, n.w_v * I_d), axis=1)
        drive = drive + external_current(args, drive.shape, drive.dtype)
        return y_n, {**(args or {}), "I_ext": drive}

    def init_state(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """Every neuron at rest with no synaptic current, shape `(n_neurons, n_state)`.

        FHNRS: the equilibrium (bisection). WereRabbit, Boomerang: the stable
        fixpoint reached by Newton's method from `rest_guess` (differentiable with
        respect to the parameters by implicit differentiation; raises at run time
        through `eqx.error_if` if Newton fails).
        """
        n = self.n_neurons if n_neurons is None else n_neurons
        if n != self.n_neurons:
            raise ValueError(f"n_neurons={n} but the network has {self.n_neurons} neurons")
        if self._has_own_syn:
            assert isinstance(self.neuron, FHNRS)
            return self.neuron.equilibrium(n)
        rest = _bistable_rest(self.neuron.broadcast_to_neurons(n), self.rest_guess)
        return jnp.concatenate([rest, jnp.zeros((n, 1), rest.dtype)], axis=1)

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, "neurons n_state"]:
        """dy/dt of every neuron and synaptic current, shape `(n_neurons, n_state)`."""
        self.check_state(y)
        y_n, n_args = self._split(y, args)
        f = self.neuron.dynamics(t, y_n, n_args)
        if self._has_own_syn:
            return f
        return jnp.concatenate([f, (-y[:, -1] / self.tau_syn)[:, None]], axis=1)

    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """Each neuron's own spike condition, synaptic drive included, shape `(n_neurons,)`."""
        self.check_state(y)
        y_n, n_args = self._split(y, args)
        return self.neuron.spike_condition(t, y_n, n_args)

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """A neuron that has spiked re-arms once this is negative, shape `(n_neurons,)`.

        FHNRS: the spike condition. WereRabbit, Boomerang: the spike condition g
        plus `REARM_MARGIN`·atol, i.e. g must be clearly negative, not just negative
        by rounding. Right after a fixpoint spike g is within ~1e-7 of zero (float32
        rounding of atol + rtol·rms(y) − rms(f), and the event engine's restart at
        the spike time), and a trajectory that grazes g = 0 re-armed and spiked
        again on that noise. The margin (2e-5 at atol = 0.02) is far below the
        dips of g between genuine arrivals (1e-4 … 1e-2). Both engines use it.
        (The neuron model's own `rearm_condition`, with its `rearm_factor` = 50,
        is for isolated neurons kicked directly; a network does not use it.)
        """
        c = self.spike_condition(t, y, args)
        if self._has_own_syn:
            return c
        return c + REARM_MARGIN * self.neuron.atol

    def input_weights(self, counts: Float[ArrayLike, " n_inputs"]) -> Float[Array, " neurons"]:
        """Summed input weight per neuron for `counts[c]` spikes on each input channel c.

        `counts` has shape `(n_inputs,)`; the result, shape `(n_neurons,)`, is in the
        units of the neuron's `input_spike` (model current units for FHNRS).

        With `input_spike` this is what the event engine applies at an input time:
        `y = net.input_spike(y, net.input_weights(one_hot(channel, n_inputs)))`.
        """
        return self.w_in(counts)

    def input_spike(
        self,
        y: Float[Array, "neurons n_state"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons n_state"]:
        """Add each neuron's summed input weight (model current units) to its `I_syn`."""
        self.check_state(y)
        return y.at[:, -1].add(jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1]))

    def reset_spiked(
        self,
        y: Float[Array, "neurons n_state"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons n_state"]:
        """Deliver the spikes of the neurons in `spiked` to their targets through `w_rec`.

        `spiked` may be boolean or 0/1 floats carrying a surrogate gradient. The
        spiking neurons themselves are not reset (their spike is part of their
        continuous dynamics).
        """
        self.check_state(y)
        return y.at[:, -1].add(self.w_rec(spiked))

    def membrane(self, y: Float[Array, "neurons n_state"]) -> Float[Array, " neurons"]:
        """The neuron model's readout voltage per neuron (`neuron.membrane`), `(n_neurons,)`."""
        self.check_state(y)
        return self.neuron.membrane(self._split(y, None)[0])

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The neuron model's `input_shape`."""
        return self.neuron.input_shape

    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, "neurons *input"]:
        """The neuron model's `input_current`."""
        return self.neuron.input_current(I)

    @property
    def refractory_period(self) -> Float[Array, ""]:
        """0: the network's spikes are deliveries, its neurons are not held."""
        return jnp.zeros((), self.w_in.weight.dtype)

    def observe(self, y: Float[Array, "neurons n_state"]) -> Float[Array, "neurons n_obs"]:
        """The neuron model's observed node voltages, model voltage units."""
        self.check_state(y)
        return self.neuron.observe(self._split(y, None)[0])

    def currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """The neuron model's branch currents, the synaptic drive included.

        Model current units, each of shape `(n_neurons,)`; `y` has shape `(n_neurons, n_state)`.
        """
        self.check_state(y)
        y_n, n_args = self._split(y, args)
        return self.neuron.currents(y_n, n_args)


def _bistable_rest(neuron: AbstractBistableCircuit, guess: Array) -> Array:
    """Resting fixpoint of each neuron (per-neuron parameters), Newton from `guess`."""
    eps = float(jnp.finfo(guess.dtype).eps)

    def solve(model: AbstractBistableCircuit, y0: Array) -> tuple[Array, Array]:
        def field(y, _):
            return model.dynamics(0.0, y[None], None)[0]

        sol = optx.root_find(field, optx.Newton(rtol=100 * eps, atol=100 * eps), y0,
                             max_steps=64, throw=False)
        return sol.value, jnp.max(jnp.abs(field(sol.value, None)))

    rest, residual = eqx.filter_vmap(solve)(neuron, guess)
    return eqx.error_if(rest, ~jnp.all(residual < 1e3 * jnp.sqrt(eps)),
                        "no resting fixpoint found from rest_guess (parameters moved too far)")
