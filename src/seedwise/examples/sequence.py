"""The tutorial's network as a seedwise experiment.

A 1-10-1 multilayer perceptron learns the sequence 0.0 -> 0.1, ..., 0.8 -> 0.9
with Adam and a mean squared error loss, as in "How to Get Reproducible
Results with Keras". Run it 30 times with derived seeds:

    seedwise run seedwise.examples.sequence:train --repeats 30 --set epochs=100

Config keys: ``epochs`` (100), ``units`` (10), ``learning_rate`` (0.001),
``optimizer`` (``adam`` or ``sgd``), ``batch_size`` (9, the whole data set).
The Keras backend is Keras's own choice: set ``KERAS_BACKEND``.
"""

from __future__ import annotations

import numpy as np

import seedwise


def train(ctx: seedwise.RunContext) -> dict[str, float]:
    """Train the network once; return its MSE on the training sequence."""
    import keras

    epochs = int(ctx.config.get("epochs", 100))
    units = int(ctx.config.get("units", 10))
    learning_rate = float(ctx.config.get("learning_rate", 0.001))
    optimizer = str(ctx.config.get("optimizer", "adam"))
    batch_size = int(ctx.config.get("batch_size", 9))

    sequence = np.arange(10, dtype=np.float32) / 10
    x, y = sequence[:-1], sequence[1:]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(units), keras.layers.Dense(1)])
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    model.compile(loss="mean_squared_error", optimizer=optimizers[optimizer](learning_rate))

    # The loss of each epoch, from the History that fit returns: a callback of our own
    # would cost Keras a conversion of its logs every epoch (a fifth more CPU at 100 epochs).
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    for epoch, loss in enumerate(history.history["loss"]):
        ctx.log(step=epoch, loss=float(loss))
    ctx.fingerprint("weights", model.get_weights(), step=epochs)
    predictions = np.asarray(model.predict(x, verbose=0), dtype=np.float64)[:, 0]
    return {"mse": float(np.mean((predictions - y.astype(np.float64)) ** 2))}
