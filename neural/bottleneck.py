"""Lossy learned compression: an autoencoder with a factorized entropy bottleneck.

:class:`Autoencoder` puts :class:`~.entropy.EntropyBottleneck` between a convolutional analysis
and synthesis transform, trained on rate + lambda * distortion (bits per pixel + lambda *
255^2 * MSE). As in CompressAI, the model is kept apart from the entropy coding:
:meth:`Autoencoder.compress` / :meth:`Autoencoder.decompress` hand the latents to the
bottleneck's coder, after :meth:`Autoencoder.update` has cached its tables.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ncdvision.ncd.validation import check_images

from .coding import Code, unpack
from .entropy import EntropyBottleneck
from .train import cache_dir, fit, run_key

__all__ = ["Autoencoder", "rd_loss", "train_autoencoder"]


class Autoencoder(nn.Module):
    """Conv analysis/synthesis transforms (two stride-2 stages) around an entropy bottleneck.

    Parameters
    ----------
    latent_channels : int, default=16
        Channels of the latents, at a quarter of the image's height and width.
    hidden : int, default=64
        Channels of the hidden layers.
    """

    def __init__(self, latent_channels: int = 16, hidden: int = 64):
        super().__init__()
        self.latent_channels, self.hidden = latent_channels, hidden
        self.encoder = nn.Sequential(
            nn.Conv2d(1, hidden, 5, 2, 2), nn.GELU(),
            nn.Conv2d(hidden, hidden, 5, 2, 2), nn.GELU(),
            nn.Conv2d(hidden, latent_channels, 3, 1, 1),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, hidden, 3, 1, 1), nn.GELU(),
            nn.ConvTranspose2d(hidden, hidden, 5, 2, 2, output_padding=1), nn.GELU(),
            nn.ConvTranspose2d(hidden, 1, 5, 2, 2, output_padding=1),
        )  # fmt: skip
        self.bottleneck = EntropyBottleneck(latent_channels)

    def config(self) -> dict:
        """The settings that define the model, for checkpoint keys and reports.

        Returns
        -------
        dict
            ``latent_channels`` and ``hidden``.
        """
        return {"latent_channels": self.latent_channels, "hidden": self.hidden}

    @staticmethod
    def _pad(x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return F.pad(x, (0, (-w) % 4, 0, (-h) % 4))

    def analysis(self, x: torch.Tensor) -> torch.Tensor:
        """Continuous latents of images.

        Parameters
        ----------
        x : torch.Tensor of shape (N, H, W)
            uint8 images; padded to multiples of 4.

        Returns
        -------
        torch.Tensor of shape (N, latent_channels, ceil(H / 4), ceil(W / 4))
            The latents before quantization.
        """
        return self.encoder(self._pad(x.float().unsqueeze(1) / 255.0))

    def forward(self, x: torch.Tensor) -> dict:
        """Quantize, reconstruct and measure the rate of a batch, as training needs.

        Parameters
        ----------
        x : torch.Tensor of shape (N, H, W)
            uint8 images.

        Returns
        -------
        dict
            ``x_hat`` (reconstructions in [0, 1] nominally, (N, H, W)), ``bits`` (the rate of
            each image's latents, (N,)) and ``y`` (the continuous latents).
        """
        y = self.analysis(x)
        y_hat, lik = self.bottleneck(y)
        h, w = x.shape[-2:]
        x_hat = self.decoder(y_hat)[:, 0, :h, :w]
        bits = -torch.log2(lik).flatten(1).sum(1)
        return {"x_hat": x_hat, "bits": bits, "y": y}

    def update(self) -> bool:
        """Cache the entropy model's coding tables; call after training.

        Returns
        -------
        bool
            What :meth:`EntropyBottleneck.update` returns.
        """
        return self.bottleneck.update()

    def _latent_shape(self, n: int, h: int, w: int) -> tuple[int, int, int, int]:
        return (n, self.latent_channels, -(-h // 4), -(-w // 4))

    def compress(self, images: np.ndarray) -> Code:
        """Range-code the rounded latents of images.

        Parameters
        ----------
        images : ndarray of uint8, shape (N, H, W)
            Grayscale images.

        Returns
        -------
        Code
            The stream, with header (n, h, w, latent_channels).
        """
        images = check_images(images, "images", gray=True)
        n, h, w = images.shape
        with torch.no_grad():
            y = self.analysis(torch.from_numpy(images))
        return self.bottleneck.compress(y, (n, h, w, self.latent_channels))

    def decompress(self, code: Code) -> tuple[np.ndarray, np.ndarray]:
        """Decode a stream made by :meth:`compress`.

        Parameters
        ----------
        code : Code
            The stream.

        Returns
        -------
        images : ndarray of uint8, shape (N, H, W)
            The reconstructions (lossy).
        latents : ndarray of int32
            The integer latents.
        """
        (n, h, w, _), _ = unpack(code.words)
        q = self.bottleneck.decompress(code, self._latent_shape(n, h, w))
        with torch.no_grad():
            x_hat = self.decoder(torch.from_numpy(q.astype(np.float32)))[:, 0, :h, :w]
        return np.clip(np.round(x_hat.numpy() * 255), 0, 255).astype(np.uint8), q


def rd_loss(model: Autoencoder, x: torch.Tensor, lmbda: float) -> torch.Tensor:
    """The rate-distortion loss: bits per pixel + ``lmbda`` * 255^2 * MSE.

    Parameters
    ----------
    model : Autoencoder
        The model, in training mode.
    x : torch.Tensor of shape (N, H, W)
        A batch of uint8 images.
    lmbda : float
        Weight of the distortion.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    out = model(x)
    bpp = out["bits"].mean() / x[0].numel()
    mse = F.mse_loss(out["x_hat"], x.float() / 255.0)
    return bpp + lmbda * 255.0**2 * mse


def train_autoencoder(
    images: np.ndarray,
    *,
    latent_channels: int = 16,
    hidden: int = 64,
    lmbda: float = 0.01,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 2e-3,
    seed: int = 0,
    cache: str | None = None,
    progress: bool = True,
) -> tuple[Autoencoder, list[dict]]:
    """Train an :class:`Autoencoder` on rate + distortion, with checkpoints and resume.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W)
        Grayscale training images.
    latent_channels, hidden : int
        The model's settings.
    lmbda : float, default=0.01
        Weight of the distortion in :func:`rd_loss`.
    epochs : int, default=10
        Passes over the images.
    batch_size : int, default=64
        Images per step.
    lr : float, default=2e-3
        Adam's learning rate, annealed on a cosine schedule.
    seed : int, default=0
        Seed of the weights and the batches.
    cache : str, optional
        Checkpoint folder; default :func:`~ncdvision.neural.train.cache_dir`.
    progress : bool, default=True
        Show a progress bar and a line per epoch.

    Returns
    -------
    model : Autoencoder
        The trained model, in eval mode, its coding tables cached.
    history : list of dict
        Per epoch: ``epoch``, ``loss`` and ``seconds``.
    """
    images = check_images(images, "images", gray=True)
    torch.manual_seed(seed)
    model = Autoencoder(latent_channels, hidden)
    settings = {**model.config(), "lmbda": lmbda, "epochs": epochs, "batch": batch_size,
                "lr": lr, "seed": seed}  # fmt: skip
    ckpt = cache_dir(cache) / (run_key("autoencoder", settings, [images]) + ".pt")
    history = fit(model, lambda m, b: rd_loss(m, b[0], lmbda), (torch.from_numpy(images),),
                  epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, checkpoint=ckpt,
                  progress=progress, desc="autoencoder")  # fmt: skip
    model.eval()
    model.update()
    return model, history
