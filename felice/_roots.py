"""Root finding shared by the models and the analysis: Newton from many starts, distinct
roots kept, and the stability of an equilibrium from its Jacobian eigenvalues.

It sits below both `felice.neuron_models` and `felice.analysis`, so that a model can find
its own fixpoints without importing the analysis package.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, Bool, Complex, Float, Int


def newton_from_starts(
    fn: Callable[[Array], Array], starts: Float[Array, "n_starts n"]
) -> tuple[Float[Array, "n_starts n"], Bool[Array, " n_starts"]]:
    """Newton (optimistix) from each start; returns the end points and which converged.

    A start counts as converged if Newton reported success (steps and residual below
    eps^¾) and the residual is below √eps, in the starts' dtype.
    """
    eps = jnp.finfo(starts.dtype).eps
    tol = eps**0.75  # Newton's step and residual; √eps below decides what counts as a root

    def solve(y0: Array) -> tuple[Array, Array]:
        sol = optx.root_find(
            lambda y, _: fn(y),
            optx.Newton(rtol=tol, atol=tol),
            y0,
            max_steps=64,
            throw=False,
        )
        return sol.value, sol.result == optx.RESULTS.successful

    roots, ok = jax.vmap(solve)(starts)
    residual = jnp.max(jnp.abs(jax.vmap(fn)(roots)), axis=1, initial=0.0)  # 0 unknowns: 0
    ok = ok & (residual < jnp.sqrt(eps)) & jnp.all(jnp.isfinite(roots), axis=1)
    return roots, ok


def distinct(
    points: Float[Array, "n d"], valid: Bool[Array, " n"], key: Float[Array, " n"], max_count: int
) -> tuple[Float[Array, "max_count d"], Bool[Array, " max_count"], Bool[Array, ""]]:
    """Up to `max_count` distinct valid points, in increasing `key`.

    Points closer than 10·√eps·(1 + |p|) in every coordinate are one point. Cost
    O(n·max_count), so that thousands of Newton starts stay cheap.

    Returns:
        (points padded with NaN, which slots are filled, whether more distinct
        points exist than `max_count`).
    """
    tol = 10 * jnp.sqrt(jnp.finfo(points.dtype).eps)

    def take(remaining: Array, _: None) -> tuple[Array, tuple[Array, Array]]:
        i = jnp.argmin(jnp.where(remaining, key, jnp.inf))
        found = remaining[i]
        p = points[i]
        same = jnp.all(jnp.abs(points - p) <= tol * (1 + jnp.abs(p)), axis=1)
        return remaining & ~(same & found), (jnp.where(found, p, jnp.nan), found)

    remaining = valid & jnp.isfinite(key)
    remaining, (out, filled) = jax.lax.scan(take, remaining, None, length=max_count)
    return out, filled, jnp.any(remaining)


def within(points: Float[Array, "n d"], starts: Float[Array, "m d"]) -> Bool[Array, " n"]:
    """Which points lie in the box spanned by the starts (widened by √eps·(1 + |x|))."""
    slack = jnp.sqrt(jnp.finfo(starts.dtype).eps) * (1 + jnp.max(jnp.abs(starts), axis=0))
    lo, hi = jnp.min(starts, axis=0) - slack, jnp.max(starts, axis=0) + slack
    return jnp.all((points >= lo) & (points <= hi), axis=1)


def stability_kind(eigenvalues: Complex[Array, " n"]) -> Int[Array, ""]:
    """The kind of an equilibrium with these Jacobian eigenvalues: 0 stable node, 1 stable
    focus, 2 unstable node, 3 unstable focus, 4 saddle, 5 non-hyperbolic (the index into
    `felice.analysis.KINDS`).

    Real parts within √eps·max|λ| of 0 make it non-hyperbolic; a focus has a pair
    with an imaginary part beyond that tolerance.
    """
    re, im = jnp.real(eigenvalues), jnp.imag(eigenvalues)
    tol = jnp.sqrt(jnp.finfo(re.dtype).eps) * jnp.maximum(1.0, jnp.max(jnp.abs(eigenvalues)))
    focus = jnp.any(jnp.abs(im) > tol)
    return jnp.select(
        [jnp.any(jnp.abs(re) <= tol), jnp.all(re < 0), jnp.all(re > 0)],
        [5, jnp.where(focus, 1, 0), jnp.where(focus, 3, 2)],
        default=4,
    )
