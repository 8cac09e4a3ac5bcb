"""Gated PixelCNN (van den Oord et al. 2016) for grayscale images: p(x) = prod_i p(x_i | x_<i).

The model outputs, for every pixel, logits over its ``levels`` values (256 for 8-bit pixels, 2
for binarized ones) given the pixels before it in raster order. Vertical and horizontal stacks
avoid the blind spot of plain masked convolutions. Entropy coding lives in :mod:`.coding`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _GatedLayer(nn.Module):
    """One gated layer; the vertical stack sees rows above, the horizontal one pixels to the
    left (and the current pixel, except in the first layer)."""

    def __init__(self, c_in: int, channels: int, kernel: int, first: bool):
        super().__init__()
        self.first, self.k = first, kernel
        half = kernel // 2
        self.v = nn.Conv2d(c_in, 2 * channels, (half + 1, kernel))
        self.v2h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h = nn.Conv2d(c_in, 2 * channels, (1, half + 1))
        self.h_out = nn.Conv2d(channels, channels, 1)
        self.skip = not first and c_in == channels

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = self.k // 2
        # vertical: rows y-half..y (pad above), then shift down one row so row y sees only < y
        v_feat = self.v(F.pad(v, (half, half, half + 1, 0)))[:, :, :-1, :]
        # horizontal: columns x-half..x; the first layer shifts right to exclude the pixel itself
        if self.first:
            h_feat = self.h(F.pad(h, (half + 1, 0, 0, 0)))[:, :, :, :-1]
        else:
            h_feat = self.h(F.pad(h, (half, 0, 0, 0)))
        h_feat = h_feat + self.v2h(v_feat)
        v_out = _gate(v_feat)
        h_out = self.h_out(_gate(h_feat))
        if self.skip:
            h_out = h_out + h
        return v_out, h_out


def _gate(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedPixelCNN(nn.Module):
    """Autoregressive model over single-channel images with ``levels`` pixel values.

    Parameters
    ----------
    levels : int
        Number of pixel values (256 for 8-bit images, 2 for binarized).
    channels : int
        Feature maps per stack.
    layers : int
        Gated layers (the first has a ``first_kernel`` receptive field, then 3x3).
    """

    def __init__(self, levels: int = 256, channels: int = 64, layers: int = 6,
                 first_kernel: int = 7):  # fmt: skip
        super().__init__()
        self.levels, self.channels, self.n_layers = levels, channels, layers
        self.layers = nn.ModuleList(
            [_GatedLayer(1, channels, first_kernel, True)]
            + [_GatedLayer(channels, channels, 3, False) for _ in range(layers - 1)]
        )
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(channels, 4 * channels, 1), nn.ReLU(),
            nn.Conv2d(4 * channels, levels, 1),
        )  # fmt: skip

    def config(self) -> dict:
        return {"levels": self.levels, "channels": self.channels, "layers": self.n_layers}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, levels, H, W) for integer images ``x`` (N, H, W) with values < levels."""
        inp = (x.float() / max(self.levels - 1, 1) * 2 - 1).unsqueeze(1)
        v, h = inp, inp
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h)

    def nll_bits(self, x: torch.Tensor) -> torch.Tensor:
        """Negative log2-likelihood per image (N,)."""
        logits = self.forward(x)
        nll = F.cross_entropy(logits, x.long(), reduction="none")
        return nll.flatten(1).sum(1) / torch.log(torch.tensor(2.0))
