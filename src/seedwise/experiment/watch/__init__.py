"""What is observed inside a run, in the worker, while the experiment's code runs.

- :mod:`~seedwise.experiment.watch.unseeded`: the random sources no seed
  controls (``default_rng()``, ``os.urandom``, seeds from the clock, ...),
  and where user code used them;
- :mod:`~seedwise.experiment.watch._calls`: which call a frame is making, read
  from its source, for the calls that cannot be wrapped.
"""
