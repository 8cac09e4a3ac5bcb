"""``ncdvision neural train|bpd|features``: registered into the ``ncdvision`` command through
the ``ncdvision.commands`` entry-point group. Importing this module does not import torch, so
the command exists (and says how to install the extra) without it."""

from __future__ import annotations

import argparse
import sys

from ncdvision.ncd.cliargs import int_at_least, k_or_auto

HELPS = {
    "train": "train a model (pixelcnn, autoencoder or cnn) on the training split",
    "bpd": "bits per dimension of the test split: likelihood and actual range code",
    "features": "kNN on autoencoder latents vs L2 pixels on the test split",
}


def run(args: argparse.Namespace) -> int:
    from . import require_torch

    try:
        require_torch()
    except ImportError as exc:
        print(f"ncdvision: error: {exc}", file=sys.stderr)
        return 2
    from .cli import run as run_neural

    return run_neural(args)


def register(subparsers) -> None:
    """Add ``neural`` and its subcommands to the ``ncdvision`` parser."""
    n = subparsers.add_parser("neural", help="learned compressors (needs the [neural] extra)")
    n_sub = n.add_subparsers(dest="neural_command", required=True)
    for name, help_ in HELPS.items():
        q = n_sub.add_parser(name, help=help_)
        q.add_argument("--dataset", default="mnist-5k", help="dataset name or path")
        q.add_argument(
            "--test-size", type=int_at_least(1), default=None, help="default: the protocol's"
        )
        q.add_argument("--seed", type=int_at_least(0), default=0)
        q.add_argument("--epochs", type=int_at_least(1), default=None, help="default: the model's")
        q.add_argument("--cache", default=None, help="checkpoint folder (resumes from it)")
        q.add_argument("--out", default=None, help="write the results as JSON here")
        if name in ("train", "bpd"):
            q.add_argument("--binary", action="store_true", help="binarized pixels (Otsu)")
        if name == "train":
            q.add_argument("--model", choices=["pixelcnn", "autoencoder", "cnn"],
                           default="pixelcnn")  # fmt: skip
        if name == "bpd":
            q.add_argument(
                "--verify", type=int_at_least(0), default=8, help="test images to decode back"
            )
        if name == "features":
            q.add_argument("--metric", choices=["l2", "cosine"], default="l2")
            q.add_argument("--k", type=k_or_auto, default="auto")
        q.set_defaults(func=run)
