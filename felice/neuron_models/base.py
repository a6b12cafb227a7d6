"""The interface shared by every felice neuron model."""

import abc
import dataclasses
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from felice._validation import check_n_neurons


class NeuronModel(eqx.Module):
    """Abstract base of the circuit neuron models.

    A model is a pytree whose array leaves are its parameters, so `jax.grad` and
    `jax.vmap` work with respect to any of them. Each parameter is either a scalar
    (shared by the population) or carries one value per neuron in a leading axis
    of length `n_neurons` (parameters listed in `_core_ndim` have extra trailing
    axes, e.g. one value per tanh element).

    States are arrays of shape `(n_neurons, n_state)` whose columns are named by
    `state_names`; time, voltages and currents are in the model's dimensionless
    units, and `time_unit`, `voltage_unit`, `current_unit` and `state_scale`
    convert them to seconds, volts and amperes.

    The model is a diffrax vector field: `diffrax.ODETerm(model.dynamics)`.

    `args` (of `dynamics`, `spike_condition`, `currents`) is `None` or a mapping
    with the optional key `"I_ext"`: an external current in model units added to
    the model's input (see each model for its shape).
    """

    _core_ndim: ClassVar[dict[str, int]] = {}
    # Fields that fix the unit system: always scalars, never per neuron.
    _unit_fields: ClassVar[tuple[str, ...]] = ()

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
        return jnp.result_type(*[x for x in self._param_values().values()])

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

    @abc.abstractmethod
    def to_circuit(self) -> dict[str, Array]:
        """The hardware view: circuit parameters in SI units plus the unit conversions.

        Returns a dict of arrays with the arguments of `from_circuit` (so that
        `type(m).from_circuit(**{k: v for k, v in m.to_circuit().items() if not k.endswith("_unit")})`
        rebuilds an equivalent model) and `time_unit` (s), `voltage_unit` (V) and
        `current_unit` (A).
        """

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

    def rearm_condition(
        self, t: Float[ArrayLike, ""], y: Float[Array, "neurons n_state"], args: Any = None
    ) -> Float[Array, " neurons"]:
        """A neuron that has spiked may spike again only after this went below zero.

        The default is the spike condition itself: a threshold must be crossed from
        below again. Shape `(n_neurons,)`.
        """
        return self.spike_condition(t, y, args)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the external current `args["I_ext"]` per neuron (`()`: one current)."""
        return ()

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

    def reset_spiked(
        self,
        y: Float[Array, "neurons n_state"],
        spiked: Bool[ArrayLike, " neurons"] | Float[ArrayLike, " neurons"],
    ) -> Float[Array, "neurons n_state"]:
        """State after the neurons in `spiked` emitted a spike.

        The three circuits need no reset: the spike (a relaxation oscillation, or
        the arrival at a fixpoint) is part of their continuous dynamics, so the
        state is returned unchanged.
        """
        self.check_state(y)
        return y

    @abc.abstractmethod
    def observe(self, y: Float[Array, "neurons n_state"]) -> Float[Array, "neurons n_obs"]:
        """Node voltages that an experimenter would measure, in model voltage units."""

    @abc.abstractmethod
    def currents(
        self, y: Float[Array, "neurons n_state"], args: Any = None
    ) -> dict[str, Float[Array, " neurons"]]:
        """Named branch currents into the circuit's capacitors, in model current units.

        The branches of one node sum to its capacitance times dV/dt; multiply by
        `current_unit` for amperes.
        """

    # -- voltage clamp (used by felice.analysis) --------------------------------
    #
    # One node is clamped at a voltage V; the model's other variables x (the
    # "clamp variables", single-neuron vector) each belong to a timescale class.
    # The I-V curve at class k lets the variables of class <= k settle to the root
    # of their residual at V and holds slower ones at rest. All methods below take
    # and return single-neuron values (scalar parameters): felice.analysis maps
    # them over neurons. Models without a clamp raise NotImplementedError.

    @property
    def input_states(self) -> tuple[str, ...]:
        """State columns that are inputs (held at 0 by the analysis), e.g. `("I_syn",)`."""
        return ()

    @property
    def clamp_timescales(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Timescale classes of the clamp: (class names, fastest first; class of each variable)."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_range(
        self, I_applied: Float[ArrayLike, ""] | None = None
    ) -> tuple[Float[Array, ""], Float[Array, ""]]:
        """Default interval of clamp voltages (model units) searched for curves and equilibria
        at a total applied current I_applied (None: the model's own).

        Returns `(low, high)`, scalars for a single neuron (or per neuron, `(*neurons,)`).
        """
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_split(self, y: Float[Array, " n_state"]) -> tuple[Float[Array, ""], Float[Array, " n_var"]]:
        """A single neuron's state → (clamped voltage V, clamp variables x)."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_join(self, V: Float[ArrayLike, ""], x: Float[Array, " n_var"]) -> Float[Array, " n_state"]:
        """(V, x) at a steady state → the single-neuron state, inputs at 0."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_current(
        self, V: Float[ArrayLike, ""], x: Float[Array, " n_var"]
    ) -> tuple[Float[Array, ""], Float[Array, " n_var"]]:
        """(I, r): the outward current that holds the node at V (inputs off, model units)
        and the residual of each clamp variable, zero at its steady state."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_starts(self, V: Float[ArrayLike, ""]) -> Float[Array, "n_starts n_var"]:
        """Starting points of the root finder for the clamp variables at clamp voltage V."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def clamp_args(self, I_applied: Float[ArrayLike, "*neurons"]) -> dict[str, Array]:
        """`args` of `dynamics` that make the total applied current into the clamped node I_applied.

        `I_applied` is in model current units, a scalar or one value per neuron `(*neurons,)`.
        """
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    def resting_state(self, n_neurons: int | None = None) -> Float[Array, "neurons n_state"]:
        """The default resting state that I-V curves hold slow variables at, `(n_neurons, n_state)`."""
        raise NotImplementedError(f"{type(self).__name__} defines no voltage clamp")

    # -- helpers shared by the models -----------------------------------------

    def _param_values(self) -> dict[str, Array]:
        """The array-valued (non-static) fields, by name."""
        out = {}
        for field in dataclasses.fields(self):
            if field.metadata.get("static", False):
                continue
            value = getattr(self, field.name)
            if eqx.is_array(value):
                out[field.name] = value
        return out

    def _population_size(self) -> int | None:
        """Number of neurons implied by per-neuron parameters, or None if all are shared."""
        sizes = {}
        for name, value in self._param_values().items():
            batch_ndim = value.ndim - self._core_ndim.get(name, 0)
            if name in self._unit_fields and value.ndim > 0:
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
        n = self._population_size()
        if n is not None and n != shape[0]:
            raise ValueError(
                f"y has {shape[0]} neurons but the parameters of {type(self).__name__} "
                f"have {n} values per neuron"
            )
        return shape[0]

    def _check_n_neurons(self, n_neurons: Any) -> int:
        n = check_n_neurons(n_neurons)
        expected = self._population_size()
        if expected is not None and expected != n:
            raise ValueError(
                f"n_neurons={n} but the parameters of {type(self).__name__} "
                f"have {expected} values per neuron"
            )
        return n

    def broadcast_to_neurons(self, n_neurons: int) -> "NeuronModel":
        """This model with every parameter given one value per neuron.

        Unit fields stay as they are only in meaning: they are broadcast too, so that
        `eqx.filter_vmap(fn)(model.broadcast_to_neurons(n), ...)` maps `fn` over the
        neurons, each seeing a single-neuron model with scalar parameters.
        """
        n = self._check_n_neurons(n_neurons)
        values = self._param_values()
        new = []
        for name, value in values.items():
            core = value.shape[value.ndim - self._core_ndim.get(name, 0) :]
            new.append(jnp.broadcast_to(value, (n, *core)))
        names = list(values)
        return eqx.tree_at(lambda m: [getattr(m, k) for k in names], self, new)


def _check_float_dtype(dtype: Any) -> None:
    """Raise `ValueError` unless `dtype` is a floating dtype (an integer one would truncate
    every parameter)."""
    try:
        floating = jnp.issubdtype(jnp.dtype(dtype), jnp.floating)
    except TypeError:
        floating = False
    if not floating:
        raise ValueError(f"dtype must be a floating dtype (e.g. jnp.float32), got dtype={dtype!r}")


def external_current(args: Any, shape: tuple[int, ...], dtype: Any) -> Array:
    """`args["I_ext"]` (model current units) broadcast to `shape`, or 0 when absent."""
    if args is None or "I_ext" not in args:
        return jnp.zeros((), dtype)
    I_ext = jnp.asarray(args["I_ext"], dtype)
    try:
        return jnp.broadcast_to(I_ext, shape)
    except ValueError:
        raise ValueError(f"args['I_ext'] must broadcast to {shape}, got shape {I_ext.shape}") from None
