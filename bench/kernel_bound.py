"""How close the context kernels run to this machine's limit for their memory pattern.

    python bench/kernel_bound.py          # mnist-5k and fashion-mnist-10k, one core

Each binary symbol coded given a reference costs: the context index (a shift and an add), a
read of the context's two counts, two log-table reads, an increment, the cap test, and later
a write that restores the counts. The bound is the same loop over the same contexts of the
same pairs with only the read and the increment, and the same restoring walk: what the
table's memory traffic alone allows. Rows give symbols coded per second on one core for

- the pair-matrix kernel (``conditional_block``, every symbol of every pair), and
- the exact search (``kneighbors`` with early abandoning: symbols actually coded per second,
  from its ``coded_fraction``),

beside the bound, and the kernels' share of it. Writes bench/results/kernel-bound.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json
from numba import njit

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, kneighbors
from ncdvision.ncd.context.kernels import reset2
from ncdvision.ncd.runtime import set_threads


@njit(cache=True)
def bound_rows(ref, cod_cs, shift, table, prior, out):
    """The kernel's loop with the model arithmetic taken out: per pixel, the context index,
    one table read and one increment; per pair, the same restoring walk."""
    n = cod_cs.shape[1]
    for i in range(ref.shape[0]):
        for j in range(cod_cs.shape[0]):
            acc = 0
            for p in range(n):
                ix = np.int64(cod_cs[j, p]) + (np.int64(ref[i, p]) << shift)
                acc += table[ix]
                table[ix] += 1
            reset2(cod_cs[j], ref[i], shift, n, table, prior)
            out[i, j] = acc


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def rows_for(name: str, serializer: str, n_ref: int, n_cod: int) -> list[dict]:
    ds = load(name)
    train, test = ds.split(test_size=BENCHMARK_TEST_SIZE.get(name, 0.2), seed=0)
    comp = Compressor("ctx-ref-learned", serializer, n_jobs=1).fit(train.images, train.labels)
    dx, dy = comp.prepare(test.images[:n_ref]), comp.prepare(train.images[:n_cod])
    codec = comp.codec
    n_sym = dy.symbols.shape[1]
    set_threads(1)
    codec.conditional_block(dx.take(slice(0, 2)), dy.take(slice(0, 2)))  # compile
    t_kernel = best_of(lambda: codec.conditional_block(dx, dy, 1))
    mult, shift, prior, _, _ = codec._kernel_args(dx)
    tab = prior.copy()
    out = np.empty((n_ref, n_cod), np.int64)
    bound_rows(dx.ref[:1], dy.cs[:1], shift, tab, prior, out[:1, :1])  # compile
    t_bound = best_of(lambda: bound_rows(dx.ref, dy.cs, shift, tab, prior, out))
    symbols = n_ref * n_cod * n_sym
    stats = {}
    kneighbors(test.images[:2], train.images[:50], 5, compressor=comp)  # compile
    t_search = best_of(lambda: kneighbors(test.images[:n_ref], train.images[:n_cod], 5,
                                          compressor=comp, prepared_y=dy, stats=stats), 1)  # fmt: skip
    sym_search = stats["coded_fraction"] * stats["pairs"] * n_sym * (2 if codec.symmetric else 1)
    bound = symbols / t_bound
    base = {"dataset": name, "serializer": serializer, "symbols_per_pair": n_sym,
            "pairs": n_ref * n_cod, "bound_symbols_per_s": bound}  # fmt: skip
    return [
        {**base, "loop": "pair matrix (conditional_block)", "symbols_per_s": symbols / t_kernel,
         "share_of_bound": symbols / t_kernel / bound},
        {**base, "loop": "exact search (early abandoning, symmetric)",
         "symbols_per_s": sym_search / t_search, "share_of_bound": sym_search / t_search / bound,
         "coded_fraction": stats["coded_fraction"]},
        {**base, "loop": "bound: read + increment + restore", "symbols_per_s": bound,
         "share_of_bound": 1.0},
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    ap.add_argument("--serializers", nargs="+", default=["binary", "thermo:3"])
    ap.add_argument("--n-ref", type=int, default=100)
    ap.add_argument("--n-cod", type=int, default=1000)
    args = ap.parse_args()
    rows = [r for name in args.datasets for ser in args.serializers
            for r in rows_for(name, ser, args.n_ref, args.n_cod)]  # fmt: skip
    print(table(rows, ["dataset", "serializer", "loop", "symbols_per_s", "share_of_bound"]))
    payload = {"machine": machine(), "threads": 1, "rows": rows}
    print(f"wrote {write_json('kernel-bound', payload)}")


if __name__ == "__main__":
    main()
