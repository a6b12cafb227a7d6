"""Reports of the co-simulations: numbers (text and JSON) and figures."""

import json
from pathlib import Path

import numpy as np

from felice._io import atomic_savefig, atomic_write
from felice.spice._compare_behavioural import BehaviouralComparison
from felice.spice._compare_transistor import TransistorComparison
from felice.units import format_si


def behavioural_summary(name: str, c: BehaviouralComparison) -> dict:
    """JSON-ready numbers of a behavioural comparison."""
    return dict(
        model=name,
        n_points=int(c.t.size),
        duration_s=float(c.t[-1]),
        max_relative_error={k: float(v) for k, v in zip(c.state_names, c.rel_error, strict=True)},
        events_s=[float(e) for e in c.events],
        spice_events_s=[float(e) for e in c.spice_events],
    )


def behavioural_text(name: str, c: BehaviouralComparison) -> str:
    """A few lines for people: errors per node and the events."""
    lines = [
        f"{name}: behavioural netlist in ngspice vs felice, {c.t.size} time points over "
        f"{format_si(c.t[-1], 's')}"
    ]
    for state, err in zip(c.state_names, c.rel_error, strict=True):
        lines.append(f"  {state:<8} max |ngspice − felice| / peak = {err:.2e}")
    if c.events.size:
        lines.append(
            f"  felice's spike condition (spike or fixpoint arrival) first met at "
            f"{format_si(c.events[0], 's')}; {c.events.size} upward crossing(s) in all, "
            "counting re-crossings while a trajectory settles"
        )
    else:
        lines.append("  felice's spike condition is never met in this transient")
    return "\n".join(lines)


def transistor_summary(c: TransistorComparison) -> dict:
    """JSON-ready numbers of the transistor-level comparison (SI units)."""
    ex = c.extraction
    return dict(
        nfet=dict(
            kappa=ex.nfet.kappa,
            I_0=ex.nfet.I_0,
            window_V=[ex.nfet.V_lo, ex.nfet.V_hi],
            rms_log_residual=ex.nfet.rms_residual,
        ),
        pfet=dict(
            kappa=ex.pfet.kappa,
            I_0=ex.pfet.I_0,
            window_V=[ex.pfet.V_lo, ex.pfet.V_hi],
            rms_log_residual=ex.pfet.rms_residual,
        ),
        diff_pair=dict(
            I_B=ex.pair.I_B,
            kappa=ex.pair.kappa,
            V_offset=ex.pair.V_offset,
            max_residual_fraction_of_tail=ex.pair_residual,
        ),
        ota_fast=ex.fast._asdict(),
        ota_slow=ex.slow._asdict(),
        g_filter=ex.g_filter,
        fhnrs={k: np.asarray(v).tolist() for k, v in c.model.to_circuit().items()},
        I_app=c.I_app.tolist(),
        rate_circuit_Hz=c.rate_circuit.tolist(),
        rate_model_Hz=c.rate_model.tolist(),
        model_spiking_range_A=list(c.model_range),
        frequency_error=c.frequency_error,
        negative_conductance_region_V=list(c.negative_region),
        iv_error_A=c.iv_error,
        iv_error_fraction_of_I_bias=c.iv_error / c.I_bias,
        I_bias=c.I_bias,
    )


def transistor_text(c: TransistorComparison) -> str:
    """A readable account of the transistor-level comparison."""
    ex = c.extraction
    m = c.model.to_circuit()
    lines = [
        "sky130 extraction",
        f"  nFET: kappa = {ex.nfet.kappa:.4f}, I_0 = {format_si(ex.nfet.I_0, 'A')} (per W/L), "
        f"exponential region V_GS = {ex.nfet.V_lo:.2f}–{ex.nfet.V_hi:.2f} V, "
        f"rms log residual {ex.nfet.rms_residual:.1e}",
        f"  pFET: kappa = {ex.pfet.kappa:.4f}, I_0 = {format_si(ex.pfet.I_0, 'A')} (per W/L), "
        f"V_SG = {ex.pfet.V_lo:.2f}–{ex.pfet.V_hi:.2f} V",
        f"  {format_si(ex.pair.I_B, 'A')} differential pair: tanh fit kappa = {ex.pair.kappa:.4f}, "
        f"max residual {100 * ex.pair_residual:.3f} % of the tail current",
        f"  neuron OTAs (one kappa): kappa = {ex.fast.kappa:.4f}, "
        f"fast I_B = {format_si(ex.fast.I_B, 'A')}, "
        f"slow I_B = {format_si(abs(ex.slow.I_B), 'A')}, offsets {1e3 * ex.fast.V_offset:.2f} / "
        f"{1e3 * ex.slow.V_offset:.2f} mV",
        f"  OTA-C filter: g_m = {format_si(ex.g_filter, 'S')} "
        f"-> tau_slow = {format_si(float(m['tau'][1]), 's')}",
        "FHNRS.from_circuit with these values",
        f"  I_passive = {format_si(float(m['I_passive']), 'A')}, "
        f"V unit = {format_si(float(m['voltage_unit']), 'V')}, "
        f"time unit = {format_si(float(m['time_unit']), 's')}",
        "spiking (rate in Hz, 0 = silent): I_app, transistor circuit, FHNRS",
    ]
    for I, rc, rm in zip(c.I_app, c.rate_circuit, c.rate_model, strict=True):
        lines.append(f"  {format_si(I, 'A'):>9}  {rc:8.1f}  {rm:8.1f}")
    lines += [
        f"  FHNRS rest is unstable (spiking) for I_app in [{format_si(c.model_range[0], 'A')}, "
        f"{format_si(c.model_range[1], 'A')}]",
        f"  max spike-frequency error where both spike: {100 * c.frequency_error:.1f} %",
        "fast I–V over the negative-conductance region V − V_ref in "
        f"[{1e3 * c.negative_region[0]:.1f}, {1e3 * c.negative_region[1]:.1f}] mV: "
        f"max |circuit − FHNRS| = {format_si(c.iv_error, 'A')} = "
        f"{100 * c.iv_error / c.I_bias:.1f} % of I_passive = {format_si(c.I_bias, 'A')}",
    ]
    return "\n".join(lines)


def write_json(data: dict, path: str | Path) -> Path:
    """Write `data` as indented JSON, atomically; returns the path."""
    return atomic_write(path, json.dumps(data, indent=2) + "\n")


def plot_behavioural(name: str, c: BehaviouralComparison, path: str | Path) -> Path:
    """Figure: each state column's trajectory in ngspice and felice over its peak, and their
    difference (columns that are 0 throughout are left out)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Every column that moves, over its own peak: voltages and currents on one axis.
    peaks = np.max(np.abs(c.felice), axis=0)
    shown = [k for k in range(len(c.state_names)) if peaks[k] > 0]
    fig, (ax, err) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, layout="constrained")
    t_ms = c.t * 1e3
    for k in shown:
        peak = peaks[k]
        label = f"{c.state_names[k]} (peak {peak:.3g})"
        (line,) = ax.plot(t_ms, c.felice[:, k] / peak, lw=2.5, alpha=0.5, label=f"{label} felice")
        ax.plot(t_ms, c.spice[:, k] / peak, "--", c=line.get_color(), lw=1, label="ngspice")
        err.plot(
            t_ms,
            (c.spice[:, k] - c.felice[:, k]) / peak,
            c=line.get_color(),
            lw=1,
            label=f"{c.state_names[k]}: max {c.rel_error[k]:.1e}",
        )
    if c.events.size:
        ax.axvline(
            c.events[0] * 1e3, c="gray", ls=":", lw=1, label="first spike condition (felice)"
        )
    ax.set(ylabel="state / its peak (SI: V, A)",
           title=f"{name}: behavioural netlist (ngspice) vs felice")
    ax.legend(fontsize=8, ncol=2)
    err.set(xlabel="time (ms)", ylabel="error / peak")
    err.legend(fontsize=8)
    atomic_savefig(fig, path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_transistor(c: TransistorComparison, path: str | Path) -> Path:
    """Figure: extraction (devices, pair, OTAs), fast I–V, rates, a transient; circuit vs FHNRS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ex, cur = c.extraction, c.extraction.curves
    U_t = float(c.model.U_t)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")

    ax = axes[0, 0]
    for label, I, fit in (("nFET", cur["I_n"], ex.nfet), ("pFET", cur["I_p"], ex.pfet)):
        (line,) = ax.semilogy(cur["V_gs"], I, "o", ms=3, label=f"{label} (sky130 tt)")
        V = np.linspace(fit.V_lo - 0.1, fit.V_hi + 0.1, 50)
        ax.semilogy(
            V,
            fit.I_0 * float(cur["W_over_L"]) * np.exp(fit.kappa * V / U_t),
            "-",
            c=line.get_color(),
            lw=1,
            label=f"κ = {fit.kappa:.3f}, I_0 = {format_si(fit.I_0, 'A', 3)}",
        )
        ax.axvspan(fit.V_lo, fit.V_hi, color=line.get_color(), alpha=0.08)
    ax.set(
        xlabel="V_GS, V_SG (V)",
        ylabel="drain current (A)",
        title="subthreshold fit",
        ylim=(1e-13, 1e-5),
    )
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    dV, I = cur["pair_dV"], cur["pair_I"]
    fit = ex.pair
    model_I = fit.I_B * np.tanh(fit.kappa * (dV - fit.V_offset) / (2 * U_t))
    ax.plot(dV * 1e3, I * 1e9, "o", ms=3, label="sky130 pair")
    ax.plot(dV * 1e3, model_I * 1e9, "-", lw=1, label=f"tanh fit, κ = {fit.kappa:.3f}")
    ax.set(
        xlabel="ΔV (mV)",
        ylabel="I₁ − I₂ (nA)",
        title=f"{format_si(fit.I_B, 'A', 3)} differential pair",
    )
    twin = ax.twinx()
    twin.plot(dV * 1e3, (I - model_I) / abs(fit.I_B) * 100, c="C3", lw=1)
    twin.set_ylabel("residual (% of tail)", color="C3")
    ax.legend(fontsize=8, loc="upper left")

    ax = axes[0, 2]
    x = cur["block_x"] * 1e3
    for key, fitx, label in (("I_fast", ex.fast, "fast OTA"), ("I_slow", ex.slow, "slow OTA")):
        (line,) = ax.plot(x, cur[key] * 1e9, "o", ms=3, label=label)
        ax.plot(
            x,
            fitx.I_B * np.tanh(fitx.kappa * (cur["block_x"] - fitx.V_offset) / (2 * U_t)) * 1e9,
            c=line.get_color(),
            lw=1,
        )
    (line,) = ax.plot(x, cur["I_filter"] * 1e9, "o", ms=3, label="filter OTA (wide range)")
    ax.plot(
        x,
        ex.g_filter * cur["block_x"] * 1e9,
        c=line.get_color(),
        lw=1,
        label=f"g_m = {format_si(ex.g_filter, 'S', 3)}",
    )
    ax.set(
        xlabel="input − V_ref (mV)",
        ylabel="output current (nA)",
        title=f"neuron blocks, one κ = {ex.fast.kappa:.3f}",
    )
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    ax.axvspan(
        c.negative_region[0] * 1e3,
        c.negative_region[1] * 1e3,
        color="gray",
        alpha=0.15,
        label="negative conductance (FHNRS)",
    )
    ax.plot(c.iv_V * 1e3, c.iv_circuit * 1e9, "o", ms=3, label="transistor circuit")
    ax.plot(c.iv_V * 1e3, c.iv_model * 1e9, "-", label="FHNRS (extracted)")
    ax.set(
        xlabel="V − V_ref (mV)",
        ylabel="net outward current (nA)",
        title=f"fast I–V: max error {100 * c.iv_error / c.I_bias:.1f} % of I_passive in the region",
    )
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    ax.axvspan(
        c.model_range[0] * 1e9,
        c.model_range[1] * 1e9,
        color="gray",
        alpha=0.15,
        label="FHNRS rest unstable",
    )
    ax.plot(c.I_app * 1e9, c.rate_circuit, "o", label="transistor circuit")
    ax.plot(c.I_app * 1e9, c.rate_model, "x", ms=8, label="FHNRS (extracted)")
    ax.set(
        xlabel="I_app (nA)",
        ylabel="spike rate (Hz)",
        title=f"spiking: max frequency error {100 * c.frequency_error:.1f} %",
    )
    ax.legend(fontsize=8)

    ax = axes[1, 2]
    ax.plot(c.t * 1e3, c.V_circuit * 1e3, label="transistor circuit")
    ax.plot(c.t * 1e3, c.V_model * 1e3, "--", label="FHNRS (extracted)")
    ax.set(
        xlabel="time (ms)",
        ylabel="V − V_ref (mV)",
        title=f"transient at I_app = {format_si(c.I_app[c.trace], 'A')}",
    )
    ax.legend(fontsize=8)

    fig.suptitle("Ribar–Sepulchre FHN neuron in sky130 (ngspice, BSIM4) vs felice FHNRS")
    atomic_savefig(fig, path, dpi=110)
    plt.close(fig)
    return Path(path)
