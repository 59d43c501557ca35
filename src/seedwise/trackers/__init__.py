"""The trackers people already log to: a study's runs written to them.

``seedwise run --log-to`` and ``seedwise export --to``.

Each tracker has a module of its own, imported only when asked for, so that
``import seedwise`` never loads a tracker's client.
"""
