"""Real entropy coding with an autoregressive model: ``constriction``'s range coder.

The code of a set of images is one range-coder stream, preceded by a 4-word header (count,
height, width, batch size); :func:`pack` / :func:`unpack` are the one stream format of both
neural coders (the autoencoder's header is count, height, width, latent channels). Within each batch, symbols go pixel by pixel (all images' pixel 0,
then pixel 1, ...), so the decoder can decode a whole batch with one forward pass per pixel.

Bit-exact decoding needs the decoder's probabilities to equal the encoder's. The model only
ever looks at already-decoded pixels, but a convolution algorithm that mixes neighbouring
outputs (Winograd) could round differently when the not-yet-decoded pixels differ, so coding
runs with oneDNN off (plain im2col + GEMM: each output is a fixed-order dot product over its
receptive field) and with the same batch size on both sides (stored in the header).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import constriction
import numpy as np
import torch

HEADER_WORDS = 4


def pack(header: tuple[int, ...], stream: np.ndarray) -> np.ndarray:
    """The stream format of every neural coder: :data:`HEADER_WORDS` uint32 header words
    (what the decoder must know: counts and shapes), then the range coder's words."""
    if len(header) != HEADER_WORDS:
        raise ValueError(f"a header has {HEADER_WORDS} words, got {len(header)}")
    return np.concatenate([np.asarray(header, np.uint32), np.asarray(stream, np.uint32)])


def unpack(words: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """(header, range-coder words) of a stream made by :func:`pack`."""
    words = np.asarray(words, np.uint32)
    if len(words) < HEADER_WORDS:
        raise ValueError(f"a coded stream starts with {HEADER_WORDS} header words")
    return tuple(int(v) for v in words[:HEADER_WORDS]), np.ascontiguousarray(words[HEADER_WORDS:])


@dataclass
class Code:
    """A coded set of images."""

    words: np.ndarray  # uint32: header + range-coder stream
    likelihood_bits: float  # -log2 p(images) under the model

    @property
    def bits(self) -> int:
        return 32 * len(self.words)


@contextmanager
def _exact():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch notes TF32 on Intel GPUs here
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
            yield


def _probabilities(model, batch: torch.Tensor) -> np.ndarray:
    """(N, H*W, L) float64 probabilities from one forward pass."""
    return model.probabilities(batch).flatten(2).transpose(1, 2).numpy()


def check_symbols(images: np.ndarray, levels: int) -> np.ndarray:
    """uint8 grayscale images (N, H, W) with every value below ``levels``."""
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 grayscale images (N, H, W), got {images.dtype} {images.shape}"
        )
    if images.size and int(images.max()) >= levels:
        raise ValueError(
            f"pixel values must be < {levels} for this model, found {int(images.max())}"
        )
    return images


def encode(model, images: np.ndarray, batch_size: int = 256) -> Code:
    """Range-code ``images`` (uint8, values < model.levels) with ``model``."""
    images = check_symbols(images, model.levels)
    n, h, w = images.shape
    model.eval()
    enc = constriction.stream.queue.RangeEncoder()
    cat = constriction.stream.model.Categorical(perfect=False)
    ideal = 0.0
    with _exact():
        for s in range(0, n, batch_size):
            x = images[s : s + batch_size]
            p = _probabilities(model, torch.from_numpy(x))  # (B, P, L)
            sym = x.reshape(len(x), -1).astype(np.int32)
            ideal -= float(np.log2(np.take_along_axis(p, sym[..., None], 2)).sum())
            # pixel-major order within the batch
            enc.encode(
                np.ascontiguousarray(sym.T.ravel()), cat,
                np.ascontiguousarray(p.transpose(1, 0, 2).reshape(-1, p.shape[2])),
            )  # fmt: skip
    return Code(pack((n, h, w, batch_size), enc.get_compressed()), ideal)


def decode(model, words: np.ndarray) -> np.ndarray:
    """Decode images coded by :func:`encode` with the same model."""
    (n, h, w, batch_size), stream = unpack(words)
    dec = constriction.stream.queue.RangeDecoder(stream)
    cat = constriction.stream.model.Categorical(perfect=False)
    out = np.zeros((n, h, w), np.uint8)
    model.eval()
    with _exact():
        for s in range(0, n, batch_size):
            x = torch.zeros((min(batch_size, n - s), h, w), dtype=torch.uint8)
            for pos in range(h * w):
                y, xx = divmod(pos, w)
                p = np.ascontiguousarray(_probabilities(model, x)[:, pos, :])
                x[:, y, xx] = torch.from_numpy(dec.decode(cat, p).astype(np.uint8))
            out[s : s + len(x)] = x.numpy()
    return out


def likelihood_bits(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """-log2 p(x) of each image under the model (no coding): (N,)."""
    images = check_symbols(images, model.levels)
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch_size):
            out.append(
                model.nll_bits(torch.from_numpy(images[s : s + batch_size])).double().numpy()
            )
    return np.concatenate(out) if out else np.zeros(0)
