"""sksmooth's research studies: does smoothing pay, and against what?

Each study is a module run from the repository's root, writing its summary
table between its markers in its docs page (``--output`` names another file;
``--quick`` is the smoke run its tests use, writing nothing unless
``--output`` is given):

- ``python -m studies.calibration``: choosing ε by cross-validation under label
  noise, into docs/choosing_epsilon.md (and the README's short table);
- ``python -m studies.noisy_labels``: label smoothing against label-noise
  handling (cleanlab) on real tables (``_real_tables``), into
  docs/noisy_labels.md; its extra packages: ``pip install -r
  studies/requirements.txt``.

Speed measurements live in ``benchmarks/``; a study's quick test sits beside it
in ``studies/tests/``.
"""
