"""Keras with dropout under BackupAndRestore, with or without CarryRandomStates."""

import numpy as np


def train(ctx):
    import keras

    from seedwise.integrations.keras import CarryRandomStates, FingerprintCallback

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
    backup = keras.callbacks.BackupAndRestore(str(ctx.workdir / "backup"))
    callbacks = [backup, FingerprintCallback(ctx)]
    if ctx.config.get("carry"):
        callbacks.append(CarryRandomStates(ctx))
    else:  # the record and the resume only, as a checkpoint of nothing
        callbacks.append(RecordOnly(ctx))
    history = model.fit(x, y, batch_size=8, epochs=ctx.config.get("epochs", 2), shuffle=False,
                        verbose=0, callbacks=callbacks)  # fmt: skip
    return {"loss": float(np.float64(history.history["loss"][-1]))}


def RecordOnly(ctx):
    import keras

    class _RecordOnly(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            ctx.restore()

        def on_epoch_end(self, epoch, logs=None):
            ctx.checkpoint(None, step=epoch)

    return _RecordOnly()
