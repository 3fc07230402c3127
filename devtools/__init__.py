"""What the tests, the benchmarks and the studies share, in one neutral place
(not part of the installed package).

- :mod:`devtools.pages`: a generated table put between its markers in a docs
  page (the benchmarks' and the studies' writer).
- :mod:`devtools.dask_counts`: the scheduler's own count of graph submissions
  (the Dask tests and the scaling benchmark); needs ``distributed``.
"""
