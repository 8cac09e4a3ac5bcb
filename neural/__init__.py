"""Neural learned compressors (PyTorch), the comparison for the classical codecs.

- :mod:`.pixelcnn` -- a gated PixelCNN over 8-bit or binarized pixels (the model only);
- :mod:`.coding` -- real entropy coding of images with it (``constriction``'s range coder):
  bits per dimension from the likelihood and from the actual code, bit-exact decoding;
- :mod:`.refcodec` -- ``pixelcnn-ref``, a conditional PixelCNN as an NCD codec,
  C(x y) = C(x) + C(y | x), learned from unlabelled image pairs (NPC-LV's idea);
- :mod:`.bottleneck` -- a lossy autoencoder with a learned factorized entropy model
  (Balle et al. 2017), its latents coded with the same range coder;
- :mod:`.features` -- kNN on learned-compressor latents, the classifier interface of the NCD
  classifier;
- :mod:`.cnn` -- a small supervised CNN, the learnability reference;
- :mod:`.train` -- seeded training loops with checkpoints, resume and progress bars.

Needs the ``[neural]`` extra (``pip install 'ncdvision[neural]'``); ``import ncdvision.ncd``
never imports torch.
"""

from __future__ import annotations

MISSING = (
    "ncdvision.neural needs PyTorch and constriction: pip install 'ncdvision[neural]' "
    "(it pins torch==2.13.0; an unpinned torch pulls several GB of CUDA packages)"
)


def require_torch() -> None:
    """Raise ImportError with the install command when the ``[neural]`` extra is missing."""
    try:
        import constriction  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        raise ImportError(MISSING) from exc
