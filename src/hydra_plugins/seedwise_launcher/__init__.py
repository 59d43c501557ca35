"""The seedwise launcher for Hydra: ``hydra/launcher=seedwise`` runs a multirun as a seedwise sweep.

Hydra finds it in the ``hydra_plugins`` namespace package; the launcher's
work is done by :mod:`seedwise.integrations.hydra`, imported when a
multirun launches, so that every other Hydra app pays nothing for it.
"""
