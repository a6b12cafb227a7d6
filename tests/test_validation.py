"""Bad input gets a ValueError that names the parameter."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import unchecked

from felice import FHNRS, Boomerang, WereRabbit, get_model, simulate
from felice import hardware as hw
from felice.analysis import classify, equilibria

NAN = math.nan

def _ill_typed(build):
    """A case whose input breaks the annotations on purpose: felice's own check must name it."""

    def call():
        with unchecked():
            return build()

    return call


CASES = [
    ("C", lambda: FHNRS(C=-1.0)),
    ("C", lambda: FHNRS(C=0.0)),
    ("C", lambda: FHNRS(C=NAN)),
    ("a", lambda: FHNRS(a=(-2.0, math.inf))),
    ("I_app", lambda: FHNRS(I_app=NAN)),
    ("kappa", lambda: FHNRS(kappa=1.5)),
    ("kappa", lambda: FHNRS(kappa=0.0)),
    ("U_t", lambda: FHNRS(U_t=0.0)),
    ("tau", lambda: FHNRS(tau=(0.0, -50.0))),
    ("tau_syn", lambda: FHNRS(tau_syn=0.0)),
    ("g", lambda: FHNRS(g=-1.0)),
    ("delta", lambda: FHNRS(delta=(0.0, 0.0, 0.0))),
    ("C", lambda: FHNRS.from_circuit(C=-1e-12)),
    ("I_passive", lambda: FHNRS.from_circuit(I_passive=0.0)),
    ("I_B", lambda: FHNRS.from_circuit(I_B=(-1e-9, 2e-9))),
    ("sign", lambda: FHNRS.from_circuit(sign=(2.0, 1.0))),
    ("tau", lambda: FHNRS.from_circuit(tau=(0.0, -1e-3))),
    ("kappa", lambda: FHNRS.from_circuit(kappa=1.2)),
    ("alpha", lambda: WereRabbit(alpha=NAN)),
    ("alpha", lambda: WereRabbit(alpha=-0.01)),
    ("spike_atol", lambda: WereRabbit(spike_atol=0.0)),
    ("spike_rtol", lambda: Boomerang(spike_rtol=-1e-4)),
    ("rho", lambda: Boomerang(rho=0.0)),
    ("U_t", lambda: Boomerang(U_t=0.0)),
    ("kappa", lambda: WereRabbit(beta=50.0)),
    ("C", lambda: WereRabbit.from_circuit(C=-1e-13)),
    ("I_bias", lambda: WereRabbit.from_circuit(I_bias=0.0)),
    ("I_n0", lambda: Boomerang.from_circuit(I_n0=-1e-12)),
    ("kappa", lambda: Boomerang.from_circuit(kappa=1.01)),
    ("U_t", lambda: Boomerang.from_circuit(U_t=-0.025)),
    ("C", _ill_typed(lambda: WereRabbit(C=jnp.ones(3) * 1e-13))),
    ("n_neurons", lambda: FHNRS().init_state(0)),
    ("n_neurons", lambda: WereRabbit(sigma=jnp.ones(3) * 0.6).init_state(4)),
    ("side", lambda: WereRabbit().init_state(2, side=2)),
    ("y", lambda: FHNRS().dynamics(0.0, jnp.zeros((4, 2)))),
    ("y", lambda: FHNRS.bursting().dynamics(0.0, jnp.zeros((4, 3)))),
    ("y", _ill_typed(lambda: WereRabbit().spike_condition(0.0, jnp.zeros(2)))),
    ("y", lambda: Boomerang(sigma=jnp.ones(3) * 0.6).dynamics(0.0, jnp.zeros((4, 2)))),
    ("I_ext", lambda: WereRabbit().dynamics(0.0, jnp.ones((4, 2)), {"I_ext": jnp.ones(3)})),
    ("nosuchmodel", lambda: get_model("nosuchmodel")),
    # Issue 15: silent accepts.
    ("dtype", lambda: FHNRS(dtype=jnp.int32)),
    ("dtype", lambda: FHNRS.from_circuit(dtype=jnp.int32)),
    ("dtype", lambda: WereRabbit(dtype=jnp.int32)),
    ("dtype", lambda: Boomerang.from_circuit(dtype=bool)),
    ("I_app", lambda: classify(FHNRS(), I_app=NAN)),
    ("I_app", lambda: equilibria(FHNRS(), I_app=[0.0, math.inf])),
    ("V_range", lambda: equilibria(FHNRS(), V_range=(1.0, -1.0))),
    ("V_range", lambda: equilibria(FHNRS(), V_range=(-1.0, NAN))),
    ("V_range", _ill_typed(lambda: equilibria(FHNRS(), V_range=(1.0,)))),
    ("saveat", lambda: simulate(FHNRS(), t1=1.0, saveat=True)),
    ("saveat", lambda: simulate(FHNRS(), t1=1.0, saveat=False)),
    ("saveat", _ill_typed(lambda: simulate(FHNRS(), t1=1000.0, saveat=400.0))),
    ("saveat", _ill_typed(lambda: simulate(FHNRS(), t1=1000.0, saveat=np.float64(400.0)))),
    ("saveat", _ill_typed(lambda: simulate(FHNRS(), t1=1.0, saveat=[[0.5]]))),
    ("T", lambda: hw.thermal_voltage(-5.0)),
    ("T", lambda: hw.thermal_voltage(0.0)),
    ("C", lambda: hw.ota_c_time_constant(C=-1.0, I_b=1e-9, kappa=0.7, U_t=0.025)),
    ("I_b", lambda: hw.ota_c_time_constant(C=1e-12, I_b=0.0, kappa=0.7, U_t=0.025)),
    ("I_b", lambda: hw.ota_transconductance(-1e-9, kappa=0.7, U_t=0.025)),
    ("kappa", lambda: hw.ota_transconductance(1e-9, kappa=0.0, U_t=0.025)),
    ("kappa", lambda: hw.nfet_current(0.3, 0.0, 0.5, I_0=1e-12, kappa=5.0, U_t=0.025)),
    ("I_0", lambda: hw.nfet_current(0.3, 0.0, 0.5, I_0=-1e-12, kappa=0.7, U_t=0.025)),
    ("U_t", lambda: hw.nfet_current(0.3, 0.0, 0.5, I_0=1e-12, kappa=0.7, U_t=0.0)),
    ("W_over_L", lambda: hw.nfet_current(0.3, 0.0, 0.5, I_0=1e-12, kappa=0.7, U_t=0.025,
                                         W_over_L=0.0)),
    ("V_g", lambda: hw.nfet_current(NAN, 0.0, 0.5, I_0=1e-12, kappa=0.7, U_t=0.025)),
    ("V_b", lambda: hw.pfet_current(1.5, 1.8, 1.0, V_b=NAN, I_0=1e-12, kappa=0.7, U_t=0.025)),
    ("kappa", lambda: hw.pfet_current(1.5, 1.8, 1.0, V_b=1.8, I_0=1e-12, kappa=1.5, U_t=0.025)),
    ("I_b", lambda: hw.diff_pair_current(0.1, I_b=-1e-9, kappa=0.7, U_t=0.025)),
    ("delta_V", lambda: hw.diff_pair_current(math.inf, I_b=1e-9, kappa=0.7, U_t=0.025)),
]


@pytest.mark.parametrize("name, build", CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_invalid_input_raises_value_error_naming_the_parameter(name, build):
    with pytest.raises(ValueError, match=name):
        build()


def test_unknown_model_lists_the_models():
    with pytest.raises(ValueError, match="fhnrs, wererabbit, boomerang"):
        get_model("rabbit")


@pytest.mark.parametrize("sigma", [0.0, 1.5])
def test_no_stable_fixpoint_is_an_error(sigma):
    # σ = 0: the whole diagonal (the separatrix) is a line of fixpoints, nothing off it;
    # σ = 1.5: the current sink I_a outweighs the bias branch, no rest point at all.
    with pytest.raises(ValueError, match="no stable fixpoint"):
        WereRabbit(sigma=sigma).init_state(1)
