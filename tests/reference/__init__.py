"""Reference formulations the tests (and ``tools/analysis/benchmark*.py``)
compare the package against: loops that follow the original authors' code
and the reference evaluators, written independently of the fast paths.

One module per concept; nothing here is imported by ``backtal_mmaction``.
"""
