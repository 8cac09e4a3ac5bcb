"""
Nearest neighbors under a compression distance
===============================================

Each test digit with its three nearest training digits under ``ctx-ref`` on binary planes:
the distance a pair gets is how much cheaper one image is to code given the other.
"""

import matplotlib.pyplot as plt

from ncdvision.datasets import load
from ncdvision.ncd import kneighbors

train, test = load("digits").split(test_size=500, seed=0)
queries = test.images[:6]
dist, idx = kneighbors(queries, train.images, k=3, codec="ctx-ref")

fig, axes = plt.subplots(len(queries), 4, figsize=(4.5, 7))
for row, (q, d, i) in enumerate(zip(queries, dist, idx, strict=True)):
    axes[row, 0].imshow(q, cmap="gray")
    axes[row, 0].set_title(f"query {test.labels[row]}", fontsize=8)
    for col in range(3):
        axes[row, col + 1].imshow(train.images[i[col]], cmap="gray")
        axes[row, col + 1].set_title(f"{train.labels[i[col]]}: {d[col]:.2f}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
plt.show()
