"""The data-cleaning tools people use, run on the same images as ncdvision's filter:
cleanvision (in this environment) and imagededup (in its own, see ``bench/filter.py``)."""

from __future__ import annotations

import json
import subprocess
import tempfile

import numpy as np


def cleanvision_flags(images: np.ndarray, checks: dict) -> dict[str, np.ndarray]:
    """Run cleanvision on PNG files of ``images``; a boolean array per issue type."""
    from cleanvision import Imagelab
    from PIL import Image

    with tempfile.TemporaryDirectory() as d:
        paths = [f"{d}/{i:06d}.png" for i in range(len(images))]
        for p, im in zip(paths, images, strict=True):
            Image.fromarray(im).save(p)
        lab = Imagelab(filepaths=paths, verbose=False)
        lab.find_issues(checks, verbose=False)
        issues = lab.issues.loc[paths]
        return {k: issues[f"is_{k}_issue"].to_numpy(bool) for k in checks}


IMAGEDEDUP_SCRIPT = """
import json, sys, numpy as np
from imagededup.methods import PHash
images = np.load(sys.argv[1])["images"]
ph = PHash(verbose=False)
enc = {str(i): ph.encode_image(image_array=im) for i, im in enumerate(images)}
dups = ph.find_duplicates(encoding_map=enc)
print(json.dumps(sorted(int(k) for k, v in dups.items() if v)))
"""


def imagededup_members(images: np.ndarray, python: str | None) -> np.ndarray | None:
    if python is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        np.savez(f"{d}/x.npz", images=images)
        out = subprocess.run([python, "-c", IMAGEDEDUP_SCRIPT, f"{d}/x.npz"], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
    members = np.zeros(len(images), bool)
    members[json.loads(out.strip().splitlines()[-1])] = True
    return members
