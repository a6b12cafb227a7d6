"""`simulate`: adaptive or fixed-step solves of a neuron population with spike detection."""

import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import diffrax
import equinox as eqx
import equinox.internal as eqxi
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice._validation import check_positive
from felice.inputs import CurrentInput, FunctionCurrent, SpikeTrain
from felice.neuron_models import AbstractNeuron, AbstractResettingNeuron
from felice.simulation._result import STATUS_MESSAGES, SimulationResult, Status
from felice.simulation._solvers import resolve_solver
from felice.simulation._spikes import detect_spikes

Inputs = CurrentInput | SpikeTrain | Callable | Sequence[CurrentInput | SpikeTrain | Callable] | None


def split_inputs(inputs: Inputs) -> tuple[list[CurrentInput], SpikeTrain | None]:
    """Currents (summed) and one merged spike train from the user's inputs."""
    if inputs is None:
        items = []
    elif isinstance(inputs, (list, tuple)):
        items = list(inputs)
    else:
        items = [inputs]
    currents, trains = [], []
    for item in items:
        if isinstance(item, SpikeTrain):
            trains.append(item)
        elif isinstance(item, CurrentInput):
            currents.append(item)
        elif callable(item):
            currents.append(FunctionCurrent(item))
        else:
            raise ValueError(
                f"inputs must be currents (felice.inputs), SpikeTrains or callables, got {item!r}"
            )
    if not trains:
        return currents, None
    if len(trains) == 1:
        return currents, trains[0]
    return currents, SpikeTrain(
        jnp.concatenate([t.times for t in trains]),
        jnp.concatenate([t.targets for t in trains]),
        jnp.concatenate([t.weights for t in trains]),
    )


def _save_times(saveat: Any, t0: float, t1: float) -> np.ndarray | None:
    if saveat is None:
        return None
    # Booleans and scalar times are not save points: refuse them rather than guess.
    if isinstance(saveat, (bool, np.bool_)) or (
        np.ndim(saveat) == 0 and not isinstance(saveat, (int, np.integer))
    ):
        raise ValueError(
            "saveat must be an integer number of save points or an array of save times, "
            f"got saveat={saveat!r}"
        )
    if isinstance(saveat, (int, np.integer)):
        if saveat < 1:
            raise ValueError(f"saveat must be ≥ 1 when it is a number of points, got saveat={saveat}")
        return np.linspace(t0, t1, int(saveat))
    ts = np.asarray(saveat)
    if ts.ndim != 1 or not np.issubdtype(ts.dtype, np.number) or np.issubdtype(ts.dtype, np.bool_):
        raise ValueError(
            "saveat must be an integer number of save points or a 1-D array of save times, "
            f"got saveat={saveat!r}"
        )
    ts = ts.astype(float)
    if ts.size == 0 or not np.all(np.isfinite(ts)) or np.any(np.diff(ts) < 0):
        raise ValueError(f"saveat must be sorted finite times, got saveat={ts}")
    if ts[0] < t0 or ts[-1] > t1:
        raise ValueError(f"saveat times must lie in [t0, t1] = [{t0}, {t1}], got {ts[0]}..{ts[-1]}")
    return ts


def _current_args(model: AbstractNeuron, currents: list[CurrentInput], n: int, dtype: Any,
                  t: Array) -> Any:
    """The model's args at per-neuron times `t` (shape `(n,)`) or a common scalar time."""
    if not currents:
        return None
    input_shape = (n, *model.input_shape)
    t_full = jnp.broadcast_to(jnp.reshape(t, (-1,) + (1,) * len(model.input_shape))
                              if jnp.ndim(t) else t, input_shape).astype(dtype)
    return {"I_ext": sum(jnp.broadcast_to(c(t_full), input_shape) for c in currents)}


def _warn_if_unstable_step(model: AbstractNeuron, y0: Array, currents: list[CurrentInput],
                           t0: float, dt: float) -> None:
    """Warn when a fixed step exceeds the stability bound 3/ρ at y0 (concrete values only):
    fixed steps have no error control, so nothing else would say that the solution is wrong."""
    if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves((model, y0, currents))):
        return
    args = _current_args(model, currents, y0.shape[0], y0.dtype, jnp.asarray(t0, y0.dtype))
    bound = float(_stable_dtmax(model, y0, args))
    if dt > bound:
        warnings.warn(
            f"dt={dt!r} exceeds the step stability bound 3/ρ = {bound:.4g} at y0 (ρ: a bound on "
            "the Jacobian's spectral radius): fixed steps have no error control, so the "
            f"solution and its spikes may be wrong; use dt <= {bound:.4g} or an adaptive solver",
            RuntimeWarning,
            stacklevel=3,
        )


def _stable_dtmax(model: AbstractNeuron, y: Array, args: Any) -> Array:
    """3/ρ, ρ a Gershgorin bound on the spectral radius of each neuron's Jacobian at y."""
    n_state = y.shape[1]
    columns = [
        jax.jvp(lambda x: model.dynamics(0.0, x, args), (y,), (jnp.zeros_like(y).at[:, k].set(1.0),))[1]
        for k in range(n_state)
    ]  # neurons are independent: column k of every neuron's block at once
    J = jnp.stack(columns, axis=-1)  # (n, n_state, n_state)
    radius = jnp.max(jnp.sum(jnp.abs(J), axis=-1))
    return jax.lax.stop_gradient(jnp.where(radius > 0, 3.0 / radius, jnp.inf))


class _Progress:
    """A text progress bar on stderr, fed from inside the compiled loop."""

    def __init__(self) -> None:
        self.last = -1

    def __call__(self, percent: Any) -> None:
        percent = int(percent)
        if percent != self.last:
            self.last = percent
            bar = "#" * (percent // 4)
            end = "\n" if percent >= 100 else ""
            print(f"\rsimulate [{bar:<25}] {percent:3d}%", end=end, file=sys.stderr, flush=True)


def simulate(
    model: AbstractNeuron,
    *,
    t1: float,
    t0: float = 0.0,
    n_neurons: int | None = None,
    y0: Float[ArrayLike, "neurons n_state"] | None = None,
    inputs: Inputs = None,
    saveat: int | Float[ArrayLike, " n_save"] | Sequence[float] | None = None,
    solver: str | diffrax.AbstractSolver = "tsit5",
    dt: float | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    dtmax: float | Literal["auto"] | None = "auto",
    max_spikes: int = 64,
    max_steps: int = 1_000_000,
    spike_samples: int = 4,
    autodiff: Literal["reverse", "forward"] = "reverse",
    progress: bool = False,
    throw: bool = True,
) -> SimulationResult:
    """Simulate a population of `model` neurons from `t0` to `t1` and detect their spikes.

    Spikes are upward zero crossings of `model.spike_condition` (a threshold for FHNRS,
    the arrival at a fixpoint for WereRabbit and Boomerang), located inside each
    solver step by root finding on the dense output (see `felice.simulation._spikes`):
    to machine precision on the interpolant, so the spike-time error is that of the
    dense output, O(rtol) at the chosen tolerances. A neuron that has spiked re-arms
    when `model.rearm_condition` goes negative (for fixpoint spikes: once it has
    clearly left the fixpoint) or when an input kick leaves its spike condition
    negative, so a resting neuron never spikes twice.

    Everything is in model units: times in `model.time_unit` seconds, currents in
    `model.current_unit` amperes.

    Args:
        model: the neuron model; its parameters may be per neuron.
        t1: end time. t0: start time.
        n_neurons: population size when `y0` is not given (default: the parameters'
            size, else 1); the initial state is then `model.init_state(n_neurons)`.
        y0: initial state, shape `(n_neurons, n_state)`.
        inputs: a current (`felice.inputs.StepCurrent`, `PulseCurrent`, `CurrentTrace`,
            `FunctionCurrent`, or a function of t), a `SpikeTrain`, or a list of them.
            Currents add to the model's input (`args["I_ext"]`); a constant current per
            neuron is the model parameter (`I_app` for FHNRS). Input spikes kick the
            state through `model.input_spike` exactly at their times.
        saveat: None (no trajectory is stored: spikes only), a number of equally
            spaced save points in [t0, t1], or an array of save times. The solver
            steps onto every save time; the state saved is the one after input kicks.
        solver: "tsit5" (default), "dopri5", "dopri8", "bosh3" (adaptive) or "euler",
            "heun", "rk4" (fixed step, need `dt`), or a diffrax solver instance.
        dt: fixed step size; with an adaptive solver it switches adaptivity off. Fixed
            steps have no error control: a `RuntimeWarning` says when dt exceeds the
            stability bound 3/ρ at y0 (ρ as for `dtmax`; concrete values only).
        rtol, atol: tolerances of the adaptive step-size controller.
        dtmax: largest step allowed (adaptive). "auto" (default): 3/ρ, with ρ a
            bound on the Jacobian's spectral radius at y0 (Gershgorin, over all
            neurons). At a fixpoint the error estimate vanishes and steps would grow
            past the solver's stability limit: the solution stays exact but its
            derivatives blow up; the bound keeps gradients finite. None: no bound.
            Spikes are looked for at `spike_samples` points per step, so a spike
            narrower than a step may be missed: bound the step if spikes are brief.
            Derivatives are those of the discrete solution, and the controller
            watches the solution, not its sensitivities: for parameter gradients
            accurate to better than about 1e-3 across a rest period, set dtmax to
            resolve the circuit's fastest ringing (about 0.3/|λ|).
        max_spikes: spike buffer length per neuron.
        max_steps: bound on solver steps (and on the checkpointed loop's memory).
        spike_samples: sub-intervals per step for spike detection (≥ 1); also the
            degree of the polynomial used for spike-time refinement.
        autodiff: "reverse" (default; `jax.grad` through the simulation, with
            checkpointing that bounds memory) or "forward" (`jax.jvp`/`jax.jacfwd`,
            slightly faster when no reverse-mode gradient is needed).
        progress: print a progress bar on stderr.
        throw: raise if the simulation failed (max steps, NaN, spike overflow, step
            failure); otherwise return with `result.status` set. A non-finite state
            (in y0, from an input, or an overflow) stops the run at once with status
            NONFINITE; `result.nonfinite` (and the error, where values are concrete)
            names the neurons.

    Returns:
        A `SimulationResult`.

    Raises:
        ValueError: for invalid arguments (named in the message).
        RuntimeError (equinox's runtime error): when `throw` and the simulation failed.
    """
    t0_f, t1_f = float(t0), float(t1)
    if not (np.isfinite(t0_f) and np.isfinite(t1_f) and t1_f > t0_f):
        raise ValueError(f"t1 must be finite and after t0, got t0={t0!r}, t1={t1!r}")
    check_positive("rtol", rtol)
    check_positive("atol", atol)
    if dt is not None:
        check_positive("dt", dt)
    if dtmax is not None and not (isinstance(dtmax, str) and dtmax == "auto"):
        check_positive("dtmax", dtmax)
    for name, value, low in (("max_spikes", max_spikes, 1), ("max_steps", max_steps, 1),
                             ("spike_samples", spike_samples, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer ≥ {low}, got {name}={value!r}")
    if autodiff not in ("reverse", "forward"):
        raise ValueError(f"autodiff must be 'reverse' or 'forward', got autodiff={autodiff!r}")
    solver_ = resolve_solver(solver, dt)

    if y0 is None:
        y0 = model.init_state(n_neurons or model.population_size() or 1)
    y0 = jnp.asarray(y0, model.dtype)
    n = model.check_state(y0)
    if n_neurons is not None and n_neurons != n:
        raise ValueError(f"n_neurons={n_neurons} does not match y0 with {n} neurons")

    currents, train = split_inputs(inputs)
    if dt is not None:
        _warn_if_unstable_step(model, y0, currents, t0_f, float(dt))
    save_ts = _save_times(saveat, t0_f, t1_f)
    if train is not None and not isinstance(train.targets, jax.core.Tracer):
        targets = np.asarray(train.targets)
        if targets.size and targets.max() >= n:
            raise ValueError(f"SpikeTrain targets must be < n_neurons={n}, got {targets.max()}")
    # Times the solver must step onto besides the input spikes: current jumps, saves, t1.
    stops = [np.asarray([t1_f]), *[np.asarray(c.breakpoints(), float) for c in currents]]
    if save_ts is not None:
        stops.append(save_ts)
    stops = np.unique(np.concatenate(stops))
    stops = stops[(stops > t0_f) & (stops <= t1_f)]

    config = _Config(
        t0=t0_f, t1=t1_f, solver=solver_, dt=None if dt is None else float(dt),
        rtol=float(rtol), atol=float(atol),
        dtmax=dtmax if dtmax is None or isinstance(dtmax, str) else float(dtmax),
        max_spikes=int(max_spikes), max_steps=int(max_steps), spike_samples=int(spike_samples),
        kind="checkpointed" if autodiff == "reverse" else "lax", progress=bool(progress),
        cut=isinstance(model, AbstractResettingNeuron),
        n_save=0 if save_ts is None else int(save_ts.size),
        save0=bool(save_ts is not None and save_ts[0] == t0_f),
    )
    dtype = y0.dtype
    result = _run(
        model, y0, currents, train, jnp.asarray(stops, dtype),
        None if save_ts is None else jnp.asarray(save_ts, dtype), config,
    )
    return _raise_if_failed(result) if throw else result


def _raise_if_failed(result: SimulationResult) -> SimulationResult:
    """Raise on a failed run: in Python naming the neurons where the status is concrete,
    else through equinox's runtime error (under jit, grad or vmap)."""
    if isinstance(result.status, jax.core.Tracer):
        messages = [f"felice.simulate failed: {STATUS_MESSAGES[s]}" for s in Status]
        return eqx.branched_error_if(result, result.status != Status.OK, result.status, messages)
    status = Status(int(result.status))
    if status == Status.OK:
        return result
    message = f"felice.simulate failed: {STATUS_MESSAGES[status]}"
    if status == Status.NONFINITE:
        bad = np.flatnonzero(np.asarray(result.nonfinite)).tolist()
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        message += f" in neurons {bad[:10]}{more} at t={float(result.t1)!r}"
    raise eqx.EquinoxRuntimeError(message)


class _Config(eqx.Module):
    """Static settings of a run (hashable: part of the compilation cache key)."""

    t0: float
    t1: float
    solver: diffrax.AbstractSolver
    dt: float | None
    rtol: float
    atol: float
    dtmax: float | str | None
    max_spikes: int
    max_steps: int
    spike_samples: int
    kind: str
    progress: bool
    n_save: int
    save0: bool
    cut: bool  # the model's spikes change its state: end each step at its first spike


class _LoopState(eqx.Module):
    """The carry of the simulation loop: where the solve is and what it has found so far."""

    t: Array  # current time (model units)
    tnext: Array  # end of the next step attempted
    y: Array  # state at t, (n, n_state)
    solver_state: Any
    controller_state: Any
    made_jump: Array  # the field changed at t (a kick, a reset, a release): no FSAL reuse
    armed: Array  # which neurons may spike, (n,)
    spike_times: Array  # (n, max_spikes), +inf where unused
    spike_counts: Array  # (n,)
    ys: Any  # saved states, (n_save, n, n_state) (an equinox buffer inside the loop)
    save_idx: Array  # next save slot
    n_steps: Array
    n_accepted: Array
    nonfinite: Array  # neurons whose state became non-finite, (n,)
    status: Array  # a `Status` code
    percent: Array  # progress shown so far
    t_release: Array | None  # end of each neuron's refractory period, (n,) (resetting models)


@eqx.filter_jit
def _run(
    model: AbstractNeuron,
    y0: Array,
    currents: list[CurrentInput],
    train: SpikeTrain | None,
    stops: Array,
    save_ts: Array | None,
    config: _Config,
) -> SimulationResult:
    """The compiled simulation loop (arguments prepared and checked by `simulate`)."""
    n = y0.shape[0]
    dtype = y0.dtype
    solver_ = config.solver
    dt = config.dt
    spike_samples = config.spike_samples
    n_save = config.n_save

    def args_at(t: Array, held: Array | None = None) -> Any:
        args = _current_args(model, currents, n, dtype, t)
        if held is None:
            return args
        return {**(args or {}), "refractory": held}

    if train is not None:
        # Every input time inside (t0, t1] is a stop too; the rest can never be reached.
        kick_times = jax.lax.stop_gradient(train.times.astype(dtype))
        stops = jnp.sort(jnp.concatenate([stops, jnp.clip(kick_times, config.t0, config.t1)]))

    def kick(y: Array, t: Array) -> tuple[Array, Array]:
        """Apply all input spikes at time `t`; also return which neurons received one."""
        at_t = kick_times == t
        w = jnp.zeros(n, dtype).at[train.targets].add(jnp.where(at_t, train.weights.astype(dtype), 0.0))
        hit = jnp.zeros(n, bool).at[train.targets].max(at_t)
        return model.input_spike(y, w), hit

    def next_stop(t: Array) -> Array:
        """The first stop after t (t1 is the last stop)."""
        return stops[jnp.minimum(jnp.searchsorted(stops, t, side="right"), stops.shape[0] - 1)]

    t0_j = jnp.asarray(config.t0, dtype)
    t1_j = jnp.asarray(config.t1, dtype)
    # The refractory flags are the term's args: fixed over a step, which ends where a
    # refractory period ends (see `t_release`), so the field is smooth inside each step.
    term = diffrax.ODETerm(lambda t, y, held: model.dynamics(t, y, args_at(t, held)))
    t_refr = (jnp.broadcast_to(jnp.asarray(model.refractory_period, dtype), (n,))
              if config.cut else None)
    fixed = dt is not None
    if fixed:
        controller = None
    else:
        dtmax = _stable_dtmax(model, y0, args_at(t0_j)) if config.dtmax == "auto" else config.dtmax
        controller = diffrax.PIDController(rtol=config.rtol, atol=config.atol, dtmax=dtmax)

    if train is not None:
        y0 = kick(y0, t0_j)[0]
    tprev = t0_j
    held0 = jnp.zeros(n, bool) if config.cut else None
    if fixed:
        tnext = jnp.minimum(t0_j + dt, next_stop(t0_j))
        controller_state = None
    else:
        tnext, controller_state = controller.init(
            term, t0_j, t1_j, y0, None, held0, solver_.func, solver_.error_order(term)
        )
        # A NaN initial step (non-finite y0 or inputs, extreme tolerances) becomes one
        # that the loop can shrink and judge.
        tnext = jnp.where(tnext > t0_j, jnp.minimum(tnext, next_stop(t0_j)), next_stop(t0_j))
    solver_state = solver_.init(term, t0_j, tnext, y0, held0)
    max_spikes = config.max_spikes
    armed0 = model.spike_condition(t0_j, y0, args_at(t0_j)) < 0

    # A non-finite start stops the run before its first step.
    nonfinite0 = ~jnp.all(jnp.isfinite(y0), axis=1)
    status0 = jnp.where(jnp.any(nonfinite0), int(Status.NONFINITE), int(Status.OK))

    ys0 = jnp.zeros((n_save, n, model.n_state), dtype)
    save_idx0 = jnp.asarray(0)
    if config.save0:
        ys0 = ys0.at[0].set(y0)
        save_idx0 = jnp.asarray(1)

    init = _LoopState(
        t=tprev, tnext=tnext, y=y0, solver_state=solver_state, controller_state=controller_state,
        made_jump=jnp.asarray(False), armed=armed0,
        spike_times=jnp.full((n, max_spikes), jnp.inf, dtype),
        spike_counts=jnp.zeros(n, jnp.int32), ys=ys0, save_idx=save_idx0,
        n_steps=jnp.asarray(0), n_accepted=jnp.asarray(0), nonfinite=nonfinite0,
        status=status0.astype(jnp.int32), percent=jnp.asarray(0, jnp.int32),
        t_release=jnp.full(n, -jnp.inf, dtype) if config.cut else None,
    )
    # A step shorter than this has underflowed (16 ulp of the time; model times are ~ 1).
    h_min = 16 * float(jnp.finfo(dtype).eps)
    reporter = _Progress() if config.progress else None

    def cond_fun(c):
        return (c.t < t1_j) & (c.status == Status.OK)

    def body_fun(c):
        t_a, t_b, y = c.t, c.tnext, c.y
        held = None if not config.cut else t_a < c.t_release  # refractory over the step
        y_b, y_err, dense_info, solver_state, solver_result = solver_.step(
            term, t_a, t_b, y, held, c.solver_state, c.made_jump
        )
        blown_rows = ~jnp.all(jnp.isfinite(y_b), axis=1)
        blown = jnp.any(blown_rows)
        if fixed:
            keep = jnp.asarray(True)
            next_t1_proposed = t_b + dt
            controller_state = None
            step_ok = solver_result == diffrax.RESULTS.successful
            underflow = jnp.asarray(False)
        else:
            # A step that overflowed is rejected and shrunk: infinite error, finite scale.
            # Once it is too short to shrink further, the state itself (or an input) is
            # non-finite there: NONFINITE, not a million rejected steps.
            y_err = jnp.where(blown | jnp.isnan(y_err), jnp.inf, y_err)
            keep, _, next_t1_proposed, _, controller_state, ctrl_result = controller.adapt_step_size(
                t_a, t_b, y, jnp.where(blown, y, y_b), held, y_err, solver_.error_order(term),
                c.controller_state,
            )
            step_ok = (solver_result == diffrax.RESULTS.successful) & (
                ctrl_result == diffrax.RESULTS.successful
            )
            # Too short a step, and not onto a stop (one may lie just ahead); NaN-safe.
            underflow = ~(t_b - t_a > h_min * jnp.maximum(jnp.abs(t_a), 1.0)) & ~(
                t_b >= next_stop(t_a)
            )
            # Rejected however short, or accepted without progress: the step size underflowed.
            step_ok = step_ok & ~(underflow & ~blown & (~keep | ~(t_b > t_a)))
        next_t1_proposed = jax.lax.stop_gradient(next_t1_proposed)

        # Spikes in the accepted step.
        interp = solver_.interpolation_cls(t0=t_a, t1=t_b, **dense_info)
        h = t_b - t_a
        interior = t_a + jnp.asarray(np.linspace(0.0, 1.0, spike_samples + 1)[1:-1], dtype) * h
        samples = jnp.concatenate([y[None], jax.vmap(interp.evaluate)(interior), y_b[None]])
        armed, spike_times, spike_counts, overflow, t_first, spiked = detect_spikes(
            model, keep, t_a, h, samples, lambda t: args_at(t, held), c.armed,
            c.spike_times, c.spike_counts, cut=config.cut,
        )
        y_new = y_b
        t_end = t_b
        cut = jnp.asarray(False)
        t_release = c.t_release
        released = jnp.asarray(False)
        if config.cut:
            # The step ends at its first spike, where the spike changes the state, and the
            # spiking neurons are held until t_cut + t_refr.
            cut = keep & jnp.isfinite(t_first)
            t_cut = jnp.clip(jnp.where(cut, t_first, t_b), t_a, t_b)
            y_new = jnp.where(cut, model.reset_spiked(interp.evaluate(t_cut), spiked), y_b)
            t_end = jnp.where(cut, t_cut, t_b)
            t_release = jnp.where(cut & spiked, t_cut + t_refr, t_release)
            # A step that ended where a refractory period ends changes the field there.
            released = keep & ~cut & jnp.any(held & (t_release == t_b))

        # Input kicks at the end of the step (unless it was cut short).
        made_jump = cut | released
        if train is not None:
            y_kicked, hit = kick(y_new, t_end)
            hit = hit & ~cut
            is_kick = jnp.any(hit)
            y_new = jnp.where(is_kick, y_kicked, y_new)
            # Only the neurons a kick reached are re-armed by it.
            rearm = model.spike_condition(t_end, y_new, args_at(t_end)) < 0
            armed = armed | (keep & hit & rearm)
            made_jump = made_jump | is_kick
            if config.cut:
                # A kick that lifts an armed, released neuron over its threshold (a charge
                # kick on an integrate-and-fire membrane) is a spike at the kick's time.
                fired = keep & hit & armed & ~rearm & ~(t_end < t_release)
                column = jnp.where(fired, spike_counts, max_spikes)
                spike_times = spike_times.at[jnp.arange(n), column].set(t_end, mode="drop")
                overflow = overflow | jnp.any(fired & (spike_counts >= max_spikes))
                spike_counts = spike_counts + fired
                y_new = jnp.where(jnp.any(fired), model.reset_spiked(y_new, fired), y_new)
                t_release = jnp.where(fired, t_end + t_refr, t_release)
                armed = armed & ~fired
        # Current discontinuities also invalidate first-same-as-last stages.
        made_jump = made_jump | ((t_b == next_stop(t_a)) & ~cut)

        # Save.
        ys = c.ys
        save_idx = c.save_idx
        if n_save:
            is_save = keep & ~cut & (save_idx < n_save) & (
                save_ts[jnp.minimum(save_idx, n_save - 1)] == t_b
            )
            ys = eqxi.buffer_at_set(ys, jnp.minimum(save_idx, n_save - 1), y_new, pred=is_save)
            save_idx = save_idx + is_save

        # Next step: no further than the next stop (input, save or current breakpoint).
        t_new = jnp.where(keep, t_end, t_a)
        next_t1 = jax.lax.stop_gradient(next_t1_proposed + (t_new - jnp.where(keep, t_b, t_a)))
        next_t1 = jnp.minimum(next_t1, next_stop(t_new))
        if config.cut:
            # No step crosses the end of a refractory period. A step that ends there keeps
            # the derivative of the release time t_spike + t_refr: what follows the hold
            # depends on when the neuron spiked.
            ahead = jnp.where(t_release > t_new, t_release, jnp.inf)
            next_t1 = jnp.minimum(next_t1, jnp.min(ahead))

        new_rows = ~jnp.all(jnp.isfinite(y_new), axis=1)
        bad_rows = jnp.where(keep, new_rows, blown_rows & underflow)
        status = c.status
        status = jnp.where(~step_ok, int(Status.STEP_FAILED), status)
        status = jnp.where(jnp.any(bad_rows), int(Status.NONFINITE), status)
        status = jnp.where(keep & overflow & (status == Status.OK), int(Status.SPIKE_OVERFLOW), status)

        def select(new, old):
            return jax.tree.map(lambda a, b: jnp.where(keep, a, b), new, old)

        out = _LoopState(
            t=t_new, tnext=next_t1,
            y=jnp.where(keep, y_new, y),
            solver_state=select(solver_state, c.solver_state),
            controller_state=controller_state,
            made_jump=jnp.where(keep, made_jump, c.made_jump),
            armed=armed,
            spike_times=spike_times,
            spike_counts=spike_counts,
            ys=ys, save_idx=save_idx,
            n_steps=c.n_steps + 1, n_accepted=c.n_accepted + keep,
            nonfinite=c.nonfinite | bad_rows, status=status, percent=c.percent,
            t_release=t_release,
        )
        if reporter is not None:
            percent = jnp.floor(100 * (t_new - t0_j) / (t1_j - t0_j)).astype(jnp.int32)
            jax.lax.cond(percent > c.percent,
                         lambda p: jax.debug.callback(reporter, p), lambda p: None, percent)
            out = eqx.tree_at(lambda o: o.percent, out, jnp.maximum(percent, c.percent))
        return out

    final = eqxi.while_loop(
        cond_fun, body_fun, init, max_steps=config.max_steps, kind=config.kind,
        buffers=lambda c: c.ys,
    )
    status = jnp.where((final.status == Status.OK) & (final.t < t1_j),
                       int(Status.MAX_STEPS), final.status)
    spike_times = jnp.sort(final.spike_times, axis=1)
    result = SimulationResult(
        ts=save_ts,
        ys=None if save_ts is None else final.ys,
        spike_times=spike_times,
        spike_counts=final.spike_counts,
        y1=final.y,
        t1=final.t,
        n_steps=final.n_steps,
        n_accepted=final.n_accepted,
        status=status,
        nonfinite=final.nonfinite,
    )
    return result
