"""The learned factorized entropy model of Balle et al., "End-to-end optimized image
compression" (ICLR 2017), parametrised as a monotone cumulative function as in Balle et al.
(ICLR 2018, appendix 6.1), arranged as CompressAI's ``EntropyBottleneck`` (density and
training in ``forward``; tables cached by ``update``; ``compress`` / ``decompress``).

During training the latents get additive uniform noise U(-1/2, 1/2), a differentiable stand-in
for rounding; at test time they are rounded, and the probability of each integer is
c(y + 1/2) - c(y - 1/2). Coding uses those probabilities with ``constriction``'s range coder, so
the rate is a real length.
"""

from __future__ import annotations

import constriction
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .coding import Code, pack, unpack

__all__ = ["EntropyBottleneck"]


class EntropyBottleneck(nn.Module):
    """Factorized learned density over the channels of a latent tensor (N, C, H, W).

    Arranged as CompressAI's ``EntropyBottleneck``: the density is trained through
    :meth:`forward` (noisy latents and their likelihoods); :meth:`update` computes and caches
    the integer probability tables the range coder needs; :meth:`compress` and
    :meth:`decompress` code rounded latents with those tables.

    Parameters
    ----------
    channels : int
        Latent channels; each has its own density.
    filters : tuple of int, default=(3, 3, 3)
        Widths of the hidden layers of the monotone cumulative function.
    init_scale : float, default=10.0
        Initial scale of the density.
    """

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
        self._table: tuple[int, np.ndarray] | None = None  # (radius, pmf) after update()

    def _logits_cdf(self, v: torch.Tensor) -> torch.Tensor:
        """v (C, 1, M) -> logits of the cumulative (C, 1, M)."""
        for i, (m, b) in enumerate(zip(self.matrices, self.biases, strict=True)):
            v = torch.matmul(F.softplus(m), v) + b
            if i < len(self.factors):
                v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
        return v

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """Probability mass of the unit interval around each value of the latents.

        Parameters
        ----------
        y : torch.Tensor of shape (N, C, H, W)
            Latents.

        Returns
        -------
        torch.Tensor of shape (N, C, H, W)
            c(y + 1/2) - c(y - 1/2), at least 1e-9.
        """
        n, c, h, w = y.shape
        v = y.permute(1, 0, 2, 3).reshape(c, 1, -1)
        lo, hi = self._logits_cdf(v - 0.5), self._logits_cdf(v + 0.5)
        sign = -torch.sign(lo + hi).detach()  # evaluate in the far tail where it is accurate
        p = torch.abs(torch.sigmoid(sign * hi) - torch.sigmoid(sign * lo))
        p = p.clamp_min(1e-9)
        return p.reshape(c, n, h, w).permute(1, 0, 2, 3)

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Quantize latents for training (uniform noise) or evaluation (rounding).

        Parameters
        ----------
        y : torch.Tensor of shape (N, C, H, W)
            Latents.

        Returns
        -------
        y_hat : torch.Tensor of shape (N, C, H, W)
            Noisy latents in training mode, rounded ones in eval mode.
        likelihoods : torch.Tensor of shape (N, C, H, W)
            Their probability masses; ``-log2`` of them summed is the rate.
        """
        y_hat = y + torch.empty_like(y).uniform_(-0.5, 0.5) if self.training else torch.round(y)
        return y_hat, self.likelihood(y_hat)

    def pmf_table(self, radius: int) -> np.ndarray:
        """Probabilities of the integers -radius..radius per channel.

        Parameters
        ----------
        radius : int
            The support's half width.

        Returns
        -------
        ndarray of float64, shape (C, 2 * radius + 1)
            One row per channel.
        """
        c = self.matrices[0].shape[0]
        grid = torch.arange(-radius, radius + 1, dtype=torch.float32)
        with torch.no_grad():
            p = self.likelihood(grid.view(1, 1, 1, -1).expand(1, c, 1, -1).contiguous())
        return p[0, :, 0, :].double().numpy()

    # -- coding (CompressAI's update / compress / decompress) -------------------------------

    def update(self, tail: float = 1e-7, limit: int = 512) -> bool:
        """Cache the probability table the range coder uses; call after training.

        Parameters
        ----------
        tail : float, default=1e-7
            The table covers the integers -r..r, with r the smallest power of two (at least
            4) outside which each channel has mass below ``tail``.
        limit : int, default=512
            The largest r tried.

        Returns
        -------
        bool
            True, as CompressAI's ``update`` returns when the tables changed.
        """
        r = 4
        while r < limit and np.any(1.0 - self.pmf_table(r).sum(axis=1) >= tail):
            r *= 2
        self._table = (r, self.pmf_table(r))
        return True

    def _probs(self, shape: tuple[int, int, int, int]) -> tuple[int, np.ndarray]:
        if self._table is None:
            raise RuntimeError("EntropyBottleneck: call update() after training, before coding")
        r, pmf = self._table
        n, c, h, w = shape
        rows = np.broadcast_to(pmf[None, :, None, None, :], (n, c, h, w, pmf.shape[1]))
        return r, np.ascontiguousarray(rows.reshape(-1, pmf.shape[1]))

    def compress(self, y: torch.Tensor, header: tuple[int, ...]) -> Code:
        """Range-code rounded latents behind a header, in :mod:`.coding`'s stream format.

        Values are clipped to the table's support, as part of the quantization.

        Parameters
        ----------
        y : torch.Tensor of shape (N, C, H, W)
            Latents.
        header : tuple of int
            The stream's header words.

        Returns
        -------
        Code
            The stream and its ideal length.
        """
        q = torch.round(y).numpy()
        r, probs = self._probs(q.shape)
        sym = np.clip(q, -r, r).astype(np.int32) + r
        enc = constriction.stream.queue.RangeEncoder()
        enc.encode(np.ascontiguousarray(sym.ravel()), _categorical(), probs)
        lik = -np.log2(np.take_along_axis(probs, sym.reshape(-1, 1), 1)).sum()
        return Code(pack(header, enc.get_compressed()), float(lik))

    def decompress(self, code: Code | np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
        """Decode the integer latents of a stream made by :meth:`compress`.

        Parameters
        ----------
        code : Code or ndarray of uint32
            The stream.
        shape : tuple of int
            The latents' shape (N, C, H, W).

        Returns
        -------
        ndarray of int32, shape ``shape``
            The rounded, clipped latents.
        """
        _, stream = unpack(code.words if isinstance(code, Code) else code)
        r, probs = self._probs(shape)
        dec = constriction.stream.queue.RangeDecoder(stream)
        return dec.decode(_categorical(), probs).reshape(shape) - r


def _categorical():
    return constriction.stream.model.Categorical(perfect=False)
