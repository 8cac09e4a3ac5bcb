"""
A distance matrix, sorted by class
==================================

The NCD matrix of 200 digits under ``ctx-ref``: blocks along the diagonal are classes whose
members compress well together. Distances are clipped at 0, so the matrix can go to
scikit-learn's ``metric="precomputed"`` estimators as it is.
"""

import matplotlib.pyplot as plt
import numpy as np

from ncdvision.datasets import load
from ncdvision.ncd import pairwise

ds = load("digits").subset(n=200, seed=0)
order = np.argsort(ds.labels, kind="stable")
D = pairwise(ds.images[order])

fig, ax = plt.subplots(figsize=(5, 4.3))
im = ax.imshow(D, cmap="viridis")
ax.set_title("NCD, ctx-ref on binary planes, digits sorted by class", fontsize=9)
fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()
