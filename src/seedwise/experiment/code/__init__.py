"""What counts as an experiment's code: its identity, and the files that travel with it.

- :mod:`~seedwise.experiment.code.user_modules`: which Python files are the
  user's own (found by reading imports, never by running them);
- :mod:`~seedwise.experiment.code.definitions`: the source of a function sent
  by value, read where it was defined;
- :mod:`~seedwise.experiment.code.identity`: the digests of that code, the
  study's code hash;
- :mod:`~seedwise.experiment.code.bundle`: those files, sent to a cluster's
  workers that do not have them.
"""
