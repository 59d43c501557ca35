"""Pass run seeds to every seeding API; print what each kept, as JSON (run in a fresh process).

Usage: python seed_apis.py SEED [SEED ...]
"""

from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax
import keras
import lightning as L
import numpy as np
import tensorflow as tf
import torch
from sklearn.linear_model import SGDClassifier


def accepted(seed: int) -> dict[str, Any]:
    """What each API made of ``seed``: the seed it reports back, or the key's words."""
    random.seed(seed)
    np.random.seed(seed)
    legacy = np.random.RandomState(seed)
    torch.manual_seed(seed)
    tf.random.set_seed(seed)
    keras.utils.set_random_seed(seed)
    lightning = L.seed_everything(seed, verbose=False)
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    model = SGDClassifier(random_state=seed, max_iter=5, tol=None).fit(x, np.arange(10) % 2)
    return {
        "numpy": int(np.random.get_state()[1][0]),
        "random_state": int(legacy.get_state()[1][0]),
        "torch": int(torch.initial_seed()),
        "lightning": int(lightning),
        "sklearn": int(model.random_state),
        "jax.key": [int(w) for w in jax.random.key_data(jax.random.key(seed))],
        "jax.PRNGKey": [int(w) for w in jax.random.key_data(jax.random.PRNGKey(seed))],
    }


if __name__ == "__main__":
    print(json.dumps({arg: accepted(int(arg)) for arg in sys.argv[1:]}))
