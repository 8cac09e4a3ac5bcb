"""Compressibility predictors the studies find through the ``ncdvision.predictors``
entry-point group (importing this module does not import torch)."""

from __future__ import annotations

import numpy as np

#: A small PixelCNN (the README's lossless model has 64 channels and 8 layers): a study trains
#: one per cell, so it trades likelihood for time. Few epochs also keep it from memorising a
#: small pool (on 16 noise images, 200 steps gave 19.8 bits per pixel on unseen noise).
PREDICTOR_MODEL = {"channels": 32, "layers": 5, "epochs": 8, "batch_size": 32}


def pixelcnn_bpp(images: np.ndarray, labels=None, reference=None, seed: int = 0) -> float:
    """Bits per pixel of ``images`` under the PixelCNN's likelihood: a model trained on one
    half scores the other (two folds), or, given a ``reference`` dataset, trained on its
    images scores all of ``images``. Grayscale only (the model's input); ``labels`` are not
    used (the studies' predictor signature)."""
    from . import require_torch

    require_torch()
    import torch

    from .lossless import train_pixelcnn

    images = np.asarray(images)
    if reference is not None:
        folds = [(np.asarray(reference.images), images)]
    else:
        perm = np.random.default_rng(seed).permutation(len(images))
        a, b = images[np.sort(perm[: len(images) // 2])], images[np.sort(perm[len(images) // 2 :])]
        folds = [(a, b), (b, a)]
    bits = 0.0
    for train, score in folds:
        model, _ = train_pixelcnn(train, seed=seed, progress=False, **PREDICTOR_MODEL)
        with torch.no_grad():
            for i in range(0, len(score), 64):
                bits += float(model.nll_bits(torch.from_numpy(score[i : i + 64])).sum())
    return bits / images.size
