"""kNN on learned-compressor latents, with the NCD classifier's interface and tie rule."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ncdvision.ncd.neighbors import VectorKNN
from ncdvision.ncd.validation import check_images, check_X_y

from .bottleneck import Autoencoder, train_autoencoder

__all__ = ["LatentKNNClassifier", "latent_features"]


def latent_features(
    model: Autoencoder, images: np.ndarray, rate: bool = True, quantized: bool = False
) -> np.ndarray:
    """Latents of each image, flattened, as features.

    Parameters
    ----------
    model : Autoencoder
        A trained autoencoder.
    images : ndarray of uint8, shape (N, H, W)
        Grayscale images.
    rate : bool, default=True
        Append the rate of the rounded latents (bits) as the last feature.
    quantized : bool, default=False
        Rounded latents, as coded, instead of continuous ones.

    Returns
    -------
    ndarray of float32, shape (N, n_features)
        One row per image.
    """
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
    """k nearest neighbors on the latents of a learned lossy compressor.

    The autoencoder is trained (rate-distortion, no labels) on the training images at ``fit``,
    unless ``model`` is a trained :class:`~ncdvision.neural.bottleneck.Autoencoder`.
    ``k="auto"`` is chosen by leave-one-out on the training set over (1, 3, 5, 7); the tie rule
    is :func:`ncdvision.ncd.neighbors.vote`'s.

    Parameters
    ----------
    metric : {"l2", "cosine"}, default="l2"
        The distance between latent vectors.
    k : int or "auto", default="auto"
        Neighbors that vote.
    model : Autoencoder, optional
        A trained model; without it one is trained at ``fit``.
    epochs, lmbda, seed, cache, progress
        Training settings of :func:`~ncdvision.neural.bottleneck.train_autoencoder`.
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
        """Train the autoencoder (unless given), then choose k by leave-one-out.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width)
            uint8 training images.
        y : array-like of shape (n_images,)
            Their labels.

        Returns
        -------
        LatentKNNClassifier
            ``self``, fitted.
        """
        if self.metric not in ("l2", "cosine"):
            raise ValueError(f"metric must be 'l2' or 'cosine', got {self.metric!r}")
        X, self.classes_, y_enc = check_X_y(X, y)
        X = check_images(X, "X", gray=True)
        self.model_ = self.model
        if self.model_ is None:
            self.model_, self.history_ = train_autoencoder(
                X, epochs=self.epochs, lmbda=self.lmbda, seed=self.seed, cache=self.cache,
                progress=self.progress,
            )  # fmt: skip
        self.knn_ = VectorKNN(self.k).fit(self._features(X), y_enc, len(self.classes_))
        self.k_, self.loo_accuracy_ = self.knn_.k_, self.knn_.loo_accuracy_
        return self

    def predict(self, X) -> np.ndarray:
        """The majority label of each image's k nearest training images.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width)
            uint8 images.

        Returns
        -------
        ndarray of shape (n_queries,)
            One label each; a tie goes to the tied class whose nearest member is closest.
        """
        check_is_fitted(self, "model_")
        return self.classes_[self.knn_.predict(self._features(check_images(X, "X", gray=True)))]

    def predict_proba(self, X) -> np.ndarray:
        """Vote fractions among the k nearest training images.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width)
            uint8 images.

        Returns
        -------
        ndarray of shape (n_queries, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "model_")
        return self.knn_.predict_proba(self._features(check_images(X, "X", gray=True)))

    def settings(self) -> dict:
        """The settings in use, for reports.

        Returns
        -------
        dict
            ``codec``, ``serializer``, ``k``, ``distance`` and ``loo_accuracy``.
        """
        return {"codec": "autoencoder latents", "serializer": "-", "k": self.k_,
                "distance": self.metric, "loo_accuracy": self.loo_accuracy_}  # fmt: skip
