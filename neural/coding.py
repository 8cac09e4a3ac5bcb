"""Real entropy coding with an autoregressive model: ``constriction``'s range coder.

The code of a set of images is one range-coder stream, preceded by a 4-word header (count,
height, width, batch size); :func:`pack` / :func:`unpack` are the one stream format of both
neural coders (the autoencoder's header is count, height, width, latent channels). Within each batch, symbols go pixel by pixel (all images' pixel 0,
then pixel 1, ...), so the decoder can decode a whole batch with one forward pass per pixel.

Bit-exact decoding needs the decoder's probabilities to equal the encoder's. The model only
ever looks at already-decoded pixels, but a convolution algorithm that mixes neighboring
outputs (Winograd) could round differently when the not-yet-decoded pixels differ, so coding
runs with oneDNN off (plain im2col + GEMM: each output is a fixed-order dot product over its
receptive field), with the same batch size on both sides (stored in the header), and in
float64 on a copy of the model. In float32 the CPU kernels still gave a conditional 28x28
model's probabilities that moved by about 1e-7 with the not-yet-decoded pixels, enough to
break decoding of a 50-image stream, which decodes exactly in float64. Lengths for
distances (:func:`likelihood_bits`) stay in float32.
"""

from __future__ import annotations

import copy
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import constriction
import numpy as np
import torch

__all__ = ["HEADER_WORDS", "Code", "check_symbols", "decode", "encode", "likelihood_bits",
           "pack", "unpack"]  # fmt: skip

#: uint32 words before the range coder's: count, height, width, and batch size or channels.
HEADER_WORDS = 4


def pack(header: tuple[int, ...], stream: np.ndarray) -> np.ndarray:
    """Build a stream in the format of every neural coder.

    Parameters
    ----------
    header : tuple of int
        :data:`HEADER_WORDS` values the decoder must know: counts and shapes.
    stream : ndarray of uint32
        The range coder's words.

    Returns
    -------
    ndarray of uint32
        The header words, then the stream.
    """
    if len(header) != HEADER_WORDS:
        raise ValueError(f"a header has {HEADER_WORDS} words, got {len(header)}")
    return np.concatenate([np.asarray(header, np.uint32), np.asarray(stream, np.uint32)])


def unpack(words: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """Split a stream made by :func:`pack`.

    Parameters
    ----------
    words : ndarray of uint32
        The stream.

    Returns
    -------
    header : tuple of int
        The header values.
    stream : ndarray of uint32
        The range coder's words.
    """
    words = np.asarray(words, np.uint32)
    if len(words) < HEADER_WORDS:
        raise ValueError(f"a coded stream starts with {HEADER_WORDS} header words")
    return tuple(int(v) for v in words[:HEADER_WORDS]), np.ascontiguousarray(words[HEADER_WORDS:])


@dataclass
class Code:
    """A coded set of images.

    Parameters
    ----------
    words : ndarray of uint32
        Header and range-coder stream.
    likelihood_bits : float
        -log2 p(images) under the model, what an ideal coder would spend.
    """

    words: np.ndarray
    likelihood_bits: float

    @property
    def bits(self) -> int:
        """The code's actual length in bits, header included."""
        return 32 * len(self.words)


@contextmanager
def _exact():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch notes TF32 on Intel GPUs here
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False):
            yield


def _coding_copy(model):
    """The model in float64, as both sides of the coder use it."""
    return copy.deepcopy(model).double().eval()


def _probabilities(model, batch: torch.Tensor, ref: torch.Tensor | None = None) -> np.ndarray:
    """(N, H*W, L) float64 probabilities from one forward pass."""
    return model.probabilities(batch, ref).flatten(2).transpose(1, 2).numpy()


def _references(model, references, shape: tuple[int, ...]) -> np.ndarray | None:
    """Check reference images against the images they go with: one per image, same size."""
    if references is None:
        return None
    references = check_symbols(references, model.levels)
    if references.shape != tuple(shape):
        raise ValueError(f"references must match the images' shape {tuple(shape)}, "
                         f"got {references.shape}")  # fmt: skip
    return references


def _ref_batch(references, s: int, e: int) -> torch.Tensor | None:
    return None if references is None else torch.from_numpy(references[s:e])


def check_symbols(images: np.ndarray, levels: int) -> np.ndarray:
    """Validate images for a model: uint8 grayscale (N, H, W), every value below ``levels``.

    Parameters
    ----------
    images : array-like
        The images.
    levels : int
        The model's number of pixel values.

    Returns
    -------
    ndarray of uint8, shape (N, H, W)
        The images.

    Raises
    ------
    ValueError
        For another type or shape, or a value of ``levels`` or more.
    """
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


def encode(model, images: np.ndarray, batch_size: int = 256,
           references: np.ndarray | None = None) -> Code:  # fmt: skip
    """Range-code images with an autoregressive model.

    Parameters
    ----------
    model : GatedPixelCNN
        A trained model; its ``levels`` bound the pixel values.
    images : ndarray of uint8, shape (N, H, W)
        The images.
    batch_size : int, default=256
        Images per forward pass; stored in the header, since decoding must use the same.
    references : ndarray of uint8, shape (N, H, W), optional
        One reference image per image, for a model with ``reference=True``: codes each
        image given its reference, C(y | x). The decoder needs the same references.

    Returns
    -------
    Code
        The stream and the model's ideal length.
    """
    images = check_symbols(images, model.levels)
    n, h, w = images.shape
    references = _references(model, references, images.shape)
    model = _coding_copy(model)
    enc = constriction.stream.queue.RangeEncoder()
    cat = constriction.stream.model.Categorical(perfect=False)
    ideal = 0.0
    with _exact():
        for s in range(0, n, batch_size):
            x = images[s : s + batch_size]
            p = _probabilities(model, torch.from_numpy(x), _ref_batch(references, s, s + len(x)))
            sym = x.reshape(len(x), -1).astype(np.int32)
            ideal -= float(np.log2(np.take_along_axis(p, sym[..., None], 2)).sum())
            # pixel-major order within the batch
            enc.encode(
                np.ascontiguousarray(sym.T.ravel()), cat,
                np.ascontiguousarray(p.transpose(1, 0, 2).reshape(-1, p.shape[2])),
            )  # fmt: skip
    return Code(pack((n, h, w, batch_size), enc.get_compressed()), ideal)


def decode(model, words: np.ndarray, references: np.ndarray | None = None) -> np.ndarray:
    """Decode images coded by :func:`encode` with the same model.

    Parameters
    ----------
    model : GatedPixelCNN
        The model that coded them.
    words : ndarray of uint32
        ``Code.words``.
    references : ndarray of uint8, shape (N, H, W), optional
        The references the images were coded with.

    Returns
    -------
    ndarray of uint8, shape (N, H, W)
        The images, bit-exact.
    """
    (n, h, w, batch_size), stream = unpack(words)
    references = _references(model, references, (n, h, w))
    dec = constriction.stream.queue.RangeDecoder(stream)
    cat = constriction.stream.model.Categorical(perfect=False)
    out = np.zeros((n, h, w), np.uint8)
    model = _coding_copy(model)
    with _exact():
        for s in range(0, n, batch_size):
            x = torch.zeros((min(batch_size, n - s), h, w), dtype=torch.uint8)
            ref = _ref_batch(references, s, s + len(x))
            for pos in range(h * w):
                y, xx = divmod(pos, w)
                p = np.ascontiguousarray(_probabilities(model, x, ref)[:, pos, :])
                x[:, y, xx] = torch.from_numpy(dec.decode(cat, p).astype(np.uint8))
            out[s : s + len(x)] = x.numpy()
    return out


def likelihood_bits(model, images: np.ndarray, batch_size: int = 256,
                    references: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """-log2 p(x) of each image under the model, without coding.

    Parameters
    ----------
    model : GatedPixelCNN
        A trained model.
    images : ndarray of uint8, shape (N, H, W)
        The images.
    batch_size : int, default=256
        Images per forward pass.
    references : ndarray of uint8, shape (N, H, W), optional
        One reference per image (``reference=True`` models): gives C(y | x).

    Returns
    -------
    ndarray of float64, shape (N,)
        Bits per image.
    """
    images = check_symbols(images, model.levels)
    references = _references(model, references, images.shape)
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch_size):
            x = torch.from_numpy(images[s : s + batch_size])
            ref = _ref_batch(references, s, s + batch_size)
            out.append(model.nll_bits(x, ref).double().numpy())
    return np.concatenate(out) if out else np.zeros(0)
