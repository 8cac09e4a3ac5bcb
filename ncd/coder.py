"""One coder interface and one registry for every compressor (numcodecs is the model).

A :class:`Codec` turns a batch of *symbol images* (from a serializer) into what the distances
need: :meth:`Codec.prepare` gives each image's header-corrected length C(x) in bits, and
:meth:`Codec.joint_block` gives C(x y) for every pair of two prepared batches. Byte codecs,
image codecs (:mod:`.codecs`) and the numba context coders (:mod:`.context`) all implement it,
so every place that takes a codec name also takes a codec object.

The registry maps an id to a class: :func:`register_codec` adds one (third-party packages
register through the ``ncdvision.codecs`` entry-point group, whose entries name a Codec class);
:func:`get_codec` accepts an id with an optional level suffix (``"zstd:3"``), a config dict
(``{"id": "zstd", "level": 3}``), or a codec object; ``get_codec(c.get_config()) == c`` for
every codec.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from .plugins import Registry

ENTRY_POINT_GROUP = "ncdvision.codecs"


class Codec(ABC):
    """A lossless coder seen through its code lengths.

    Subclasses set ``codec_id`` and ``kind`` (``"bytes"``, ``"image"`` or ``"context"``) and
    implement :meth:`prepare` and :meth:`joint_block`. Constructor parameters are stored as
    attributes of the same name: that is what :meth:`get_config` reads (scikit-learn's
    ``get_params`` convention). ``suffix_param`` names the parameter a ``"id:N"`` suffix sets;
    None refuses a suffix. ``learned`` coders need :meth:`fit` (with or without labels) before use.
    """

    codec_id: ClassVar[str] = ""
    kind: ClassVar[str] = "bytes"
    suffix_param: ClassVar[str | None] = None
    #: Integer parameters and their allowed range (lowest, highest), checked by
    #: :meth:`check_params` at construction: the one way every codec declares its ranges.
    param_ranges: ClassVar[dict[str, tuple[int, int]]] = {}
    learned: bool = False
    #: Whether :meth:`kneighbors_block` finds the exact top k of candidates for less work than
    #: coding every pair (early abandoning); the search then orders candidates for it.
    early_abandoning: ClassVar[bool] = False

    def check_params(self) -> None:
        """Refuse a parameter outside its declared range (:attr:`param_ranges`), naming it."""
        for name, (lo, hi) in self.param_ranges.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise ValueError(f"{self.codec_id}: {name} must be an integer in {lo}..{hi}, "
                                 f"got {v!r}")  # fmt: skip

    @property
    def name(self) -> str:
        """The name reports show (the id, or a variant's name)."""
        return self.codec_id

    def fit(self, symbols: np.ndarray, levels: int, labels=None) -> Codec:
        """Learn from training symbol images; a no-op unless the coder is ``learned``.

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width[, planes])
            Training images as a serializer gives them, each value below ``levels``.
        levels : int
            Number of symbol levels (2 for binary images).
        labels : array-like of shape (n_images,), optional
            Class labels. A ``learned`` coder learns from same-class pairs when given them,
            and from each image's nearest neighbors without them.

        Returns
        -------
        Codec
            ``self``.
        """
        return self

    @abstractmethod
    def prepare(self, symbols: np.ndarray, levels: int, n_jobs: int = 1) -> Any:
        """Per-batch data for :meth:`joint_block`: what is coded, and each image's C(x).

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width[, planes])
            Images as a serializer gives them, each value below ``levels``.
        levels : int
            Number of symbol levels.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        object
            A prepared batch with ``.lengths`` (C(x) in bits, float64 of shape (n_images,))
            and ``.take(rows)`` (the prepared batch of some rows).
        """

    @abstractmethod
    def joint_block(self, dx, dy, n_jobs: int = 1) -> np.ndarray:
        """Joint lengths C(x_i y_j) of every pair of two prepared batches.

        Parameters
        ----------
        dx, dy : object
            Prepared batches from :meth:`prepare`.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ndarray of float64, shape (len(dx), len(dy))
            C(x_i y_j) in bits.
        """

    def joint_pairs(self, dx, dy, cand: np.ndarray, n_jobs: int = 1) -> np.ndarray:
        """Joint lengths of listed pairs only: C(x_i y_cand[i, j]).

        Parameters
        ----------
        dx, dy : object
            Prepared batches from :meth:`prepare`.
        cand : ndarray of int, shape (len(dx), n_candidates)
            For each row of ``dx``, the rows of ``dy`` to pair it with.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ndarray of float64, shape ``cand.shape``
            C(x_i y_cand[i, j]) in bits.
        """
        rows = [self.joint_block(dx.take([i]), dy.take(c), n_jobs)[0] for i, c in enumerate(cand)]
        return np.stack(rows) if rows else np.empty(cand.shape)

    def kneighbors_block(self, dx, dy, cand: np.ndarray, k: int, distance: str, n_jobs: int = 1,
                         stop: tuple[int, float] | None = None, trace: int = 0):  # fmt: skip
        """Exact top k of each ``dx`` row among its candidates: a fast path that codecs with
        :attr:`early_abandoning` provide; the others return ``NotImplemented`` and the search
        codes every candidate pair.

        Parameters
        ----------
        dx, dy : object
            Prepared queries and candidates from :meth:`prepare`.
        cand : ndarray of int, shape (len(dx), n_candidates)
            For each query, indices into ``dy``, most promising first.
        k : int
            Number of neighbors.
        distance : {"ncd", "cdm", "clm"}
            The distance to rank by.
        n_jobs : int, default=1
            Threads to use.
        stop : (int, float), optional
            A per-row stopping rule, ``(m0, g)`` (:meth:`.RefContextCoder.kneighbors_block`).
        trace : int, default=0
            Width of the record of where candidates entered each row's top k.

        Returns
        -------
        tuple or NotImplemented
            ``(distances, indices, pixels coded per query, candidates walked per query,
            trace)``, as :meth:`.RefContextCoder.kneighbors_block` gives them.
        """
        return NotImplemented

    # -- configuration ----------------------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        """Named parameters of the nearest ``__init__`` that has any (a variant that only
        changes defaults through ``**params`` has its parent's)."""
        for klass in cls.__mro__:
            if "__init__" not in vars(klass) or klass is object:
                continue
            params = [
                p.name
                for p in inspect.signature(klass.__init__).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if params:
                return params
        return []

    def get_config(self) -> dict:
        """The codec's id and parameters: everything :meth:`from_config` needs.

        Returns
        -------
        dict
            ``{"id": codec_id, **parameters}``, JSON-serializable.
        """
        return {"id": self.codec_id, **{k: getattr(self, k) for k in self._param_names()}}

    @classmethod
    def from_config(cls, config: dict) -> Codec:
        """The codec a :meth:`get_config` dict describes.

        Parameters
        ----------
        config : dict
            ``{"id": codec_id, **parameters}``; the id is not checked here
            (:func:`get_codec` dispatches on it).

        Returns
        -------
        Codec
            A new codec with those parameters.
        """
        params = {k: v for k, v in config.items() if k != "id"}
        return cls(**params)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), repr(sorted(self.get_config().items()))))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "id")
        return f"{type(self).__name__}({params})"


# ----------------------------------------------------------------------------- registry


def _check_codec(codec_class) -> None:
    if not (isinstance(codec_class, type) and issubclass(codec_class, Codec)):
        raise TypeError(f"register_codec expects a Codec subclass, got {codec_class!r}")


#: Codec ids to classes. The built-in coders register themselves when their modules are
#: imported, which happens on the first lookup; third-party packages add entries through the
#: ``ncdvision.codecs`` entry-point group, loaded one id at a time.
CODECS: Registry[type[Codec]] = Registry(
    "codec", ENTRY_POINT_GROUP, builtins=tuple(f"{__package__}.{m}" for m in ("codecs", "image_codecs", "context")),
    check=_check_codec)  # fmt: skip


def register_codec(codec_class: type[Codec], codec_id: str | None = None) -> type[Codec]:
    """Add a :class:`Codec` subclass to the registry; usable as a class decorator.

    Parameters
    ----------
    codec_class : type
        A :class:`Codec` subclass.
    codec_id : str, optional
        The name it is registered under (default ``codec_class.codec_id``); no ``:``.

    Returns
    -------
    type
        ``codec_class``, unchanged.
    """
    _check_codec(codec_class)
    return CODECS.register(codec_id or codec_class.codec_id, codec_class)


def available_codecs() -> list[str]:
    """Every codec id :func:`get_codec` accepts.

    Returns
    -------
    list of str
        The built-in ids first, then those of the ``ncdvision.codecs`` entry points.
    """
    return CODECS.names()


def get_codec(spec: str | dict | Codec, **params) -> Codec:
    """A codec from its name, its config, or itself.

    Parameters
    ----------
    spec : str, dict or Codec
        An id (``"zstd"``), an id with a level suffix (``"zlib:6"``), a config dict
        (``{"id": "zstd", "level": 3}``, as :meth:`Codec.get_config` gives), or a codec object
        (returned as it is).
    **params
        Parameters for an id (``get_codec("zstd", level=3)``), checked against the codec's
        declared ranges.

    Returns
    -------
    Codec

    Raises
    ------
    ValueError
        For an unknown id (the message lists the known ones) or a parameter out of range.

    Examples
    --------
    >>> get_codec("zlib:6").level
    6
    >>> get_codec(get_codec("ctx-ref").get_config()) == get_codec("ctx-ref")
    True
    """
    if isinstance(spec, Codec):
        if params:
            raise TypeError("parameters can only be given with a codec id")
        return spec
    if isinstance(spec, dict):
        cid = spec.get("id")
        if not isinstance(cid, str) or cid not in CODECS:
            raise ValueError(
                f"codec config {spec!r}: unknown id; known: {', '.join(CODECS.names())}"
            )
        return CODECS.get(cid).from_config({**spec, **params})
    if not isinstance(spec, str):
        raise TypeError(f"codec must be an id, a config dict or a Codec, got {type(spec).__name__}")
    cid, colon, arg = spec.partition(":")
    if cid not in CODECS:
        raise ValueError(f"unknown codec {spec!r}; known codecs: {', '.join(CODECS.names())}")
    cls = CODECS.get(cid)
    if colon:
        if cls.suffix_param is None:
            raise ValueError(f"codec {spec!r}: {cid} takes no ':' parameter; use {cid!r}")
        if not arg.lstrip("-").isdigit():
            raise ValueError(
                f"codec {spec!r}: the part after ':' must be an integer "
                f"{cls.suffix_param}, e.g. '{cid}:6'"
            )
        params = {cls.suffix_param: int(arg), **params}
    return cls(**params)
