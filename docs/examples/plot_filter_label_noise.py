"""
Finding wrong labels by compression
===================================

Move 10% of the digits' labels to another class, then ask the filter which labels look
wrong. Each image's 15 nearest other images under a compression distance vote on its class;
an image whose given label trails another class by more than 0.3 of the vote is flagged, and
the leading class is suggested. The first row shows the most certain flags with their given
and suggested labels.
"""

import matplotlib.pyplot as plt
import numpy as np

from ncdvision.datasets import corrupt_labels, load
from ncdvision.ncd.filter import find_issues

clean = load("digits")
noisy, changed = corrupt_labels(clean, 0.10, kind="symmetric", seed=0)
report = find_issues(noisy, issues=("label",), codec="ctx-ref-learned", serializer="thermo:3")

flagged = np.flatnonzero(report.flags["label"])
planted = np.zeros(len(noisy), bool)
planted[changed] = True
hits = planted[flagged].sum()
print(f"{len(changed)} labels moved, {len(flagged)} flagged, {hits} of them moved")
print(f"precision {hits / len(flagged):.3f}, recall {hits / len(changed):.3f}")

margin = report.table["label_margin"]
most_certain = flagged[np.argsort(margin[flagged])][:8]
fig, axes = plt.subplots(1, 8, figsize=(8, 1.6))
for ax, i in zip(axes, most_certain, strict=True):
    ax.imshow(noisy.images[i], cmap="gray_r")
    sug = report.table["suggested"][i]
    colour = "tab:red" if planted[i] else "black"
    ax.set_title(f"{noisy.labels[i]} -> {sug}", fontsize=9, color=colour)
    ax.axis("off")
fig.suptitle("given -> suggested (red: a label that was moved)", fontsize=9)
plt.show()
