"""The circuit contract: what a neuron model provides, split into capabilities.

- `AbstractNeuron`: what `felice.simulate` needs (state layout, units, dynamics,
  spike condition, input spikes, readout voltages). Every model is one.
- `AbstractResettingNeuron`: a neuron whose spikes change its state (reset and
  refractory period); the engines end a step at its spike and apply the reset.
- `AbstractVoltageClamp`: a node that can be clamped, for I–V curves and equilibria
  (`felice.analysis`).
- `AbstractCircuit`: the hardware view (SI circuit values, branch currents, supply
  currents, device mismatch) and the knowledge other layers need about the circuit
  (registry name, units, presets, network and training defaults). The models in
  `felice.MODELS` are circuits.
- `AbstractSpiceCircuit`: a circuit with a behavioural ngspice netlist (its template
  and top-level instances, as plain data for `felice.spice`).

A concrete model subclasses the capabilities it has and provides every abstract
member; every class is either abstract (its name starts with `Abstract`) or final.
A function that needs a capability checks it with `require` and names what is
missing.
"""

import abc
import dataclasses
from typing import Any, Literal, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from equinox import AbstractClassVar
from jaxtyping import Array, ArrayLike, Bool, Float, PRNGKeyArray

from felice._validation import check_interval, check_n_neurons, check_positive


class AbstractNeuron(eqx.Module):
    """A population of neurons: what `felice.simulate` needs.

    A model is a pytree whose array leaves are its parameters, so `jax.grad` and
    `jax.vmap` work with respect to any of them. Each parameter is either a scalar
    (shared by the population) or carries one value per neuron in a leading axis
    of length `n_neurons` (parameters listed in `core_ndim` have extra trailing
    axes, e.g. one value per tanh element).

    States are arrays of shape `(n_neurons, n_state)` whose columns are named by
    `state_names`; time, voltages and currents are in the model's dimensionless
    units, and `time_unit`, `voltage_unit`, `current_unit` and `state_scale`
    convert them to seconds, volts and amperes.

    The model is a diffrax vector field: `diffrax.ODETerm(model.dynamics)`.

    `args` (of `dynamics`, `spike_condition`, `currents`) is `None` or a mapping
    with the optional keys `"I_ext"`: an external current in model units added to
    the model's input, shape `(n_neurons, *input_shape)` or broadcastable to it, and
    (for resetting neurons) `"refractory"`.

    Class variables a model declares:
        core_ndim: trailing axes of each parameter that are not neurons (default
            none), e.g. `{"a": 1}` for one value per element.
        unit_fields: the fields that fix the unit system: always scalars.
    """

    core_ndim: AbstractClassVar[dict[str, int]]
    unit_fields: AbstractClassVar[tuple[str, ...]]

    # -- structure --------------------------------------------------------------

    @property
    @abc.abstractmethod
    def state_names(self) -> tuple[str, ...]:
        """Names of the state columns, in order."""

    @property
    def n_state(self) -> int:
        """Number of state variables per neuron."""
        return len(self.state_names)

    @property
    def dtype(self) -> jnp.dtype:
        """Floating dtype of the model's parameters."""
        return jnp.result_type(*[x for x in self.param_values().values()])

    @property
    @abc.abstractmethod
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the external current `args["I_ext"]` per neuron (`()`: one current)."""

    # -- units ------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def time_unit(self) -> Float[Array, ""]:
        """Seconds per model time unit."""

    @property
    @abc.abstractmethod
    def voltage_unit(self) -> Float[Array, ""]:
        """Volts per model voltage unit."""

    @property
    @abc.abstractmethod
    def current_unit(self) -> Float[Array, ""]:
        """Amperes per model current unit."""

    @property
    @abc.abstractmethod
    def state_scale(self) -> Float[Array, " n_state"]:
        """SI value of one model unit of each state column (V for voltages, A for currents)."""

    # -- dynamics ---------------------------------------------------------------

    @abc.abstractmethod
    def init_state(self, n_neurons: int) -> Float[Array, "neurons n_state"]:
        """Initial state of `n_neurons` neurons, shape `(n_neurons, n_state)`."""

    @abc.abstractmethod
    def dynamics(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, "neurons n_state"]:
        """Vector field dy/dt in model units, shape `(n_neurons, n_state)`."""

    @abc.abstractmethod
    def spike_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """One value per neuron; a spike is an upward zero crossing. Shape `(n_neurons,)`."""

    @abc.abstractmethod
    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """A neuron that has spiked may spike again only after this went below zero.

        For a threshold this is the spike condition itself (the threshold must be
        crossed from below again). Shape `(n_neurons,)`.
        """

    @abc.abstractmethod
    def input_spike(
        self,
        y: Float[Array, "neurons n_state"],
        weights: Float[ArrayLike, " neurons"] | Float[ArrayLike, ""],
    ) -> Float[Array, "neurons n_state"]:
        """State right after input spikes of the given (summed) weight per neuron arrive.

        `y` has shape `(n_neurons, n_state)`, `weights` `(n_neurons,)` (or a scalar);
        returns the new state, shape `(n_neurons, n_state)`.
        """

    @abc.abstractmethod
    def input_current(self, I: Float[ArrayLike, " neurons"]) -> Float[Array, "neurons *input"]:
        """`args["I_ext"]` for a current `I` (model current units, one per neuron, shape
        `(n_neurons,)`) injected where the neuron's synapses deliver their current.

        Returns shape `(n_neurons, *input_shape)`. Networks use it to connect a synapse.
        """

    @abc.abstractmethod
    def observe(self, y: Float[Array, "neurons n_state"]) -> Float[Array, "neurons n_obs"]:
        """Node voltages that an experimenter would measure, in model voltage units."""

    @abc.abstractmethod
    def membrane(self, y: Float[Array, "neurons n_state"]) -> Float[Array, " neurons"]:
        """One readout voltage per neuron (model voltage units), shape `(n_neurons,)`: what
        network readouts (`membrane_max`, ...) use."""

    # -- population helpers (final) ---------------------------------------------

    def param_values(self) -> dict[str, Array]:
        """The array-valued (non-static) fields by name, each a scalar or `(n_neurons, *core)`."""
        out = {}
        for field in dataclasses.fields(self):
            if field.metadata.get("static", False):
                continue
            value = getattr(self, field.name)
            if eqx.is_array(value):
                out[field.name] = value
        return out

    def population_size(self) -> int | None:
        """Number of neurons implied by per-neuron parameters, or None if all are shared.

        Raises:
            ValueError: if a unit field is not a scalar, a parameter has more than one
                neuron axis, or per-neuron parameters disagree on the number of neurons.
        """
        sizes = {}
        for name, value in self.param_values().items():
            batch_ndim = value.ndim - self.core_ndim.get(name, 0)
            if name in self.unit_fields and value.ndim > 0:
                raise ValueError(
                    f"{name} sets the unit system and must be a scalar, got shape {value.shape}"
                )
            if batch_ndim > 1:
                raise ValueError(
                    f"{name} must be a scalar or one value per neuron, got shape {value.shape}"
                )
            if batch_ndim == 1:
                sizes[name] = value.shape[0]
        if len(set(sizes.values())) > 1:
            raise ValueError(f"per-neuron parameters disagree on the number of neurons: {sizes}")
        return next(iter(sizes.values())) if sizes else None

    def check_state(self, y: Array) -> int:
        """Raise `ValueError` unless `y` has shape `(n_neurons, n_state)`; return n_neurons.

        Also checks that per-neuron parameters have `n_neurons` entries.
        """
        shape = jnp.shape(y)
        if len(shape) != 2 or shape[1] != self.n_state:
            raise ValueError(
                f"y must have shape (n_neurons, {self.n_state}) for {type(self).__name__} "
                f"(columns {', '.join(self.state_names)}), got y.shape={shape}"
            )
        n = self.population_size()
        if n is not None and n != shape[0]:
            raise ValueError(
                f"y has {shape[0]} neurons but the parameters of {type(self).__name__} "
                f"have {n} values per neuron"
            )
        return shape[0]

    def check_n_neurons(self, n_neurons: Any) -> int:
        """`n_neurons` as an int; raise `ValueError` unless it is ≥ 1 and matches the
        per-neuron parameters."""
        n = check_n_neurons(n_neurons)
        expected = self.population_size()
        if expected is not None and expected != n:
            raise ValueError(
                f"n_neurons={n} but the parameters of {type(self).__name__} "
                f"have {expected} values per neuron"
            )
        return n

    def broadcast_to_neurons(self, n_neurons: int) -> "AbstractNeuron":
        """This model with every parameter given one value per neuron.

        Unit fields are broadcast too, so that
        `eqx.filter_vmap(fn)(model.broadcast_to_neurons(n), ...)` maps `fn` over the
        neurons, each seeing a single-neuron model with scalar parameters. The result
        is for vmapping only: use `per_neuron` for a population model.
        """
        n = self.check_n_neurons(n_neurons)
        return self._broadcast(n, self.param_values())

    def per_neuron(self, n_neurons: int) -> "AbstractNeuron":
        """This model with every parameter except the unit fields given one value per neuron.

        Unlike `broadcast_to_neurons`, the result is a valid population model that can
        carry per-neuron values (trained or mismatched).
        """
        n = self.check_n_neurons(n_neurons)
        values = {k: v for k, v in self.param_values().items() if k not in self.unit_fields}
        return self._broadcast(n, values)

    def _broadcast(self, n: int, values: dict[str, Array]) -> "AbstractNeuron":
        new = [
            jnp.broadcast_to(v, (n, *v.shape[v.ndim - self.core_ndim.get(k, 0):]))
            for k, v in values.items()
        ]
        return eqx.tree_at(lambda m: [getattr(m, k) for k in values], self, new)


class AbstractResettingNeuron(AbstractNeuron):
    """A neuron whose spike changes its state: a reset, then a refractory period.

    The engines (`felice.simulate`, `felice.networks.simulate_fixed`) end a solver
    step at the earliest spike, apply `reset_spiked` to the state there, and hold a
    neuron for `refractory_period` after its spike: while it is refractory they pass
    `args["refractory"]`, a boolean per neuron (shape `(n_neurons,)`), and the model's
    `dynamics` holds what its circuit holds (e.g. the membrane at its reset voltage).
    Without the key no neuron is refractory. The steps end exactly where a refractory
    period ends, so the vector field is smooth inside every step.
    """

    @abc.abstractmethod
    def reset_spiked(
        self,
        y: Float[Array, "neurons n_state"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons n_state"]:
        """State after the neurons in `spiked` emitted a spike (boolean, or 0/1 floats
        carrying a surrogate gradient), shape `(n_neurons, n_state)`."""

    @property
    @abc.abstractmethod
    def refractory_period(self) -> Float[Array, "*neurons"]:
        """How long a neuron is held after its spike, model time units (≥ 0); a scalar
        or one value per neuron `(n_neurons,)`."""


def refractory(args: Any, shape: tuple[int, ...]) -> Bool[Array, " neurons"]:
    """`args["refractory"]` broadcast to `shape` (one flag per neuron), or all False."""
    if args is None or "refractory" not in args:
        return jnp.zeros(shape, bool)
    return jnp.broadcast_to(jnp.asarray(args["refractory"], bool), shape)


class AbstractVoltageClamp(AbstractNeuron):
    """A neuron with a node that can be voltage-clamped: I–V curves and equilibria.

    One node is clamped at a voltage V; the model's other variables x (the "clamp
    variables", single-neuron vector) each belong to a timescale class. The I–V
    curve at class k lets the variables of class ≤ k settle to the root of their
    residual at V and holds slower ones at rest. The `clamp_*` methods take and
    return single-neuron values (scalar parameters): `felice.analysis` maps them over
    neurons.

    Class variables a clamp declares:
        phase_window: `((low, high), (low, high))` in model units of the first two state
            columns: the phase portrait `felice iv` draws; None for no phase plane.
    """

    phase_window: AbstractClassVar[tuple[tuple[float, float], tuple[float, float]] | None]

    @property
    @abc.abstractmethod
    def input_states(self) -> tuple[str, ...]:
        """State columns that are inputs (held at 0 by the analysis), e.g. `("I_syn",)`."""

    @property
    @abc.abstractmethod
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Timescale classes of the clamp: (class names, fastest first; class of each variable)."""

    @abc.abstractmethod
    def clamp_range(
        self, I_app: Float[ArrayLike, "*neurons"] | None = None
    ) -> tuple[Float[Array, "*neurons"], Float[Array, "*neurons"]]:
        """Default interval of clamp voltages (model units) searched for curves and equilibria
        at a total applied current I_app (None: the model's own).

        Returns `(low, high)`, scalars for a single neuron (or per neuron, `(*neurons,)`).
        """

    @abc.abstractmethod
    def clamp_split(self, y: Float[Array, " n_state"]) -> tuple[Float[Array, ""], Float[Array, " n_var"]]:
        """A single neuron's state → (clamped voltage V, clamp variables x)."""

    @abc.abstractmethod
    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " n_var"]) -> Float[Array, " n_state"]:
        """(V, x) at a steady state → the single-neuron state, inputs at 0."""

    @abc.abstractmethod
    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " n_var"]
    ) -> tuple[Float[Array, ""], Float[Array, " n_var"]]:
        """(I, r): the outward current that holds the node at V (inputs off, model units)
        and the residual of each clamp variable, zero at its steady state."""

    @abc.abstractmethod
    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "n_starts n_var"]:
        """Starting points of the root finder for the clamp variables at clamp voltage V."""

    @abc.abstractmethod
    def clamp_args(self, I_app: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`args` of `dynamics` that make the total applied current into the clamped node I_app.

        `I_app` is in model current units, a scalar or one value per neuron `(*neurons,)`.
        """

    @abc.abstractmethod
    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """The default resting state that I–V curves hold slow variables at, `(n_neurons, n_state)`."""


class AbstractCircuit(AbstractNeuron):
    """A neuron as a circuit: SI hardware values, branch and supply currents, mismatch,
    and what felice's other layers need to know about it.

    Class variables a circuit declares:
        name: its registry name (lower case; `felice.MODELS[name]`).
        circuit_units: the SI unit of each key of `to_circuit()` (`""`: dimensionless).
        presets: named constructor keyword sets, `"default"` (`{}`) among them; the
            I–V report and `felice iv` use the first by default, `felice demo` shows
            `"demo"` where the circuit has one (else `"default"`).
        spike_kind: what a spike of the circuit is: `"threshold"` (a voltage crosses a
            threshold; the regime is read from the simulated spikes) or `"fixpoint"`
            (a bistable circuit arrives at its other fixpoint; a resting neuron emits
            none, so the regime is read from the I–V curves and equilibria). The
            sweep's `regime` metric and the demo's scenario follow it.
        network_defaults: constructor keywords of the neurons of
            `SpikingNetwork.feedforward(name, ...)`.
        network_synapse: the synapse of its networks: `{"kind": name, **keywords}`
            builds `felice.networks.SYNAPSES[name](**keywords)`; None: spikes arrive
            through the neuron's own `input_spike` (a circuit that integrates its
            synaptic current itself).
        trainable_bias: the per-neuron bias parameter that training may adjust and
            its range in model units, `{name: (low, high)}` (empty: none).
        training_preset: `felice.training.TrainConfig` fields for this circuit
            (step, trial length, readout, weights, ...).
    """

    name: AbstractClassVar[str]
    circuit_units: AbstractClassVar[dict[str, str]]
    presets: AbstractClassVar[dict[str, dict[str, Any]]]
    spike_kind: AbstractClassVar[Literal["threshold", "fixpoint"]]
    network_defaults: AbstractClassVar[dict[str, Any]]
    network_synapse: AbstractClassVar[dict[str, Any] | None]
    trainable_bias: AbstractClassVar[dict[str, tuple[float, float]]]
    training_preset: AbstractClassVar[dict[str, Any]]

    @classmethod
    @abc.abstractmethod
    def from_circuit(cls, **circuit: Any) -> "AbstractCircuit":
        """Build the model from circuit values in SI units (the keys of `to_circuit()`)."""

    @abc.abstractmethod
    def to_circuit(self) -> dict[str, Array]:
        """The hardware view: circuit parameters in SI units plus the unit conversions.

        Returns a dict of arrays with the arguments of `from_circuit` (so that
        `type(m).from_circuit(**{k: v for k, v in m.to_circuit().items() if not k.endswith("_unit")})`
        rebuilds an equivalent model) and `time_unit` (s), `voltage_unit` (V) and
        `current_unit` (A). Units of every key: `circuit_units`.
        """

    @abc.abstractmethod
    def currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Named branch currents into the circuit's capacitors, in model current units.

        The branches of one node sum to its capacitance times its rate of change (see
        `capacitive_currents` and `branch_node`); multiply by `current_unit` for amperes. Each has
        shape `(n_neurons,)`.
        """

    @abc.abstractmethod
    def capacitive_currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """C·dV/dt of each node that `currents` describes, from `dynamics`, by node name.

        The branch currents into node `k` (those with `branch_node(name) == k`) sum to
        `capacitive_currents(y, args)[k]`. Model current units, each `(n_neurons,)`.
        """

    @abc.abstractmethod
    def branch_node(self, branch: str) -> str:
        """The node (a key of `capacitive_currents`) that the branch current `branch`
        (a key of `currents`) flows into."""

    @abc.abstractmethod
    def supply_currents(
        self, y: Float[Array, "neurons n_state"]
    ) -> dict[str, Float[Array, " neurons"]]:
        """Current drawn from each supply rail by each neuron at state `y`, in A.

        Keys name the rails' consumers (bias generators, comparators, ...); each value
        has shape `(n_neurons,)`. Their sum times V_dd is the neuron's power.
        """

    @abc.abstractmethod
    def mismatch(
        self, key: PRNGKeyArray, n_neurons: int, *, sigma_bias: float, sigma_kappa: float
    ) -> "AbstractCircuit":
        """`n_neurons` independently mismatched copies of this circuit as one population.

        Every bias current of a neuron is multiplied by its own log-normal factor
        exp(σ_bias·ξ), κ by 1 + σ_κ·ξ' (ξ, ξ' standard normal); how that maps onto
        the model's parameters is the circuit's own rule. Unit fields are unchanged.
        """

    def circuit_values(self) -> dict[str, np.ndarray | tuple[str, ...]]:
        """The circuit of one neuron: the arguments of `from_circuit` in SI units.

        `to_circuit()` without the three unit keys, as float64 arrays with the neuron
        axis removed (scalars, or one value per element), plus the keys of
        `circuit_units` that `to_circuit()` does not return: static configuration the
        model holds under the same name, a tuple of names (FHNRS's `element_names`).
        What cards and netlists are written from.

        Raises:
            ValueError: if the model has several neurons (a card or a netlist is one), or a
                static `circuit_units` key is not a tuple of strings.
        """
        n = self.population_size()
        if n not in (None, 1):
            raise ValueError(
                f"the model has {n} neurons; a card (and a netlist) describes one neuron"
            )
        # per_neuron(1) gives every per-neuron value a leading axis of one, whatever
        # its core axes; values of the unit fields alone stay scalars.
        out: dict[str, np.ndarray | tuple[str, ...]] = {}
        for key, value in self.per_neuron(1).to_circuit().items():
            if key not in _UNIT_KEYS:
                array = np.asarray(value, dtype=np.float64)
                out[key] = array.reshape(array.shape[1:]) if array.ndim else array
        for key in self.circuit_units.keys() - out.keys() - set(_UNIT_KEYS):
            names = getattr(self, key, None)
            if not (isinstance(names, tuple) and all(isinstance(x, str) for x in names)):
                raise ValueError(
                    f"{type(self).__name__}.circuit_units lists {key!r}, which to_circuit() "
                    f"does not return and the model does not hold as a tuple of names"
                )
            out[key] = names
        return out

    @classmethod
    def preset(cls, name: str = "default", **overrides: Any) -> "AbstractCircuit":
        """The model of preset `name` (see `presets`), with constructor `overrides`.

        Raises:
            ValueError: for an unknown preset; the message lists the known ones.
        """
        if name not in cls.presets:
            raise ValueError(
                f"unknown preset {name!r} for {cls.__name__}; presets: {', '.join(cls.presets)}"
            )
        return cls(**{**cls.presets[name], **overrides})


class SpiceElement(NamedTuple):
    """One top-level instance of a behavioural netlist: `name nodes subcircuit key=value ...`.

    Attributes:
        name: instance name, `X...` (letters, digits, underscores).
        nodes: its nodes in the order of the subcircuit's ports (`"0"` is ground).
        subcircuit: the `.subckt` of the model's template it instantiates.
        params: its parameters in SI units (V, A, F, s), plain floats.
    """

    name: str
    nodes: tuple[str, ...]
    subcircuit: str
    params: dict[str, float]


class SpiceTopLevel(NamedTuple):
    """The top level of a behavioural netlist and where the state lives on it.

    Attributes:
        elements: the instances, in netlist order.
        state_nodes: the node holding each state column, in the model's column order.
        node_scale: SI value of one volt on each of those nodes, `(n_state,)` entries
            (1 for a voltage; the current carried as a voltage, e.g. FHNRS's `isyn`).
    """

    elements: tuple[SpiceElement, ...]
    state_nodes: tuple[str, ...]
    node_scale: tuple[float, ...]


class AbstractSpiceCircuit(AbstractCircuit):
    """A circuit with a behavioural ngspice netlist (`felice.spice.behavioural_netlist`).

    Its template, `circuits/<name>/behavioural.cir` (found from `name`), defines
    subcircuits of B-sources, capacitors and controlled sources in SI units;
    `behavioural_elements` says how to instantiate them for this model's values, as
    plain data (the models know nothing of ngspice; `felice.spice` validates every
    name and number before it writes a line).
    """

    @abc.abstractmethod
    def behavioural_elements(self) -> SpiceTopLevel:
        """The instances of the template for this (single-neuron) model, in SI units.

        Raises:
            ValueError: if the model has several neurons.
        """

    @abc.abstractmethod
    def behavioural_scenario(self) -> tuple[Float[Array, "1 n_state"], float]:
        """A transient with at least one event, for comparisons: `(y0, duration)`, the start
        state of one neuron in model units `(1, n_state)` and the duration in model time units."""


def require(model: Any, capability: type, purpose: str) -> None:
    """Raise `TypeError` unless `model` has `capability`, naming what it lacks.

    Args:
        model: the model passed by the user.
        capability: an `Abstract*` class of this module.
        purpose: the function that needs it, e.g. `"felice.analysis.iv_curves"`.
    """
    if isinstance(model, capability):
        return
    own = sorted(set(capability.__abstractmethods__) - set(AbstractNeuron.__abstractmethods__))
    missing = [m for m in own if not hasattr(type(model), m)] or own
    raise TypeError(
        f"{purpose} needs a model with the {capability.__name__} capability "
        f"(felice.neuron_models.{capability.__name__}: {', '.join(own)}); "
        f"{type(model).__name__} is not one (it lacks: {', '.join(missing)})"
    )


_UNIT_KEYS = ("time_unit", "voltage_unit", "current_unit")
"""The keys of `to_circuit()` that give the unit system rather than the circuit."""


def check_float_dtype(dtype: Any) -> None:
    """Raise `ValueError` unless `dtype` is a floating dtype (an integer one would truncate
    every parameter)."""
    try:
        floating = jnp.issubdtype(jnp.dtype(dtype), jnp.floating)
    except TypeError:
        floating = False
    if not floating:
        raise ValueError(f"dtype must be a floating dtype (e.g. jnp.float32), got dtype={dtype!r}")


def check_unit_fields(kappa: Any, U_t: Any, I_unit: Any, C_unit: Any) -> None:
    """Raise `ValueError` naming the field unless κ ∈ (0, 1] and U_t (V), I_unit (A) and
    C_unit (F) are > 0: the unit fields of the OTA-biased circuits (scalars)."""
    check_interval("kappa", kappa, 0.0, 1.0)
    check_positive("U_t", U_t)
    check_positive("I_unit", I_unit)
    check_positive("C_unit", C_unit)


def external_current(args: Any, shape: tuple[int, ...], dtype: Any) -> Array:
    """`args["I_ext"]` (model current units) broadcast to `shape`, or 0 when absent."""
    if args is None or "I_ext" not in args:
        return jnp.zeros((), dtype)
    I_ext = jnp.asarray(args["I_ext"], dtype)
    try:
        return jnp.broadcast_to(I_ext, shape)
    except ValueError:
        raise ValueError(f"args['I_ext'] must broadcast to {shape}, got shape {I_ext.shape}") from None


def is_traced(*values: Any) -> bool:
    """Whether any leaf of `values` is a JAX tracer (inside jit, grad or vmap)."""
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(values))

