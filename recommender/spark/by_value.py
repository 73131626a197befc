"""Shipping this package's modules to Spark's executors by value, not by name.

Spark pickles a function it runs on executors with ``cloudpickle``, which by default refers to
a module's functions by import name: an executor without this package installed fails. While
``pickled_by_value(...)`` holds, the functions of the modules named are pickled with their
code, so executors need numpy and pyarrow (which pyspark's Arrow support requires anyway),
not this package. A module already so registered (by an enclosing block) is left to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def pickled_by_value(*modules: ModuleType) -> Iterator[None]:
    """Inside, ``cloudpickle`` pickles the functions of ``modules`` by value; each module this
    block registered is unregistered on leaving, one registered before is kept so."""
    from pyspark import cloudpickle

    mine = [m for m in modules if m.__name__ not in cloudpickle.list_registry_pickle_by_value()]
    for m in mine:
        cloudpickle.register_pickle_by_value(m)
    try:
        yield
    finally:
        for m in mine:
            cloudpickle.unregister_pickle_by_value(m)
