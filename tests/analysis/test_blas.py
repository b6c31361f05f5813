"""One BLAS thread inside the context, the previous setting after it."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from parkhq.analysis.blas import one_blas_thread


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_blas_runs_on_one_thread_inside_and_as_before_after() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS is loaded
    before = blas_threads()
    assert before
    with one_blas_thread():
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before
