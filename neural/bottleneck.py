"""Lossy learned compression: an autoencoder with a factorized entropy bottleneck.

:class:`EntropyBottleneck` is the learned, per-channel factorized density of Balle et al.,
"End-to-end optimized image compression" (ICLR 2017), parametrised as a monotone cumulative
function as in Balle et al. (ICLR 2018, appendix 6.1). During training the latents get additive
uniform noise U(-1/2, 1/2), a differentiable stand-in for rounding; at test time they are
rounded, and the probability of each integer is c(y + 1/2) - c(y - 1/2). Coding uses those
probabilities with ``constriction``'s range coder, so the rate is a real length.

:class:`Autoencoder` puts it between a convolutional analysis and synthesis transform, trained
on rate + lambda * distortion (bits per pixel + lambda * 255^2 * MSE).
"""

from __future__ import annotations

import constriction
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ncdvision.ncd.validation import check_images

from .train import cache_dir, fit, run_key


class EntropyBottleneck(nn.Module):
    """Factorized learned density over the channels of a latent tensor (N, C, H, W)."""

    def __init__(
        self, channels: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0
    ):
        super().__init__()
        dims = (1, *filters, 1)
        scale = init_scale ** (1 / (len(dims) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(dims) - 1):
            init = np.log(np.expm1(1 / scale / dims[i + 1]))
            self.matrices.append(
                nn.Parameter(torch.full((channels, dims[i + 1], dims[i]), float(init)))
            )
            self.biases.append(nn.Parameter(torch.rand(channels, dims[i + 1], 1) - 0.5))
            if i < len(dims) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, dims[i + 1], 1)))

    def _logits_cdf(self, v: torch.Tensor) -> torch.Tensor:
        """v (C, 1, M) -> logits of the cumulative (C, 1, M)."""
        for i, (m, b) in enumerate(zip(self.matrices, self.biases, strict=True)):
            v = torch.matmul(F.softplus(m), v) + b
            if i < len(self.factors):
                v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
        return v

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """Probability mass of the unit interval around each value of y (N, C, H, W)."""
        n, c, h, w = y.shape
        v = y.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lo, hi = self._logits_cdf(v - 0.5), self._logits_cdf(v + 0.5)
        sign = -torch.sign(lo + hi).detach()  # evaluate in the far tail where it is accurate
        p = torch.abs(torch.sigmoid(sign * hi) - torch.sigmoid(sign * lo))
        p = p.clamp_min(1e-9)
        return p.reshape(c, n, h, w).permute(1, 0, 2, 3)

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(noisy or rounded latents, their likelihoods)."""
        y_hat = y + torch.empty_like(y).uniform_(-0.5, 0.5) if self.training else torch.round(y)
        return y_hat, self.likelihood(y_hat)

    def pmf_table(self, radius: int) -> np.ndarray:
        """Probabilities of the integers -radius..radius per channel: (C, 2*radius + 1)."""
        c = self.matrices[0].shape[0]
        grid = torch.arange(-radius, radius + 1, dtype=torch.float32)
        with torch.no_grad():
            p = self.likelihood(grid.view(1, 1, 1, -1).expand(1, c, 1, -1).contiguous())
        return p[0, :, 0, :].double().numpy()


class Autoencoder(nn.Module):
    """Conv analysis/synthesis transforms (two stride-2 stages) around an entropy bottleneck."""

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
        return {"latent_channels": self.latent_channels, "hidden": self.hidden}

    @staticmethod
    def _pad(x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return F.pad(x, (0, (-w) % 4, 0, (-h) % 4))

    def analysis(self, x: torch.Tensor) -> torch.Tensor:
        """Continuous latents of uint8 images (N, H, W)."""
        return self.encoder(self._pad(x.float().unsqueeze(1) / 255.0))

    def forward(self, x: torch.Tensor) -> dict:
        y = self.analysis(x)
        y_hat, lik = self.bottleneck(y)
        h, w = x.shape[-2:]
        x_hat = self.decoder(y_hat)[:, 0, :h, :w]
        bits = -torch.log2(lik).flatten(1).sum(1)
        return {"x_hat": x_hat, "bits": bits, "y": y}


def rd_loss(model: Autoencoder, x: torch.Tensor, lmbda: float) -> torch.Tensor:
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
    """Rate-distortion training on uint8 grayscale images (N, H, W); checkpoints and resume."""
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
    return model, history


# -------------------------------------------------------------------------- real coding


def _radius(model: Autoencoder, tail: float = 1e-7, limit: int = 512) -> int:
    """Smallest integer support [-r, r] outside which each channel has mass < ``tail``."""
    r = 4
    while r < limit:
        pmf = model.bottleneck.pmf_table(r)
        if np.all(1.0 - pmf.sum(axis=1) < tail):
            return r
        r *= 2
    return limit


def compress(model: Autoencoder, images: np.ndarray) -> tuple[np.ndarray, dict]:
    """Range-code the rounded latents of ``images``; returns the words and a header dict.

    Latents are clipped to the support of the learned density (part of the quantization),
    so decoding reproduces exactly the latents the decoder network sees.
    """
    model.eval()
    with torch.no_grad():
        y = torch.round(model.analysis(torch.from_numpy(images))).numpy()
    r = _radius(model)
    q = np.clip(y, -r, r).astype(np.int32) + r
    pmf = model.bottleneck.pmf_table(r)  # (C, 2r+1)
    n, c, h, w = q.shape
    probs = np.ascontiguousarray(
        np.broadcast_to(pmf[None, :, None, None, :], (n, c, h, w, pmf.shape[1])).reshape(
            -1, pmf.shape[1]
        )
    )
    enc = constriction.stream.queue.RangeEncoder()
    enc.encode(
        np.ascontiguousarray(q.ravel()), constriction.stream.model.Categorical(perfect=False), probs
    )
    header = {"shape": (n, c, h, w), "radius": r, "image_shape": images.shape[1:]}
    return enc.get_compressed(), header


def decompress(
    model: Autoencoder, words: np.ndarray, header: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Decode latents and reconstruct images: (uint8 images, integer latents)."""
    n, c, h, w = header["shape"]
    r = header["radius"]
    pmf = model.bottleneck.pmf_table(r)
    probs = np.ascontiguousarray(
        np.broadcast_to(pmf[None, :, None, None, :], (n, c, h, w, pmf.shape[1])).reshape(
            -1, pmf.shape[1]
        )
    )
    dec = constriction.stream.queue.RangeDecoder(words)
    q = (
        dec.decode(constriction.stream.model.Categorical(perfect=False), probs).reshape(n, c, h, w)
        - r
    )
    ih, iw = header["image_shape"]
    with torch.no_grad():
        x_hat = model.decoder(torch.from_numpy(q.astype(np.float32)))[:, 0, :ih, :iw]
    return np.clip(np.round(x_hat.numpy() * 255), 0, 255).astype(np.uint8), q
