"""Gated PixelCNN (van den Oord et al. 2016) for grayscale images: p(x) = prod_i p(x_i | x_<i).

The model gives, for every pixel, a distribution over its ``levels`` values (256 for 8-bit
pixels, 2 for binarized ones) given the pixels before it in raster order. Vertical and
horizontal stacks avoid the blind spot of plain masked convolutions. Two output heads:

- ``softmax``: one logit per value;
- ``logistic``: a discretized mixture of logistics (Salimans et al. 2017, PixelCNN++), whose
  smoothness over neighboring intensities suits small training sets.

Entropy coding lives in :mod:`.coding`; it reads :meth:`GatedPixelCNN.probabilities`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class _GatedLayer(nn.Module):
    """One gated layer; the vertical stack sees rows above, the horizontal one pixels to the
    left (and the current pixel, except in the first layer)."""

    def __init__(self, c_in: int, channels: int, kernel: int, first: bool, cond: int = 0):
        super().__init__()
        self.first, self.k = first, kernel
        # a reference image's features enter both stacks, as in the conditional PixelCNN
        self.cond = nn.Conv2d(cond, 4 * channels, 1) if cond else None
        half = kernel // 2
        self.v = nn.Conv2d(c_in, 2 * channels, (half + 1, kernel))
        self.v2h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h = nn.Conv2d(c_in, 2 * channels, (1, half + 1))
        self.h_out = nn.Conv2d(channels, channels, 1)
        self.skip = not first and c_in == channels

    def forward(self, v: torch.Tensor, h: torch.Tensor,
                cond: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        half = self.k // 2
        # vertical: rows y-half..y (pad above), then shift down one row so row y sees only < y
        v_feat = self.v(F.pad(v, (half, half, half + 1, 0)))[:, :, :-1, :]
        # horizontal: columns x-half..x; the first layer shifts right to exclude the pixel itself
        if self.first:
            h_feat = self.h(F.pad(h, (half + 1, 0, 0, 0)))[:, :, :, :-1]
        else:
            h_feat = self.h(F.pad(h, (half, 0, 0, 0)))
        h_feat = h_feat + self.v2h(v_feat)
        if self.cond is not None:
            cv, ch = self.cond(cond).chunk(2, dim=1)
            v_feat, h_feat = v_feat + cv, h_feat + ch
        v_out = _gate(v_feat)
        h_out = self.h_out(_gate(h_feat))
        if self.skip:
            h_out = h_out + h
        return v_out, h_out


def _gate(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


__all__ = ["GatedPixelCNN"]


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
    head : {"softmax", "logistic"}
        Output distribution; ``logistic`` needs ``levels > 2``.
    mixtures : int
        Logistic components per pixel (``head="logistic"`` only).
    first_kernel : int
        Side of the first layer's receptive field.
    coords : bool
        Feed the pixel's row and column as two extra input planes. They are known before
        any pixel is decoded, so causality holds; they tell a centred-object model where it is.
    reference : bool
        Condition on a whole reference image, p(y | x) = prod_i p(y_i | y_<i, x): a small
        non-causal network reads x (and a plane saying whether there is one), and its
        features enter every gated layer. The decoder knows x, so causality holds; with no
        reference the model gives p(y) alone, so one model gives both C(y) and C(y | x).
    """

    def __init__(self, levels: int = 256, channels: int = 64, layers: int = 8,
                 first_kernel: int = 7, head: str = "softmax", mixtures: int = 5,
                 coords: bool = True, reference: bool = False):  # fmt: skip
        super().__init__()
        if head not in ("softmax", "logistic"):
            raise ValueError(f"head must be 'softmax' or 'logistic', got {head!r}")
        if head == "logistic" and levels <= 2:
            raise ValueError("head='logistic' needs levels > 2; use 'softmax' for binary pixels")
        self.levels, self.channels, self.n_layers = levels, channels, layers
        self.head_kind, self.mixtures, self.coords = head, mixtures, coords
        self.reference = reference
        c_in = 3 if coords else 1
        cond = channels if reference else 0
        self.ref_net = nn.Sequential(
            nn.Conv2d(c_in + 1, channels, 5, padding=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(),
        ) if reference else None  # fmt: skip
        self.layers = nn.ModuleList(
            [_GatedLayer(c_in, channels, first_kernel, True, cond)]
            + [_GatedLayer(channels, channels, 3, False, cond) for _ in range(layers - 1)]
        )
        out = levels if head == "softmax" else 3 * mixtures
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(channels, 4 * channels, 1), nn.ReLU(),
            nn.Conv2d(4 * channels, out, 1),
        )  # fmt: skip

    def config(self) -> dict:
        """The settings that define the model, for checkpoint keys and reports.

        Returns
        -------
        dict
            ``levels``, ``channels``, ``layers``, and the head and ``coords`` where not default.
        """
        cfg = {"levels": self.levels, "channels": self.channels, "layers": self.n_layers}
        if self.head_kind != "softmax":
            cfg.update(head=self.head_kind, mixtures=self.mixtures)
        if self.coords:
            cfg["coords"] = True
        if self.reference:
            cfg["reference"] = True
        return cfg

    def _planes(self, x: torch.Tensor) -> torch.Tensor:
        """Images scaled to [-1, 1] as (N, 1, H, W), with the coordinate planes if used."""
        dtype = self.head[-1].weight.dtype  # float32, or float64 for exact coding
        inp = (x.to(dtype) / max(self.levels - 1, 1) * 2 - 1).unsqueeze(1)
        if self.coords:
            n, _, h, w = inp.shape
            yy = torch.linspace(-1, 1, h, dtype=dtype).view(1, 1, h, 1).expand(n, 1, h, w)
            xx = torch.linspace(-1, 1, w, dtype=dtype).view(1, 1, 1, w).expand(n, 1, h, w)
            inp = torch.cat([inp, yy, xx], 1)
        return inp

    def _condition(self, x: torch.Tensor, ref, present) -> torch.Tensor | None:
        """The reference network's features; a missing reference is a zero image, flagged."""
        if not self.reference:
            if ref is not None:
                raise ValueError("this model takes no reference image (reference=False)")
            return None
        n = x.shape[0]
        if ref is None:
            ref, present = torch.zeros_like(x), torch.zeros(n, dtype=torch.bool)
        elif present is None:
            present = torch.ones(n, dtype=torch.bool)
        ref = torch.where(present.view(-1, 1, 1), ref, torch.zeros_like(ref))
        flag = present.to(self.head[-1].weight.dtype).view(-1, 1, 1, 1).expand(n, 1, *x.shape[1:])
        return self.ref_net(torch.cat([self._planes(ref), flag], 1))

    def forward(self, x: torch.Tensor, ref: torch.Tensor | None = None,
                present: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """Head outputs for a batch of images.

        Parameters
        ----------
        x : torch.Tensor of shape (N, H, W)
            Integer images with values below ``levels``.
        ref : torch.Tensor of shape (N, H, W), optional
            Reference images (``reference=True`` models only); None: no reference.
        present : torch.Tensor of bool, shape (N,), optional
            Which rows of ``ref`` are references (the others are coded without one);
            default all.

        Returns
        -------
        torch.Tensor of shape (N, C, H, W)
            Logits over the levels (softmax head) or mixture parameters (logistic head).
        """
        cond = self._condition(x, ref, present)
        v = h = self._planes(x)
        for layer in self.layers:
            v, h = layer(v, h, cond)
        return self.head(h)

    def nll_bits(self, x: torch.Tensor, ref: torch.Tensor | None = None,
                 present: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """Negative log2-likelihood per image, the training loss.

        Parameters
        ----------
        x : torch.Tensor of shape (N, H, W)
            Integer images with values below ``levels``.
        ref, present : torch.Tensor, optional
            Reference images and which rows have one, as in :meth:`forward`.

        Returns
        -------
        torch.Tensor of shape (N,)
            Bits per image.
        """
        out = self.forward(x, ref, present).float()
        if self.head_kind == "softmax":
            nll = F.cross_entropy(out, x.long(), reduction="none")
        else:
            nll = -_mixture_log_prob(out, x, self.levels)
        return nll.flatten(1).sum(1) / math.log(2)

    def probabilities(self, x: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        """Every pixel's distribution over the levels, what the range coder codes with.

        Parameters
        ----------
        x : torch.Tensor of shape (N, H, W)
            Integer images with values below ``levels``.
        ref : torch.Tensor of shape (N, H, W), optional
            Reference images (``reference=True`` models); None: no reference.

        Returns
        -------
        torch.Tensor of shape (N, levels, H, W)
            float64, summing to 1 over the levels.
        """
        out = self.forward(x, ref).double()
        if self.head_kind == "softmax":
            return torch.softmax(out, dim=1)
        return _mixture_pmf(out, self.levels)


def _mixture_params(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixture log-weights, means and inverse scales, each (N, K, H, W)."""
    logit, mean, log_scale = out.chunk(3, dim=1)
    return F.log_softmax(logit, dim=1), mean, torch.exp(-log_scale.clamp(min=-7.0))


def _mixture_log_prob(out: torch.Tensor, x: torch.Tensor, levels: int) -> torch.Tensor:
    """log p(x) per pixel (N, H, W) under the discretized logistic mixture (PixelCNN++)."""
    log_w, mean, inv_s = _mixture_params(out)
    half = 1.0 / (levels - 1)  # half a bin on the [-1, 1] scale
    c = (x.float() * 2 * half - 1).unsqueeze(1) - mean
    plus, minus = inv_s * (c + half), inv_s * (c - half)
    log_cdf_plus = plus - F.softplus(plus)  # log sigmoid: the lowest bin takes (-inf, edge]
    log_sf_minus = -F.softplus(minus)  # log(1 - sigmoid): the highest takes [edge, inf)
    delta = torch.sigmoid(plus) - torch.sigmoid(minus)
    mid = inv_s * c
    # where the bin's mass underflows, the density at its centre times its width
    log_mid = mid - F.softplus(mid) * 2 + torch.log(inv_s * 2 * half)
    inner = torch.where(delta > 1e-5, torch.log(delta.clamp(min=1e-12)), log_mid)
    xb = x.unsqueeze(1)
    lp = torch.where(xb == 0, log_cdf_plus, torch.where(xb == levels - 1, log_sf_minus, inner))
    return torch.logsumexp(lp + log_w, dim=1)


def _mixture_pmf(out: torch.Tensor, levels: int) -> torch.Tensor:
    """The mixture's mass on every level, (N, levels, H, W): differences of its CDF at the
    bin edges, so the table sums to one by construction. A 1e-9 share of uniform mass keeps
    levels whose CDF difference rounds to zero codable."""
    log_w, mean, inv_s = _mixture_params(out)
    edges = torch.linspace(-1, 1, levels, dtype=out.dtype)[:-1] + 1.0 / (levels - 1)
    cdf = torch.zeros((out.shape[0], levels - 1, *out.shape[2:]), dtype=out.dtype)
    for k in range(mean.shape[1]):
        z = (edges.view(1, -1, 1, 1) - mean[:, k : k + 1]) * inv_s[:, k : k + 1]
        cdf += torch.exp(log_w[:, k : k + 1]) * torch.sigmoid(z)
    ones = torch.ones_like(cdf[:, :1])
    pmf = torch.diff(cdf, dim=1, prepend=torch.zeros_like(ones), append=ones)
    return (1 - 1e-9) * pmf.clamp(min=0) + 1e-9 / levels
