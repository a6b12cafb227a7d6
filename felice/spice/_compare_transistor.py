"""The transistor-level FHN neuron in sky130 against FHNRS built from extracted parameters.

Flow: extract the device and block parameters from DC sweeps (`extract`), map
them into `FHNRS.from_circuit` (`fhnrs_from_extraction`), then compare the
fast I–V curve, the applied-current range that spikes and the spike frequency
(`compare_transistor`).
"""

from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike, Bool, Float

from felice.neuron_models import FHNRS
from felice.spice._extraction import (
    SubthresholdFit,
    TanhFit,
    fit_conductance,
    fit_subthreshold,
    fit_tanh,
)
from felice.spice._reference import solve_si, spike_rate, upward_crossings
from felice.spice._sky130 import (
    Sky130Card,
    characterise,
    simulate_neuron,
    sweep_fast_iv,
)


class Extraction(NamedTuple):
    """Parameters extracted from sky130 sweeps (SI units).

    Attributes:
        nfet, pfet: exponential-region fits of the nFET and pFET (κ, I_0).
        pair: tanh fit of the `I_pair` differential pair.
        pair_residual: its max residual as a fraction of `I_pair`.
        fast, slow: tanh fits of the neuron's fast and slow OTAs, sharing one κ.
        g_filter: small-signal conductance of the OTA-C filter's OTA in S.
        curves: the raw sweeps, for plots: `V_gs, I_n, I_p, pair_dV, pair_I, block_x,
            I_fast, I_slow, I_filter` (arrays) and the devices' `W_over_L`.
    """

    nfet: SubthresholdFit
    pfet: SubthresholdFit
    pair: TanhFit
    pair_residual: float
    fast: TanhFit
    slow: TanhFit
    g_filter: float
    curves: dict[str, np.ndarray]


def extract(card: Sky130Card, *, block_range: float = 0.25, n_points: int = 51) -> Extraction:
    """Run the characterisation benches (one ngspice run) and fit them.

    Args:
        card: the design card.
        block_range: the OTAs are fitted over ±`block_range` V around V_ref (the
            neuron's voltage swing).
        n_points: points per sweep (the gate sweep of the transistors gets 2·n_points − 1).
    """
    U_t = card.U_t
    char = characterise(
        card,
        V_gs=np.linspace(0.0, 1.0, 2 * n_points - 1),
        delta_V=np.linspace(-0.3, 0.3, n_points),
        x=np.linspace(-block_range, block_range, n_points),
    )
    sweep, (dV, I_pair), blocks = char.transistors, char.pair, char.blocks
    W_over_L = card.W / card.L
    nfet = fit_subthreshold(sweep.V_gs, sweep.I_n, U_t=U_t, W_over_L=W_over_L)
    pfet = fit_subthreshold(sweep.V_gs, sweep.I_p, U_t=U_t, W_over_L=W_over_L)
    pair = fit_tanh(dV, I_pair, U_t=U_t)
    fast, slow = fit_tanh(blocks.x, np.stack([blocks.I_fast, blocks.I_slow]), U_t=U_t)
    g_filter, _ = fit_conductance(blocks.x, blocks.I_filter, half_width=0.25 * block_range)
    curves = dict(
        V_gs=sweep.V_gs,
        I_n=sweep.I_n,
        I_p=sweep.I_p,
        pair_dV=dV,
        pair_I=I_pair,
        block_x=blocks.x,
        I_fast=blocks.I_fast,
        I_slow=blocks.I_slow,
        I_filter=blocks.I_filter,
        W_over_L=np.asarray(W_over_L),
    )
    return Extraction(
        nfet, pfet, pair, pair.max_residual / card.I_pair, fast, slow, g_filter, curves
    )


def fhnrs_from_extraction(
    card: Sky130Card, ex: Extraction, *, I_app: Float[ArrayLike, "*neurons"] = 0.0
) -> FHNRS:
    """FHNRS with the extracted parameters, via `FHNRS.from_circuit` (float64).

    κ is the one κ fitted to the neuron's OTAs (so the model's voltage unit
    2U_t/κ is the OTAs' tanh width); the element biases and offsets are the
    fitted amplitudes and offsets; the passive conductance 1/R becomes
    I_passive = (2U_t/κ)/R; the slow time constant is C_filter/g_filter; the
    spike threshold is one model voltage unit. Voltages are relative to V_ref.
    """
    kappa, U_t = ex.fast.kappa, card.U_t
    V_unit = 2 * U_t / kappa
    return FHNRS.from_circuit(
        C=card.C_mem,
        I_passive=V_unit / card.R_passive,
        I_B=(abs(ex.fast.I_B), abs(ex.slow.I_B)),
        sign=(-1.0, 1.0),
        tau=(0.0, card.C_filter / ex.g_filter),
        V_offset=(ex.fast.V_offset, ex.slow.V_offset),
        E_rev=0.0,
        I_app=I_app,
        V_th=V_unit,
        kappa=kappa,
        U_t=U_t,
        dtype=jnp.float64,
    )


def fast_iv(model: FHNRS, V: Float[ArrayLike, " n"]) -> Float[np.ndarray, " n"]:
    """Fast I–V curve of a single-neuron FHNRS in SI units, without the applied current.

    The membrane voltage is clamped at `V` (V), instantaneous elements follow it,
    the filtered voltages stay at rest (`model.equilibrium()`, at the model's I_app), and
    the result is the net current in A leaving the membrane through the passive
    conductance and the elements, shape `(n,)`.
    """
    V = jnp.asarray(V, jnp.float64) / model.voltage_unit
    rest = model.equilibrium(1)
    y = jnp.broadcast_to(rest, (V.shape[0], model.n_state)).at[:, 0].set(V).at[:, -1].set(0.0)
    currents = model.currents(y)
    inward = sum(v for k, v in currents.items() if k not in ("app", "syn"))
    return -np.asarray(inward, dtype=np.float64) * float(model.current_unit)


def spiking_range(model: FHNRS, I_app: Float[ArrayLike, " n"]) -> Bool[np.ndarray, " n"]:
    """Whether a single-neuron FHNRS's rest is unstable (it spikes) at each applied current.

    Linear stability of `FHNRS.equilibrium`: spiking where the Jacobian has an
    eigenvalue with positive real part. Returns a boolean array of shape `(n,)`.
    """
    I_app = jnp.asarray(I_app, jnp.float64)
    scaled = eqx.tree_at(lambda m: m.I_app, model, I_app / model.current_unit)
    y_eq = scaled.equilibrium(I_app.shape[0])

    def growth(m: FHNRS, y: jnp.ndarray) -> jnp.ndarray:
        jac = jax.jacfwd(lambda yy: m.dynamics(0.0, yy[None], None)[0])(y)
        return jnp.max(jnp.linalg.eigvals(jac).real)

    rates = eqx.filter_vmap(growth)(scaled.broadcast_to_neurons(I_app.shape[0]), y_eq)
    return np.asarray(rates) > 0


class TransistorComparison(NamedTuple):
    """Transistor-level FHN neuron against FHNRS with extracted parameters (SI units).

    Attributes:
        extraction: the extracted parameters.
        model: the FHNRS built from them (I_app = 0).
        I_app: applied currents of the transient grid in A, shape `(n,)`.
        rate_circuit, rate_model: spike rates in Hz (0: not spiking), shape `(n,)`.
        model_range: `(low, high)`: applied currents in A between which FHNRS's rest is unstable.
        frequency_error: max |rate_circuit − rate_model| / rate_model where both spike.
        iv_V: clamp voltages relative to V_ref in V, shape `(m,)`.
        iv_circuit, iv_model: fast I–V curves in A, shape `(m,)`.
        negative_region: `(low, high)` in V: where the model's fast I–V has negative slope.
        iv_error: max |iv_circuit − iv_model| over that region in A.
        I_bias: the current unit of the comparison (FHNRS's I_passive) in A.
        t, V_circuit, V_model: transient at `I_app[trace]`: times in s `(n_t,)`,
            membrane voltages relative to V_ref in V `(n_t,)`.
        trace: index into `I_app` of that transient.
    """

    extraction: Extraction
    model: FHNRS
    I_app: np.ndarray
    rate_circuit: np.ndarray
    rate_model: np.ndarray
    model_range: tuple[float, float]
    frequency_error: float
    iv_V: np.ndarray
    iv_circuit: np.ndarray
    iv_model: np.ndarray
    negative_region: tuple[float, float]
    iv_error: float
    I_bias: float
    t: np.ndarray
    V_circuit: np.ndarray
    V_model: np.ndarray
    trace: int


def _rates(t: np.ndarray, V: np.ndarray, V_th: float, t_settle: float) -> np.ndarray:
    rates = []
    for column in V.T:
        spikes = upward_crossings(t, column, V_th)
        rates.append(spike_rate(spikes[spikes > t_settle]))
    return np.asarray(rates)


def compare_transistor(
    card: Sky130Card,
    I_app: Float[ArrayLike, " n"] | Sequence[float] = (
        -1.2e-9, -0.8e-9, -0.4e-9, 0.0, 0.4e-9, 0.8e-9, 1.2e-9
    ),
    *,
    t_stop: float = 25e-3,
    V0: float = 0.01,
    extraction: Extraction | None = None,
) -> TransistorComparison:
    """Extract, map into FHNRS and compare I–V curves, spiking range and spike rates.

    Spikes are upward crossings of one model voltage unit (2U_t/κ above V_ref)
    after the first quarter of the run; a neuron with fewer than 3 such spikes
    counts as not spiking. Both circuit and model start at V = V0, V_slow = 0.

    Args:
        card: the design card.
        I_app: applied currents in A, shape `(n,)`; one neuron each in one ngspice run.
        t_stop: transient duration in s.
        V0: initial membrane offset in V.
        extraction: reuse an earlier `extract(card)`.
    """
    ex = extract(card) if extraction is None else extraction
    model = fhnrs_from_extraction(card, ex)
    V_unit = float(model.voltage_unit)
    I_app = np.asarray(I_app, dtype=np.float64)

    # Fast I–V: clamp v, hold the slow node at the model's resting value.
    V_rest = float(model.equilibrium(1)[0, 1]) * V_unit
    iv_V, iv_circuit = sweep_fast_iv(card, np.linspace(-3 * V_unit, 3 * V_unit, 61), V_rest)
    iv_model = fast_iv(model, iv_V)
    fine = np.linspace(iv_V[0], iv_V[-1], 601)
    negative = fine[np.gradient(fast_iv(model, fine), fine) < 0]
    region = (float(negative.min()), float(negative.max()))
    inside = (iv_V >= region[0]) & (iv_V <= region[1])
    iv_error = float(np.max(np.abs(iv_circuit - iv_model)[inside]))

    # Transients: every applied current in one ngspice run and one felice solve.
    t, V_circuit = simulate_neuron(card, I_app, t_stop, V0=V0)
    grid = np.linspace(0.0, t_stop, int(round(t_stop / 5e-6)) + 1)
    model_grid = fhnrs_from_extraction(card, ex, I_app=I_app)
    y0 = np.zeros((I_app.size, model.n_state))
    y0[:, 0] = V0 / V_unit
    V_model = solve_si(model_grid, y0, grid)[:, :, 0]
    settle = 0.25 * t_stop
    rate_circuit = _rates(t, V_circuit, V_unit, settle)
    rate_model = _rates(grid, V_model, V_unit, settle)
    both = (rate_circuit > 0) & (rate_model > 0)
    frequency_error = (
        float(np.max(np.abs(rate_circuit - rate_model)[both] / rate_model[both]))
        if both.any()
        else np.nan
    )

    fine_I = np.linspace(1.5 * I_app.min(), 1.5 * I_app.max(), 301)
    unstable = fine_I[spiking_range(model, fine_I)]
    model_range = (
        (float(unstable.min()), float(unstable.max())) if unstable.size else (np.nan, np.nan)
    )

    trace = int(np.argmin(np.abs(I_app - 0.5 * I_app[both].max()))) if both.any() else 0
    return TransistorComparison(
        extraction=ex,
        model=model,
        I_app=I_app,
        rate_circuit=rate_circuit,
        rate_model=rate_model,
        model_range=model_range,
        frequency_error=frequency_error,
        iv_V=iv_V,
        iv_circuit=iv_circuit,
        iv_model=iv_model,
        negative_region=region,
        iv_error=iv_error,
        I_bias=float(model.current_unit),
        t=t,
        V_circuit=V_circuit[:, trace],
        V_model=np.interp(t, grid, V_model[:, trace]),
        trace=trace,
    )
