"""One BLAS thread for the analyses' small dense products.

The analyses multiply matrices of thousands × hundreds. More BLAS threads do not make such
products faster, and on a busy 2-core machine multi-threaded OpenBLAS spins between calls and
stalls the caller (measured on the national parks × groups complexity table: 18 ms on one thread,
60 ms on two while other work ran).
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[Any]:
    """A context in which the BLAS libraries loaded in the process use one thread."""
    limited: AbstractContextManager[Any] = _controller().limit(limits=1, user_api="blas")
    return limited
