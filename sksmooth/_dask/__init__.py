"""Fitting, predicting and scoring on ``dask.array`` data spread over workers.

Imported only by :mod:`sksmooth._backend`, and only when a dask collection
reaches an estimator, so Dask stays an optional extra
(``pip install "sksmooth[dask]"``). This package knows arrays, losses and
blocks, never an estimator class: a learner hands it how to build its loss for
a block, runs its own solver on the summed objective it gets back, and sets its
own fitted attributes.

- :mod:`._blocks`: row blocks of ``X``, ``y`` and ``sample_weight``, aligned;
  labels encoded and class weights applied block by block;
- :mod:`._objective`: the per-block objectives, persisted where the blocks
  live, and their sum, one graph submission per evaluation;
- :mod:`._api`: what :mod:`sksmooth._backend` calls: the summed objective of
  a fit, smoothing of targets, predictions and scores.

How a fit runs
--------------
1. ``X`` is chunked by rows (its columns rechunked into one block); ``y`` and
   ``sample_weight`` are brought to the same row chunks. Labels are encoded
   against the classes, found once with ``da.unique``; a ``class_weight``
   multiplies the sample weights block by block.
2. Every row block becomes one :class:`~._objective.BlockObjective`, built once
   per fit on the worker that holds the block (``dask.persist``): it validates
   the block (finite ``X``, valid soft targets, non-negative weights) and wraps
   the learner's own loss built without its penalty, so that it returns the
   block's *summed* weighted loss and gradient.
3. The learner's solver runs on the client. Each evaluation is one graph
   submission: one task per block evaluating it where the block lives, with
   the parameter vector embedded in it (or, when those copies would pass
   ``INLINE_PARAMETER_BYTES``, a task of its own), one sum per worker over the
   blocks it holds (no transfer; where the blocks are is asked once per fit),
   and, beyond ``SPLIT_EVERY`` workers, a tree of sums across them. At most
   ``SPLIT_EVERY`` losses and gradients of ``n_params`` floats come back; the
   learner's loss, built on zero rows with its penalty, turns the sums into
   the objective (the penalty is added once, there).

With a ``distributed.Client`` (the default client), the block objectives live
on the workers for the whole fit. Without one (or with a local scheduler set by
``dask.config.set(scheduler=...)``), dask's threaded scheduler is used: the
blocks are computed once into this process's memory, so the whole data must fit
in it, and evaluated in parallel threads (same results; no persistence across
machines, nothing gained over an in-memory fit but the lazy loading).
"""
