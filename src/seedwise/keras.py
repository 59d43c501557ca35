"""``seedwise.keras.FingerprintCallback``: the Keras hook, under the name the docs use.

Importing this module imports Keras. The hook itself lives in
``seedwise.integrations.keras``.
"""

from __future__ import annotations

from seedwise.integrations.keras import FingerprintCallback as FingerprintCallback

__all__ = ["FingerprintCallback"]
