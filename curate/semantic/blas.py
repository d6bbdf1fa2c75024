"""How many threads numpy's BLAS uses: one, for the semantic phase's many small products."""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["blas_threads"]


def blas_threads(limit: int | None) -> contextlib.AbstractContextManager[Any]:
    """Limit numpy's BLAS threads inside a ``with`` block (when threadpoolctl is installed).

    Many small products and LAPACK calls (k-means++ steps, per-cluster blocks, a PCA of a
    few thousand points) run much faster on one thread than on several that wait for
    each other, above all on a busy machine: measured here, 0.06 s instead of 4 s for
    one eigendecomposition.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=limit, user_api="blas")
