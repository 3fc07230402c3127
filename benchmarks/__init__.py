"""sksmooth's benchmarks: one script per study, sharing ``_harness``.

``python -m benchmarks.run`` runs every study and writes each one's table into
its docs page between that study's own markers; ``--quick`` is the smoke run the
tests use. Each study also runs alone: ``python -m benchmarks.solvers``.
"""
