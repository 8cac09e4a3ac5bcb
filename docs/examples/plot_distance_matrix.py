"""
A distance matrix, sorted by class
==================================

The NCD matrix of 200 digits under ``ctx-ref-learned`` on ``thermo:3`` planes, the setting
``auto`` picks on digits. The coder learns its prior from the other 1,597 digits, so none of
the 200 shaped the model that measures them. Blocks along the diagonal are classes whose
members code well given each other. Distances are clipped at 0, so the matrix can go to
scikit-learn's ``metric="precomputed"`` estimators as it is.
"""

import matplotlib.pyplot as plt
import numpy as np

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, pairwise

ds = load("digits")
rng = np.random.default_rng(0)
shown = rng.choice(len(ds), 200, replace=False)
rest = np.setdiff1d(np.arange(len(ds)), shown)
shown = shown[np.argsort(ds.labels[shown], kind="stable")]

comp = Compressor("ctx-ref-learned", "thermo:3").fit(ds.images[rest], ds.labels[rest])
D = pairwise(ds.images[shown], compressor=comp)

fig, ax = plt.subplots(figsize=(5.2, 4.5))
lo, hi = np.percentile(D[~np.eye(len(D), dtype=bool)], [2, 98])
im = ax.imshow(D, cmap="viridis", vmin=lo, vmax=hi)
edges = np.flatnonzero(np.diff(ds.labels[shown])) + 0.5
for e in edges:
    ax.axhline(e, color="white", lw=0.4)
    ax.axvline(e, color="white", lw=0.4)
starts = np.r_[0, edges + 0.5]
ends = np.r_[edges + 0.5, len(shown)]
ax.set_xticks((starts + ends) / 2 - 0.5, [str(c) for c in np.unique(ds.labels[shown])])
ax.set_yticks((starts + ends) / 2 - 0.5, [str(c) for c in np.unique(ds.labels[shown])])
ax.set_title("NCD, ctx-ref-learned on thermo:3 planes, 200 digits by class", fontsize=9)
fig.colorbar(im, ax=ax, shrink=0.8, label="NCD (2nd-98th percentile)")
plt.show()
