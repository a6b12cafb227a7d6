"""A network of circuit neurons and synapses, itself an `AbstractResettingNeuron` over all its neurons.

State: the states of all `n_neurons` neurons stacked, shape `(n_neurons, n_state)`:
the neuron model's columns, then the synapse's (`AbstractSynapse.state_names`, e.g.
`I_syn`). The synapse's current enters each neuron through the neuron's declared
input, `neuron.input_current(I)` as `args["I_ext"]` (model current units). A model
that integrates its synaptic current itself (FHNRS: its own `I_syn` column) is
connected without a synapse (`synapse=None`): spikes then arrive through the
neuron's own `input_spike`. Which synapse a circuit's networks use by default is
its `network_synapse` class variable.

Spikes travel with zero delay through weight matrices (model current units):
- an output spike of neuron i first resets neuron i (the neuron's own
  `reset_spiked`, for a resetting neuron; it is then held for its
  `refractory_period`), then delivers `w_rec[i, j]` to the synapse of every neuron j
  (`reset_spiked`);
- an external spike on input channel c delivers `w_in[c, j]` to the synapse of
  neuron j (`input_spike(y, network.input_weights(counts))`).

The event-based engine and `simulate_fixed` both call these methods, so they run
the same network. Spikes are upward zero crossings of each neuron's own spike
condition; a neuron re-arms only after its own `rearm_condition` has been negative
(the latch that keeps a bistable neuron resting at a fixpoint from spiking again).
"""

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray

from felice.networks._synapse import SYNAPSES, AbstractSynapse
from felice.networks._synapses import Connection, dense, layered_mask
from felice.neuron_models import (
    AbstractCircuit,
    AbstractNeuron,
    AbstractResettingNeuron,
    external_current,
    get_model,
    model_class,
    require,
)

MODEL_SYNAPSE = "model"
"""`synapse=` value meaning: the synapse the neuron's circuit declares (`network_synapse`)."""


def model_synapse(
    neuron: AbstractNeuron, tau_syn: float | None = None, dtype: Any = jnp.float32
) -> AbstractSynapse | None:
    """The synapse that the neuron's circuit declares for its networks (`network_synapse`),
    with decay time `tau_syn` (model time units; None: the synapse's default); None for a
    circuit that integrates its synaptic current itself.

    Raises:
        TypeError: if `neuron` is not an `AbstractCircuit` (pass a synapse explicitly).
    """
    require(neuron, AbstractCircuit, "the default synapse of a SpikingNetwork (or pass synapse=)")
    spec = type(neuron).network_synapse
    if spec is None:
        return None
    kw = {k: v for k, v in spec.items() if k != "kind"}
    if tau_syn is not None:
        kw["tau_syn"] = tau_syn
    return SYNAPSES[spec["kind"]](**kw, dtype=dtype)


class SpikingNetwork(AbstractResettingNeuron):
    """Neurons of one circuit model connected through synapses.

    Attributes:
        neuron: the population model of all `n_neurons` neurons (parameters scalar
            or one value per neuron).
        synapse: the synapse of every neuron (`AbstractSynapse`), or None: spikes
            arrive through the neuron's own `input_spike`.
        w_in: input connection, shape `(n_inputs, n_neurons)`.
        w_rec: neuron-to-neuron connection, shape `(n_neurons, n_neurons)`; a
            layered feed-forward network is a block mask (`layered_mask`).
        rest_guess: starting point of the Newton search for each neuron's resting
            state, shape `(n_neurons, n_state of the neuron)` (default: the neuron's
            `init_state`).
        layer_sizes: static, the number of neurons in each layer (outputs last).
    """

    neuron: AbstractNeuron
    synapse: AbstractSynapse | None
    w_in: Connection
    w_rec: Connection
    rest_guess: Float[Array, "neurons n_neuron_state"]
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
        synapse: AbstractSynapse | None | str = MODEL_SYNAPSE,
        rest_guess: Float[ArrayLike, "neurons n_neuron_state"] | None = None,
    ):
        """Assemble a network; see `feedforward` for the usual construction.

        `synapse` is an `AbstractSynapse`, None (the neuron's own `input_spike`), or
        `"model"`: the synapse the neuron's circuit declares (`model_synapse`).

        Raises:
            ValueError: if the connection shapes, layer sizes and the neuron
                population disagree.
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
        dtype = w_in.weight.dtype
        if isinstance(synapse, str):
            if synapse != MODEL_SYNAPSE:
                raise ValueError(f"synapse must be an AbstractSynapse, None or "
                                 f"{MODEL_SYNAPSE!r}, got synapse={synapse!r}")
            synapse = model_synapse(neuron, dtype=dtype)
        self.neuron = neuron
        self.synapse = synapse
        self.w_in = w_in
        self.w_rec = w_rec
        self.layer_sizes = layer_sizes
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
        synapse: AbstractSynapse | None | str = MODEL_SYNAPSE,
        tau_syn: float | None = None,
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
            synapse: an `AbstractSynapse`, None (spikes arrive through the neuron's own
                `input_spike`), or `"model"`: the circuit's `network_synapse`.
            tau_syn: decay time of the circuit's synapse (model time units; None: its
                default). Only with `synapse="model"`; unused where the circuit has no
                synapse of its own (FHNRS sets its `tau_syn` as a neuron parameter).
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
        if isinstance(synapse, str) and synapse == MODEL_SYNAPSE:
            synapse = model_synapse(neuron, tau_syn, dtype)
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
        return cls(neuron, w_in, w_rec, layers, synapse=synapse)

    # -- structure --------------------------------------------------------------

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
    def resets(self) -> bool:
        """Whether the neurons reset at their spikes (`AbstractResettingNeuron`)."""
        return isinstance(self.neuron, AbstractResettingNeuron)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The neuron model's state columns, then the synapse's."""
        return self.neuron.state_names + (() if self.synapse is None else self.synapse.state_names)

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
        """SI value of one model unit of each state column (synaptic states: currents)."""
        scale = self.neuron.state_scale
        if self.synapse is None:
            return scale
        syn = jnp.broadcast_to(self.current_unit.astype(scale.dtype), (self.synapse.n_state,))
        return jnp.concatenate([scale, syn])

    def to_circuit(self) -> dict[str, Array]:
        """Hardware view: the neuron and synapse circuit values in SI units.

        Keys: those of `neuron.to_circuit()` (per-neuron arrays), those of the
        synapse's `to_circuit` broadcast to one value per neuron (prefixed `synapse_`
        where a neuron key has the same name), `w_in` and `w_rec` (the weight of one
        spike in A, masked), `mask_in` and `mask_rec`; their units: `circuit_units`.
        Not the arguments of a `from_circuit`: a network is rebuilt with its
        constructor. Needs an `AbstractCircuit` neuron.
        """
        require(self.neuron, AbstractCircuit, "SpikingNetwork.to_circuit")
        out = dict(self.neuron.to_circuit())
        if self.synapse is not None:
            keys = self._synapse_keys()
            for k, v in self.synapse.to_circuit(self.time_unit, self.current_unit).items():
                out[keys[k]] = jnp.broadcast_to(v, (self.n_neurons,))
        out["w_in"] = self.w_in.effective * self.current_unit
        out["w_rec"] = self.w_rec.effective * self.current_unit
        out["mask_in"] = self.w_in.mask
        out["mask_rec"] = self.w_rec.mask
        return out

    @property
    def circuit_units(self) -> dict[str, str]:
        """The SI unit of each key of `to_circuit()` (`""`: dimensionless)."""
        require(self.neuron, AbstractCircuit, "SpikingNetwork.circuit_units")
        units = dict(type(self.neuron).circuit_units)
        if self.synapse is not None:
            keys = self._synapse_keys()
            units.update({keys[k]: u for k, u in self.synapse.circuit_units.items()})
        return {**units, "w_in": "A", "w_rec": "A", "mask_in": "", "mask_rec": ""}

    def _synapse_keys(self) -> dict[str, str]:
        """The `to_circuit` key of each of the synapse's circuit values."""
        taken = type(self.neuron).circuit_units
        return {k: f"synapse_{k}" if k in taken else k for k in self.synapse.circuit_units}

    # -- dynamics ---------------------------------------------------------------

    def _split(self, y: Array, args: Any) -> tuple[Array, Any]:
        """The neuron model's state and its args, with the synaptic current in `I_ext`."""
        if self.synapse is None:
            return y, args
        k = self.neuron.n_state
        drive = self.neuron.input_current(self.synapse.current(y[:, k:]))
        drive = drive + external_current(args, drive.shape, drive.dtype)
        return y[:, :k], {**(args or {}), "I_ext": drive}

    def init_state(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """Every neuron at rest with no synaptic activity, shape `(n_neurons, n_state)`.

        The resting state is the root of the neuron's vector field without input,
        found by Newton's method from `rest_guess` (differentiable with respect to the
        parameters by implicit differentiation; raises at run time through
        `eqx.error_if` if Newton fails).
        """
        n = self.n_neurons if n_neurons is None else n_neurons
        if n != self.n_neurons:
            raise ValueError(f"n_neurons={n} but the network has {self.n_neurons} neurons")
        rest = _rest(self.neuron.broadcast_to_neurons(n), self.rest_guess)
        if self.synapse is None:
            return rest
        return jnp.concatenate([rest, self.synapse.init_state(n).astype(rest.dtype)], axis=1)

    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, "neurons n_state"]:
        """dy/dt of every neuron and synapse, shape `(n_neurons, n_state)`.

        `args` is passed on to the neuron (`"refractory"` included), its `I_ext`
        added to the synaptic current.
        """
        self.check_state(y)
        y_n, n_args = self._split(y, args)
        f = self.neuron.dynamics(t, y_n, n_args)
        if self.synapse is None:
            return f
        return jnp.concatenate([f, self.synapse.dynamics(y[:, self.neuron.n_state:])], axis=1)

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
        """Each neuron's own re-arming condition, synaptic drive included, `(n_neurons,)`.

        (The bistable circuits' `network_defaults` set `rearm_factor` = 1.001: a network
        neuron re-arms once its fixpoint condition is clearly negative, not just by
        rounding; see docs/numerics.md.)
        """
        self.check_state(y)
        y_n, n_args = self._split(y, args)
        return self.neuron.rearm_condition(t, y_n, n_args)

    def input_weights(self, counts: Float[ArrayLike, " n_inputs"]) -> Float[Array, " neurons"]:
        """Summed input weight per neuron for `counts[c]` spikes on each input channel c.

        `counts` has shape `(n_inputs,)`; the result, shape `(n_neurons,)`, is in model
        current units.

        With `input_spike` this is what the event engine applies at an input time:
        `y = net.input_spike(y, net.input_weights(one_hot(channel, n_inputs)))`.
        """
        return self.w_in(counts)

    def input_spike(
        self,
        y: Float[Array, "neurons n_state"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons n_state"]:
        """Spikes of summed weight `weights` (model current units) arrive at each neuron's
        synapse (`synapse.receive`), or through the neuron's own `input_spike`."""
        self.check_state(y)
        w = jnp.broadcast_to(jnp.asarray(weights, y.dtype), y.shape[:1])
        if self.synapse is None:
            return self.neuron.input_spike(y, w)
        k = self.neuron.n_state
        return jnp.concatenate([y[:, :k], self.synapse.receive(y[:, k:], w)], axis=1)

    def reset_spiked(
        self,
        y: Float[Array, "neurons n_state"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons n_state"]:
        """Reset the neurons in `spiked` (their own `reset_spiked`, for resetting neurons),
        then deliver their spikes to their targets through `w_rec` (`input_spike`).

        `spiked` may be boolean or 0/1 floats carrying a surrogate gradient. Neurons
        that do not reset keep their state (their spike is part of their continuous
        dynamics).
        """
        self.check_state(y)
        if self.resets:
            k = self.neuron.n_state
            y = jnp.concatenate([self.neuron.reset_spiked(y[:, :k], spiked), y[:, k:]], axis=1)
        return self.input_spike(y, self.w_rec(spiked))

    @property
    def refractory_period(self) -> Float[Array, "*neurons"]:
        """The neuron's refractory period (model time units); 0 for neurons that do not reset."""
        if self.resets:
            return self.neuron.refractory_period
        return jnp.zeros((), self.w_in.weight.dtype)

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

    def observe(self, y: Float[Array, "neurons n_state"]) -> Float[Array, "neurons n_obs"]:
        """The neuron model's observed node voltages, model voltage units."""
        self.check_state(y)
        return self.neuron.observe(self._split(y, None)[0])

    def currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """The neuron model's branch currents, the synaptic drive included.

        Model current units, each of shape `(n_neurons,)`; `y` has shape `(n_neurons, n_state)`.
        Needs an `AbstractCircuit` neuron.
        """
        self.check_state(y)
        require(self.neuron, AbstractCircuit, "SpikingNetwork.currents")
        y_n, n_args = self._split(y, args)
        return self.neuron.currents(y_n, n_args)


def _rest(neuron: AbstractNeuron, guess: Array) -> Array:
    """Resting state of each neuron (per-neuron parameters): Newton from `guess`."""
    eps = float(jnp.finfo(guess.dtype).eps)

    def solve(model: AbstractNeuron, y0: Array) -> tuple[Array, Array]:
        def field(y, _):
            return model.dynamics(0.0, y[None], None)[0]

        sol = optx.root_find(field, optx.Newton(rtol=100 * eps, atol=100 * eps),
                             jax.lax.stop_gradient(y0), max_steps=64, throw=False)
        return sol.value, jnp.max(jnp.abs(field(sol.value, None)))

    rest, residual = eqx.filter_vmap(solve)(neuron, guess)
    return eqx.error_if(rest, ~jnp.all(residual < 1e3 * jnp.sqrt(eps)),
                        "no resting fixpoint found from rest_guess (parameters moved too far)")
