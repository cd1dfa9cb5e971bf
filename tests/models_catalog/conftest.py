"""Catalog tests run without a database; they only pin the thread pools."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def one_thread_per_library():
    """BLAS and OpenMP pools at one thread: on a shared 2-core box, oversubscribed pools are slower, not faster."""
    with threadpool_limits(1):
        yield
