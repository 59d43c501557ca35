"""One training of the tutorial's network in a fresh process, for ``seedwise demo``.

    python -m seedwise.demo._fit_once RECIPE SEED EPOCHS

RECIPE is ``none`` (no seeding), ``tutorial`` (``numpy.random.seed(1)`` then
``tensorflow.random.set_seed(2)``, as the tutorial does) or ``seedwise``
(``seedwise.seed_everything(SEED)``). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str]) -> None:
    recipe, seed, epochs = argv[0], int(argv[1]), int(argv[2])
    report = None
    if recipe == "tutorial":
        from numpy.random import seed as numpy_seed

        numpy_seed(1)
        from tensorflow import random as tf_random

        tf_random.set_seed(2)
    elif recipe == "seedwise":
        import seedwise

        report = seedwise.seed_everything(seed).to_dict()
    from seedwise.demo.network import fit_network

    result = fit_network(epochs)
    if recipe == "tutorial":
        # The same two generators, seeded through seedwise, to let its report
        # say what the recipe leaves out.
        import seedwise

        report = seedwise.seed_everything(seed, frameworks=("numpy", "tensorflow")).to_dict()
    print(
        json.dumps(
            {
                "recipe": recipe,
                "seed": seed,
                "mse": result.mse,
                "weights": result.weights_digest,
                "report": report,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
