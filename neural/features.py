"""kNN on learned-compressor latents, with the NCD classifier's interface and tie rule."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

from ncdvision.ncd.knn import (
    AUTO_K,
    _check_X,
    best_k,
    check_X_y,
    loo_accuracies,
    vote,
    without_self,
)

from .bottleneck import Autoencoder, train_autoencoder


def latent_features(
    model: Autoencoder, images: np.ndarray, rate: bool = True, quantized: bool = False
) -> np.ndarray:
    """Latents of each image, flattened (continuous, or rounded as coded), with the rate of the
    rounded latents (bits) appended."""
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), 512):
            x = torch.from_numpy(images[s : s + 512])
            y = model.analysis(x)
            f = [torch.round(y).flatten(1) if quantized else y.flatten(1)]
            if rate:
                lik = model.bottleneck.likelihood(torch.round(y))
                bits = -torch.log2(lik).flatten(1).sum(1, keepdim=True)
                f.append(bits)
            out.append(torch.cat(f, 1))
    return torch.cat(out).numpy().astype(np.float32)


class LatentKNNClassifier(ClassifierMixin, BaseEstimator):
    """k nearest neighbours on the latents of a learned lossy compressor.

    The autoencoder is trained (rate-distortion, no labels) on the training images at ``fit``,
    unless ``model`` is a trained :class:`~ncdvision.neural.bottleneck.Autoencoder`.
    ``k="auto"`` is chosen by leave-one-out on the training set over (1, 3, 5, 7); the tie rule
    is :func:`ncdvision.ncd.knn.vote`'s.

    Parameters
    ----------
    metric : {"l2", "cosine"}
    k : int or "auto"
    model : Autoencoder, optional
    epochs, lmbda, seed, cache, progress : autoencoder training settings
    """

    def __init__(self, metric="l2", k="auto", model=None, epochs=10, lmbda=0.01, seed=0,
                 cache=None, progress=False):  # fmt: skip
        self.metric = metric
        self.k = k
        self.model = model
        self.epochs = epochs
        self.lmbda = lmbda
        self.seed = seed
        self.cache = cache
        self.progress = progress

    def _features(self, X) -> np.ndarray:
        f = latent_features(self.model_, X)
        f = f[:, :-1]  # the rate is one number among ~800: kNN on the latents alone
        if self.metric == "cosine":
            f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
        return f

    def fit(self, X, y) -> LatentKNNClassifier:
        if self.metric not in ("l2", "cosine"):
            raise ValueError(f"metric must be 'l2' or 'cosine', got {self.metric!r}")
        X, self.classes_, self._y = check_X_y(X, y)
        if X.ndim != 3:
            raise ValueError("LatentKNNClassifier codes grayscale images (N, H, W)")
        self.model_ = self.model
        if self.model_ is None:
            self.model_, self.history_ = train_autoencoder(
                X, epochs=self.epochs, lmbda=self.lmbda, seed=self.seed, cache=self.cache,
                progress=self.progress,
            )  # fmt: skip
        F_train = self._features(X)
        self._nn = NearestNeighbors().fit(F_train)
        ks = [k for k in AUTO_K if k < len(X)] if self.k == "auto" else [int(self.k)]
        if self.k != "auto" and not 1 <= self.k <= len(X):
            raise ValueError(f"k={self.k} must be in [1, {len(X)}] (the training set size)")
        self.loo_accuracy_ = None
        if len(ks) > 1:
            _, idx = self._nn.kneighbors(F_train, n_neighbors=max(ks) + 1)
            loo = without_self(idx, max(ks))
            accs = loo_accuracies(loo, self._y, self._y, ks, len(self.classes_))
            self.k_ = best_k(accs)
            self.loo_accuracy_ = accs[self.k_]
        else:
            self.k_ = ks[0]
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        _, idx = self._nn.kneighbors(self._features(_check_X(X)), n_neighbors=self.k_)
        return self.classes_[vote(self._y[idx], len(self.classes_))]

    def settings(self) -> dict:
        return {"codec": "autoencoder latents", "metric": self.metric, "k": self.k_,
                "loo_accuracy": self.loo_accuracy_}  # fmt: skip
