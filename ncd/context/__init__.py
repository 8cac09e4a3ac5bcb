"""Numba 2-D context-model coders, split by concern (pynndescent is the model):

- :mod:`.templates` -- context templates, symbol images as planes;
- :mod:`.kernels` -- the numba kernels (context indices, code lengths, prior counts) and the
  fork-safe parallel launch;
- :mod:`.topk` -- the exact top-k search kernel (early abandoning, active pixels first);
- :mod:`.arith` -- the arithmetic coder that realises the models' lengths exactly;
- :mod:`.base` -- what every context coder shares (prepared data, priors, real coding);
- :mod:`.plain` -- ``ctx``; :mod:`.reference` -- ``ctx-ref``, ``ctx-ref-asym``,
  ``ctx-ref-learned``.

Symbol images have values in ``range(L)`` (from a serializer: ``binary`` gives L=2, ``q2``
L=4, ...); colour images are coded as their channel planes stacked vertically.
"""

from ..runtime import set_threads
from .base import ContextCodec, ContextData
from .kernels import CAP
from .plain import ContextCoder
from .reference import AsymRefContextCoder, LearnedRefContextCoder, RefContextCoder
from .templates import TEMPLATES, as_planes

__all__ = [
    "CAP",
    "TEMPLATES",
    "AsymRefContextCoder",
    "ContextCodec",
    "ContextCoder",
    "ContextData",
    "LearnedRefContextCoder",
    "RefContextCoder",
    "as_planes",
    "set_threads",
]
