"""A small supervised CNN: the learnability reference (accuracy for a given training size)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ncdvision.ncd.validation import check_images, check_X_y

from .train import cache_dir, fit, run_key

__all__ = ["CNNClassifier", "SmallCNN"]


class SmallCNN(nn.Module):
    """Two conv blocks and a linear head; grayscale or colour input of any size.

    Parameters
    ----------
    in_channels : int
        1 for grayscale, 3 or 4 for colour.
    n_classes : int
        Outputs of the head.
    width : int, default=32
        Channels of the first block; the second has twice as many.
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        )  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(2 * width * 16, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of a batch.

        Parameters
        ----------
        x : torch.Tensor of shape (N, in_channels, H, W)
            Images scaled to [0, 1].

        Returns
        -------
        torch.Tensor of shape (N, n_classes)
            Logits.
        """
        return self.head(self.features(x))


def _tensor(X: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(X).float() / 255.0
    return x.unsqueeze(1) if X.ndim == 3 else x.permute(0, 3, 1, 2)


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """Supervised :class:`SmallCNN` as a scikit-learn classifier (fixed recipe, no tuning).

    Parameters
    ----------
    epochs : int, default=10
        Passes over the training images.
    batch_size : int, default=64
        Images per step.
    lr : float, default=2e-3
        Adam's learning rate, annealed on a cosine schedule.
    width : int, default=32
        :class:`SmallCNN`'s width.
    seed : int, default=0
        Seed of the weights and the batches.
    cache : str, optional
        Checkpoint folder (see :func:`ncdvision.neural.train.cache_dir`); ``None`` for default.
    progress : bool, default=False
        Show a progress bar and a line per epoch.
    """

    def __init__(self, epochs=10, batch_size=64, lr=2e-3, width=32, seed=0, cache=None,
                 progress=False):  # fmt: skip
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.width = width
        self.seed = seed
        self.cache = cache
        self.progress = progress

    def fit(self, X, y) -> CNNClassifier:
        """Train the network on the images, resuming from a checkpoint when one matches.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            uint8 training images.
        y : array-like of shape (n_images,)
            Their labels.

        Returns
        -------
        CNNClassifier
            ``self``, fitted.
        """
        X, self.classes_, y_enc = check_X_y(X, y)
        torch.manual_seed(self.seed)
        in_ch = 1 if X.ndim == 3 else X.shape[3]
        self.model_ = SmallCNN(in_ch, len(self.classes_), self.width)
        settings = {"in": in_ch, "classes": len(self.classes_), "width": self.width,
                    "epochs": self.epochs, "batch": self.batch_size, "lr": self.lr,
                    "seed": self.seed}  # fmt: skip
        ckpt = cache_dir(self.cache) / (run_key("cnn", settings, [X, y_enc]) + ".pt")
        self.history_ = fit(
            self.model_, lambda m, b: F.cross_entropy(m(b[0]), b[1]),
            (_tensor(X), torch.from_numpy(y_enc)), epochs=self.epochs,
            batch_size=self.batch_size, lr=self.lr, seed=self.seed, checkpoint=ckpt,
            progress=self.progress, desc="cnn",
        )  # fmt: skip
        self.model_.eval()
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Softmax class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width[, channels])
            uint8 images.

        Returns
        -------
        ndarray of shape (n_queries, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "model_")
        X = check_images(X, "X")
        with torch.no_grad():
            out = [
                torch.softmax(self.model_(_tensor(X[s : s + 512])), 1)
                for s in range(0, len(X), 512)
            ]
        return torch.cat(out).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width[, channels])
            uint8 images.

        Returns
        -------
        ndarray of shape (n_queries,)
            One label each.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
