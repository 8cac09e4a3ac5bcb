"""Train the lossless model on a training split and measure bits per dimension two ways."""

from __future__ import annotations

import numpy as np
import torch

from . import coding
from .pixelcnn import GatedPixelCNN
from .train import cache_dir, fit, run_key

__all__ = ["bits_per_dim", "train_pixelcnn"]


def train_pixelcnn(
    images: np.ndarray,
    *,
    levels: int = 256,
    channels: int = 64,
    layers: int = 8,
    head: str = "softmax",
    mixtures: int = 5,
    coords: bool = True,
    epochs: int = 8,
    batch_size: int = 32,
    lr: float = 2e-3,
    bf16: bool = True,
    seed: int = 0,
    cache: str | None = None,
    progress: bool = True,
) -> tuple[GatedPixelCNN, list[dict]]:
    """Fit a :class:`GatedPixelCNN` to uint8 images (N, H, W) with values < ``levels``.

    The default model was chosen on a validation split of mnist-5k's training set
    (``bench/pixelcnn_select.py``).

    Checkpoints under :func:`~ncdvision.neural.train.cache_dir`; a rerun resumes.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W)
        Training images with values below ``levels``.
    levels : int, default=256
        Number of pixel values.
    channels, layers, head, mixtures, coords
        The model's settings (:class:`GatedPixelCNN`).
    epochs : int, default=8
        Passes over the images.
    batch_size : int, default=32
        Images per step.
    lr : float, default=2e-3
        Adam's learning rate, annealed to zero on a cosine schedule.
    bf16 : bool, default=True
        Run the forward and backward passes under bfloat16 autocast (about 2x faster on CPUs
        with AVX-512 BF16); the loss, the weights and all coding stay float32/float64.
    seed : int, default=0
        Seed of the weights and the batches.
    cache : str, optional
        Checkpoint folder; default :func:`~ncdvision.neural.train.cache_dir`.
    progress : bool, default=True
        Show a progress bar and a line per epoch.

    Returns
    -------
    model : GatedPixelCNN
        The trained model, in eval mode.
    history : list of dict
        Per epoch: ``epoch``, ``loss`` (bits per dimension) and ``seconds``.
    """
    images = coding.check_symbols(images, levels)
    torch.manual_seed(seed)
    model = GatedPixelCNN(levels=levels, channels=channels, layers=layers, head=head,
                          mixtures=mixtures, coords=coords)  # fmt: skip
    settings = {**model.config(), "epochs": epochs, "batch": batch_size, "lr": lr, "seed": seed}
    if bf16:
        settings["bf16"] = True
    ckpt = cache_dir(cache) / (run_key("pixelcnn", settings, [images]) + ".pt")

    def loss(m, batch):
        (x,) = batch
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return m.nll_bits(x).mean() / x[0].numel()  # bits per dimension

    history = fit(model, loss, (torch.from_numpy(images),), epochs=epochs,
                  batch_size=batch_size, lr=lr, seed=seed, checkpoint=ckpt,
                  progress=progress, desc="pixelcnn")  # fmt: skip
    model.eval()
    return model, history


def bits_per_dim(model: GatedPixelCNN, images: np.ndarray, verify: int = 0) -> dict:
    """Bits per dimension of images from the likelihood and from their actual range code.

    Parameters
    ----------
    model : GatedPixelCNN
        A trained model.
    images : ndarray of uint8, shape (N, H, W)
        The images, coded as one stream (header included).
    verify : int, default=0
        This many images are also coded alone, decoded and compared.

    Returns
    -------
    dict
        ``likelihood_bpd``, ``actual_bpd``, ``overhead`` (relative) and ``overhead_bits``;
        with ``verify``, ``verified_images`` and ``round_trip_exact``.
    """
    images = coding.check_symbols(images, model.levels)
    dims = images.size
    code = coding.encode(model, images)
    out = {
        "likelihood_bpd": code.likelihood_bits / dims,
        "actual_bpd": code.bits / dims,
        "overhead": code.bits / max(code.likelihood_bits, 1e-9) - 1,
        "overhead_bits": code.bits - code.likelihood_bits,  # header (128) + coder flush
    }
    if verify:
        sub = images[:verify]
        small = coding.encode(model, sub, batch_size=len(sub))
        out["verified_images"] = int(len(sub))
        out["round_trip_exact"] = bool(np.array_equal(coding.decode(model, small.words), sub))
    return out
