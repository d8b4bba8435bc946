"""Reference formulations that the tests and ``tools/analysis/benchmark*.py``
compare the package against: loops that follow the original authors' code
and the reference evaluators, written independently of the fast paths
(the role of ``mmaction.testing``).

One module per concept; the rest of ``backtal_mmaction`` never imports
this package, and importing the plugin does not import it: it ships with
the package so that the installed benchmark tools work without the tests.
"""
