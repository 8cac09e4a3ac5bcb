"""How an image becomes symbols: the same choices for every codec.

A serializer maps uint8 images (N, H, W[, C]) to uint8 *symbol* images of the same shape with
values in ``range(levels)``. Byte codecs compress ``symbols.tobytes()`` (one symbol per
byte, row-major); image codecs compress the symbol image; context coders model the symbols.

- ``raw``: the pixels as they are (256 levels).
- ``q<b>`` (``q1``..``q7``): keep the top ``b`` bits, ``x >> (8 - b)`` (``2**b`` levels).
- ``binary``: 1 where ``x > t``; ``t`` is Otsu's threshold computed on the images passed to
  :meth:`Serializer.fit` (the training images only), or a fixed ``binary:128``.
- ``thermo:<K>``: K binary planes, plane i is 1 where ``x > 256 (i + 1) / (K + 1)`` (a
  thermometer code of the gray level); the planes become channels, which context coders stack
  vertically. Keeps coarse gray levels for the binary context models: on a validation split of
  fashion-mnist-10k's training set ``ctx-ref-learned`` reached 0.849 with ``thermo:3`` against
  0.834 with ``binary`` (``thermo:5``: 0.831).

Families are registered in :data:`SERIALIZERS` (third parties: the ``ncdvision.serializers``
entry-point group); :func:`get_serializer` parses ``name[:argument]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .plugins import Registry


class Serializer:
    """Maps uint8 images to symbol images; the base class is the identity (``raw``).

    Attributes
    ----------
    name : str
        The name :func:`get_serializer` accepts (``raw``, ``q4``, ``binary``, ``thermo:3`` ...).
    levels : int
        Number of symbol levels in the output, the ``levels`` every codec method takes.
    """

    name = "raw"
    levels = 256

    def fit(self, images: np.ndarray) -> Serializer:
        """Learn from training images; only ``binary`` learns (its Otsu threshold).

        Parameters
        ----------
        images : ndarray of uint8, shape (n_images, height, width[, channels])
            Training images.

        Returns
        -------
        Serializer
            ``self``.
        """
        return self

    def transform(self, images: np.ndarray) -> np.ndarray:
        """The symbol images of some images.

        Parameters
        ----------
        images : ndarray of uint8, shape (n_images, height, width[, channels])
            Images to serialize.

        Returns
        -------
        ndarray of uint8
            Symbols below :attr:`levels`; same shape, except that ``thermo:K`` adds K planes
            as channels.
        """
        return images

    def fit_transform(self, images: np.ndarray) -> np.ndarray:
        """:meth:`fit`, then :meth:`transform`, on the same images.

        Parameters
        ----------
        images : ndarray of uint8, shape (n_images, height, width[, channels])
            Training images.

        Returns
        -------
        ndarray of uint8
            Their symbol images.
        """
        return self.fit(images).transform(images)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Raw(Serializer):
    pass


class Quantize(Serializer):
    def __init__(self, bits: int):
        if not 1 <= bits <= 8:
            raise ValueError(f"quantization bits must be in 1..8, got {bits}")
        self.bits = bits
        self.levels = 1 << bits
        self.name = f"q{bits}"

    def transform(self, images: np.ndarray) -> np.ndarray:  # numpydoc ignore=GL08
        return images >> np.uint8(8 - self.bits)


class Binarize(Serializer):
    levels = 2

    def __init__(self, threshold: int | None = None):
        if threshold is not None and not 0 <= threshold <= 255:
            raise ValueError(f"binarization threshold must be in 0..255, got {threshold}")
        self.threshold = threshold
        self.fixed = threshold is not None
        self.name = "binary" if threshold is None else f"binary:{threshold}"

    def fit(self, images: np.ndarray) -> Binarize:  # numpydoc ignore=GL08
        if not self.fixed:
            self.threshold = otsu_threshold(images)
        return self

    def transform(self, images: np.ndarray) -> np.ndarray:  # numpydoc ignore=GL08
        if self.threshold is None:
            raise RuntimeError("Binarize: call fit() on the training images first (Otsu threshold)")
        return (images > self.threshold).astype(np.uint8)


class Thermometer(Serializer):
    levels = 2

    def __init__(self, planes: int):
        if not 2 <= planes <= 8:
            raise ValueError(f"thermometer planes must be in 2..8, got {planes}")
        self.planes = planes
        self.thresholds = np.array([round(256 * (i + 1) / (planes + 1)) for i in range(planes)])
        self.name = f"thermo:{planes}"

    def transform(self, images: np.ndarray) -> np.ndarray:  # numpydoc ignore=GL08
        planes = [(images > t).astype(np.uint8) for t in self.thresholds]
        if images.ndim == 3:
            return np.stack(planes, axis=-1)  # (N, H, W, K)
        return np.concatenate(planes, axis=-1)  # colour: (N, H, W, C * K)


def otsu_threshold(images: np.ndarray) -> int:
    """Otsu's threshold over all pixels: the one that maximises the between-class variance.

    Parameters
    ----------
    images : uint8 array
        Any shape; every pixel counts once.

    Returns
    -------
    int
        Pixels above it are foreground.
    """
    hist = np.bincount(np.asarray(images, np.uint8).ravel(), minlength=256).astype(np.float64)
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m = np.cumsum(hist * np.arange(256))
    mu0 = np.divide(m, w0, out=np.zeros(256), where=w0 > 0)
    mu1 = np.divide(m[-1] - m, w1, out=np.zeros(256), where=w1 > 0)
    between = w0 * w1 * (mu0 - mu1) ** 2
    # with empty bins between two modes the maximum is a plateau: take its middle
    plateau = np.flatnonzero(between >= between.max() * (1 - 1e-9))
    return int(round(plateau.mean()))


def _integer(arg: str | None, what: str) -> int:
    if arg is None or not arg.isdigit():
        raise ValueError(f"{what}: expected a whole number, got {arg!r}")
    return int(arg)


#: Serializer families by name: ``factory(argument or None) -> Serializer``; a spec is
#: ``name`` or ``name:argument`` (``qN`` is ``q:N``).
SERIALIZERS: Registry[Callable[[str | None], Serializer]] = Registry(
    "serializer", "ncdvision.serializers",
    hint=" (as raw, q1..q8, binary, binary:<0-255>, thermo:<2-8>)")  # fmt: skip
#: Register a serializer family: ``register_serializer("name", factory)``.
register_serializer = SERIALIZERS.register


@register_serializer("raw")
def _raw(arg: str | None) -> Raw:
    if arg is not None:
        raise ValueError(f"raw takes no argument, got {arg!r}")
    return Raw()


register_serializer("q", lambda arg: Quantize(_integer(arg, "q<bits>")))
register_serializer("binary", lambda arg: Binarize(None if arg is None
                                                   else _integer(arg, "binary:<threshold>")))  # fmt: skip
register_serializer("thermo", lambda arg: Thermometer(_integer(arg, "thermo:<planes>")))


def get_serializer(spec: str | Serializer) -> Serializer:
    """A serializer by name, or the object itself.

    Parameters
    ----------
    spec : str or Serializer
        ``"raw"``, ``"q1"`` to ``"q8"`` (the top bits), ``"binary"`` (Otsu's threshold on the
        fit images), ``"binary:T"`` (a fixed threshold), ``"thermo:K"`` (K thermometer
        planes), or ``"name[:argument]"`` of a family registered in :data:`SERIALIZERS`.

    Returns
    -------
    Serializer
    """
    if isinstance(spec, Serializer):
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"serializer must be a name or a Serializer, got {type(spec).__name__}")
    name, _, arg = spec.partition(":")
    if name.startswith("q") and name[1:].isdigit() and not arg:
        name, arg = "q", name[1:]
    try:
        factory = SERIALIZERS.get(name)
    except ValueError as exc:
        raise ValueError(f"unknown serializer {spec!r}; known: "
                         f"{', '.join(SERIALIZERS.names())}{SERIALIZERS.hint}") from exc  # fmt: skip
    return factory(arg or None)
