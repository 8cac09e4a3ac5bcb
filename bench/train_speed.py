"""Seconds per PixelCNN training step, float32 against bfloat16 autocast, in the same run.

    python bench/train_speed.py

One Adam step on a batch of 32 random 28x28 8-bit images (median of 5 after 2 warm-up steps)
for the earlier model (48 x 5) and the default (64 x 8 with coordinate planes). Writes
bench/results/train-speed.json.
"""

from __future__ import annotations

import statistics
import time

import torch
from _common import machine, table, write_json

from ncdvision.neural.pixelcnn import GatedPixelCNN

MODELS = {"48 x 5": {"channels": 48, "layers": 5, "coords": False},
          "64 x 8 +xy": {"channels": 64, "layers": 8, "coords": True}}  # fmt: skip


def step_seconds(cfg: dict, bf16: bool, repeats: int = 5) -> float:
    torch.manual_seed(0)
    model = GatedPixelCNN(**cfg)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randint(0, 256, (32, 28, 28), dtype=torch.uint8)
    times = []
    for _ in range(repeats + 2):
        t = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model.nll_bits(x).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t)
    return statistics.median(times[2:])


def main() -> None:
    rows = []
    for name, cfg in MODELS.items():
        fp32, bf16 = step_seconds(cfg, False), step_seconds(cfg, True)
        rows.append({"model": name, "threads": torch.get_num_threads(), "fp32_s": fp32,
                     "bf16_s": bf16, "speedup": fp32 / bf16})  # fmt: skip
    print(table(rows, ["model", "threads", "fp32_s", "bf16_s", "speedup"]))
    print(f"wrote {write_json('train-speed', {'machine': machine(), 'rows': rows})}")


if __name__ == "__main__":
    main()
