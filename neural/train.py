"""Seeded training with checkpoints, resume and progress bars, shared by every model.

Checkpoints go to ``cache_dir`` (default ``$NCDVISION_CACHE`` or ``~/.cache/ncdvision``) under
a key made of the model's config, the training settings and a hash of the training data, so
a rerun with the same inputs resumes (or returns at once when finished) and any change
starts afresh. Each epoch's checkpoint is written to a temp file and renamed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ncdvision.ncd.output import temp_beside

__all__ = ["cache_dir", "fit", "run_key"]


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Where checkpoints go.

    Parameters
    ----------
    path : str or path-like, optional
        A folder; without it ``$NCDVISION_CACHE``, else ``~/.cache/ncdvision``.

    Returns
    -------
    Path
        The folder (not created here).
    """
    root = path or os.environ.get("NCDVISION_CACHE") or Path.home() / ".cache" / "ncdvision"
    return Path(root)


def run_key(kind: str, config: dict, arrays: list[np.ndarray]) -> str:
    """A short name for a training run: its settings and a hash of its data.

    Parameters
    ----------
    kind : str
        The model's kind, the name's prefix.
    config : dict
        Model and training settings, JSON-serializable.
    arrays : list of ndarray
        The training data.

    Returns
    -------
    str
        ``"<kind>-<16 hex digits>"``.
    """
    h = hashlib.sha256(json.dumps([kind, config], sort_keys=True).encode())
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return f"{kind}-{h.hexdigest()[:16]}"


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, tuple[torch.Tensor, ...]], torch.Tensor],
    tensors: tuple[torch.Tensor, ...],
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    checkpoint: Path | None = None,
    progress: bool = True,
    desc: str = "train",
) -> list[dict]:
    """Adam over shuffled mini-batches of ``tensors``; returns the per-epoch history.

    The shuffling of epoch e is seeded by (seed, e), so a resumed run draws the same batches
    as an uninterrupted one.

    Parameters
    ----------
    model : torch.nn.Module
        The model, trained in place.
    loss_fn : callable
        ``loss_fn(model, batch)`` with ``batch`` a tuple of row slices of ``tensors``; returns
        a scalar tensor.
    tensors : tuple of torch.Tensor
        Training data, equal first dimensions.
    epochs : int
        Passes over the data.
    batch_size : int, default=64
        Rows per step.
    lr : float, default=1e-3
        Adam's learning rate, annealed to zero on a cosine schedule.
    seed : int, default=0
        Seed of the weights and the batches.
    checkpoint : Path, optional
        Resume from it and save after every epoch, atomically. A file that is not a
        checkpoint of this model is reported and replaced.
    progress : bool, default=True
        Show a progress bar and a line per epoch.
    desc : str, default="train"
        The progress bar's label.

    Returns
    -------
    list of dict
        Per epoch: ``epoch``, ``loss`` (mean over rows) and ``seconds``.
    """
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    history, start = [], 0
    if checkpoint is not None and checkpoint.exists():
        history, start = _resume(checkpoint, model, opt, sched)
    n = len(tensors[0])
    for epoch in range(start, epochs):
        model.train()
        order = torch.from_numpy(np.random.default_rng([seed, epoch]).permutation(n))
        total, t0 = 0.0, time.perf_counter()
        bar = tqdm(range(0, n, batch_size), desc=f"{desc} {epoch + 1}/{epochs}",
                   disable=not progress, leave=False)  # fmt: skip
        for s in bar:
            idx = order[s : s + batch_size]
            loss = loss_fn(model, tuple(t[idx] for t in tensors))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}")
        sched.step()
        history.append({"epoch": epoch + 1, "loss": total / n, "seconds": time.perf_counter() - t0})
        if progress:
            print(f"{desc} epoch {epoch + 1}/{epochs}: loss {total / n:.4f}", flush=True)
        if checkpoint is not None:
            _save(checkpoint, model, opt, sched, history, epoch + 1)
    return history


def _resume(path: Path, model, opt, sched) -> tuple[list, int]:
    """(history, epoch) from a checkpoint of ours, restoring the model, optimizer and schedule.
    A file that is not one (corrupt, another program's, another model's) is reported and
    recomputed: nothing is restored from it."""
    initial = [copy.deepcopy(o.state_dict()) for o in (model, opt, sched)]
    try:
        state = torch.load(path, weights_only=True)  # a checkpoint never runs code
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        history, epoch = list(state["history"]), int(state["epoch"])
    except Exception as exc:  # noqa: BLE001 - any failure means: not a checkpoint of ours
        for o, s in zip((model, opt, sched), initial, strict=True):
            o.load_state_dict(s)
        warnings.warn(
            f"{path}: not a checkpoint of this model ({type(exc).__name__}); training from the "
            "start, and the file is replaced when the first epoch ends",
            stacklevel=3,
        )
        return [], 0
    return history, epoch


def _save(path: Path, model, opt, sched, history, epoch) -> None:
    with temp_beside(path) as tmp:
        torch.save(
            {"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "history": history, "epoch": epoch},
            tmp,
        )  # fmt: skip
