"""Field: linear projections of per-neuron currents `(T, N)` onto readout sites `(T, X)`.

Every field is a matrix M of shape `(X, N)` applied at each time: signal = I·Mᵀ.
The point-source volume conductor gives the extracellular potential of N current
sources in an infinite homogeneous medium of conductivity σ:

    φ(x) = 1/(4πσ) · Σ_n I_n / max(|x − r_n|, r_min)

and the current-source density along a line of equally spaced contacts is the
second difference CSD_i = −σ·(φ_{i+1} − 2φ_i + φ_{i−1})/h².
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from felice._validation import _concrete, check_finite, check_positive


class Field(eqx.Module):
    """Base of the linear fields: `matrix(n_neurons)` of shape `(X, N)`; `unit` of the signal."""

    @property
    @abc.abstractmethod
    def unit(self) -> str:
        """Unit of the projected signal when the sources are in A."""

    @abc.abstractmethod
    def matrix(self, n_neurons: int) -> Float[Array, "X N"]:
        """The projection matrix for `n_neurons` sources, shape `(X, N)`.

        Raises:
            ValueError: if the field is built for a different number of neurons.
        """

    def __call__(self, I: Float[Array, "T N"]) -> Float[Array, "T X"]:
        """Project currents `I` (A), shape `(T, N)`, to the sites: shape `(T, X)` in `unit`."""
        if jnp.ndim(I) != 2:
            raise ValueError(f"field input must have shape (T, N), got shape {jnp.shape(I)}")
        M = self.matrix(jnp.shape(I)[1])
        return I @ M.T.astype(I.dtype)


class IdentityField(Field):
    """Each neuron is its own site (X = N): the currents themselves, in A."""

    @property
    def unit(self) -> str:
        """`"A"`: the sites carry the neurons' currents."""
        return "A"

    def matrix(self, n_neurons: int) -> Float[Array, "N N"]:
        """The identity, shape `(N, N)` with N = `n_neurons`."""
        return jnp.eye(n_neurons)


class SumField(Field):
    """One site that collects the current of all neurons (a shared readout line), in A."""

    @property
    def unit(self) -> str:
        """`"A"`: the one site carries the total current."""
        return "A"

    def matrix(self, n_neurons: int) -> Float[Array, "1 N"]:
        """A row of ones, shape `(1, N)` with N = `n_neurons`."""
        return jnp.ones((1, n_neurons))


class MatrixField(Field):
    """A user-supplied projection `weights` of shape `(X, N)`; the signal's unit is `unit`.

    Attributes:
        weights: the matrix (a differentiable leaf), shape `(X, N)`.
        signal_unit: unit of the projected signal (default "A": dimensionless weights).
    """

    weights: Float[Array, "X N"]
    signal_unit: str = eqx.field(static=True)

    def __init__(self, weights: Float[ArrayLike, "X N"], unit: str = "A"):
        """Raises ValueError if `weights` is not a finite 2-D array."""
        check_finite("weights", weights)
        weights = jnp.asarray(weights)
        if weights.ndim != 2:
            raise ValueError(f"weights must have shape (X, N), got weights.shape={weights.shape}")
        self.weights = weights
        self.signal_unit = str(unit)

    @property
    def unit(self) -> str:
        """The `unit` given at construction (default `"A"`)."""
        return self.signal_unit

    def matrix(self, n_neurons: int) -> Float[Array, "X N"]:
        """`weights`, shape `(X, N)`.

        Raises:
            ValueError: if `weights` does not have `n_neurons` columns.
        """
        if self.weights.shape[1] != n_neurons:
            raise ValueError(
                f"MatrixField weights have {self.weights.shape[1]} columns but there are "
                f"{n_neurons} neurons"
            )
        return self.weights


def _line_spacing(electrodes: np.ndarray) -> float | None:
    """Contact spacing h if the electrodes are ≥ 3 equally spaced points on a line, else None."""
    if electrodes.shape[0] < 3:
        return None
    steps = np.diff(electrodes, axis=0)
    h = np.linalg.norm(steps[0])
    if h == 0 or not np.allclose(steps, steps[0], rtol=1e-9, atol=1e-12 * h):
        return None
    return float(h)


class PointSourceField(Field):
    """Point-source volume conductor: extracellular potential in V at each electrode.

    Attributes:
        neuron_positions: source positions r_n in m, shape `(N, D)` (D = 1, 2 or 3).
        electrode_positions: electrode positions in m, shape `(X, D)`.
        sigma: conductivity of the medium in S/m (> 0).
        r_min: smallest distance used in m (> 0): the size of a source, which
            keeps an electrode placed on a neuron finite.
        spacing: contact spacing in m when the electrodes are equally spaced along a
            line (≥ 3 contacts), else None; needed for `csd`.
    """

    neuron_positions: Float[Array, "N D"]
    electrode_positions: Float[Array, "X D"]
    sigma: Float[Array, ""]
    r_min: Float[Array, ""]
    spacing: float | None = eqx.field(static=True)

    def __init__(
        self,
        neuron_positions: Float[ArrayLike, "N D"],
        electrode_positions: Float[ArrayLike, "X D"],
        *,
        sigma: Float[ArrayLike, ""] = 0.3,
        r_min: Float[ArrayLike, ""] = 1e-6,
    ):
        """Defaults: σ = 0.3 S/m (cortical tissue), r_min = 1 µm.

        Raises:
            ValueError: for non-finite positions, positions that are not `(N, D)` and
                `(X, D)` with the same D, σ ≤ 0 or r_min ≤ 0.
        """
        check_finite("neuron_positions", neuron_positions)
        check_finite("electrode_positions", electrode_positions)
        check_positive("sigma", sigma)
        check_positive("r_min", r_min)
        r = jnp.asarray(neuron_positions)
        x = jnp.asarray(electrode_positions)
        if r.ndim != 2 or x.ndim != 2 or r.shape[1] != x.shape[1]:
            raise ValueError(
                "neuron_positions and electrode_positions must have shapes (N, D) and (X, D) "
                f"with the same D, got {r.shape} and {x.shape}"
            )
        self.neuron_positions = r
        self.electrode_positions = x
        self.sigma = jnp.asarray(sigma)
        self.r_min = jnp.asarray(r_min)
        x_np = _concrete(x)
        self.spacing = None if x_np is None else _line_spacing(np.asarray(x_np, float))

    @property
    def unit(self) -> str:
        """`"V"`: electrode potentials of the volume conductor."""
        return "V"

    def matrix(self, n_neurons: int) -> Float[Array, "X N"]:
        """1/(4πσ·max(|x − r|, r_min)) in V/A (Ω), shape `(X, N)`: electrodes by neurons.

        Raises:
            ValueError: if the field has a different number of neuron positions.
        """
        if self.neuron_positions.shape[0] != n_neurons:
            raise ValueError(
                f"PointSourceField has {self.neuron_positions.shape[0]} neuron positions but "
                f"there are {n_neurons} neurons"
            )
        d = self.electrode_positions[:, None, :] - self.neuron_positions[None, :, :]
        sq = jnp.sum(d**2, axis=-1)
        # sqrt only where the distance exceeds r_min: finite gradients on a neuron too.
        far = sq > self.r_min**2
        dist = jnp.where(far, jnp.sqrt(jnp.where(far, sq, 1.0)), self.r_min)
        return 1.0 / (4 * jnp.pi * self.sigma * dist)

    def csd(self, phi: Float[Array, "T X"]) -> Float[Array, "T X-2"]:
        """Current-source density (A/m³) at the interior contacts from the potential `phi` (V).

        Raises:
            ValueError: if the electrodes are not ≥ 3 equally spaced points on a line.
        """
        if self.spacing is None:
            raise ValueError(
                "csd needs ≥ 3 electrodes equally spaced along a line; got electrode_positions "
                f"of shape {self.electrode_positions.shape} that are not"
            )
        return current_source_density(phi, self.spacing, self.sigma)


def current_source_density(
    phi: Float[Array, "T X"], spacing: float | Float[Array, ""], sigma: Float[ArrayLike, ""]
) -> Float[Array, "T X-2"]:
    """CSD = −σ·∂²φ/∂z² by the second difference on equally spaced contacts.

    Args:
        phi: potentials in V at X ≥ 3 contacts along a line, shape `(T, X)`.
        spacing: contact spacing h in m (> 0).
        sigma: conductivity in S/m (> 0).

    Returns:
        CSD in A/m³ at the X − 2 interior contacts, shape `(T, X − 2)`.

    Raises:
        ValueError: if X < 3, h ≤ 0 or σ ≤ 0.
    """
    check_positive("spacing", spacing)
    check_positive("sigma", sigma)
    if jnp.ndim(phi) != 2 or jnp.shape(phi)[1] < 3:
        raise ValueError(f"phi must have shape (T, X) with X ≥ 3, got shape {jnp.shape(phi)}")
    d2 = (phi[:, 2:] - 2 * phi[:, 1:-1] + phi[:, :-2]) / spacing**2
    return -sigma * d2
