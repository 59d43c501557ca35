"""A small Keras training with dropout that checkpoints every epoch.

``carry="variables"`` saves every variable of the model and its optimizer
(the dropout layer's ``SeedGenerator`` state among them); ``carry="weights"``
saves ``model.get_weights()`` only, which leaves that state out.
"""

import numpy as np


def train(ctx):
    import keras

    epochs = ctx.config.get("epochs", 3)
    carry = ctx.config.get("carry", "variables")
    data = ctx.rng("data")
    x = data.normal(size=(32, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    model.build((None, 4))
    model.optimizer.build(model.trainable_variables)
    start = 0
    state = ctx.restore()
    if state is not None:
        if carry == "variables":
            for variable, value in zip(model.variables, state["model"], strict=True):
                variable.assign(value)
            for variable, value in zip(model.optimizer.variables, state["optimizer"], strict=True):
                variable.assign(value)
        else:
            model.set_weights(state["model"])
        start = state["epoch"] + 1
    for epoch in range(start, epochs):
        history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        ctx.log(epoch, loss=float(history.history["loss"][-1]))
        ctx.fingerprint("weights", [np.asarray(w) for w in model.get_weights()], step=epoch)
        if carry == "variables":
            saved = {
                "model": [np.asarray(v) for v in model.variables],
                "optimizer": [np.asarray(v) for v in model.optimizer.variables],
            }
        else:
            saved = {"model": model.get_weights()}
        ctx.checkpoint({**saved, "epoch": epoch}, step=epoch)
    return {"loss": float(history.history["loss"][-1])}
