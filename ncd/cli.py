"""The ``ncdvision`` command."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("ncdvision")
    except PackageNotFoundError:  # running from a source tree without an install
        return "unknown"


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from ncdvision.datasets import list_datasets

    for name, desc in list_datasets().items():
        print(f"{name:20s} {desc}")
    return 0


def cmd_datasets_info(args: argparse.Namespace) -> int:
    from ncdvision.datasets import load

    ds = load(args.dataset)
    print(f"name        {ds.name}")
    print(
        f"images      {ds.images.shape} {ds.images.dtype}  (pixel range {ds.images.min()}..{ds.images.max()})"
    )
    print(f"labels      {ds.labels.shape} {ds.labels.dtype}")
    if ds.test_mask is not None:
        print(
            f"split       {int((~ds.test_mask).sum())} train / {int(ds.test_mask.sum())} test (the dataset's own)"
        )
    print(f"classes     {len(ds.class_names)}")
    for name, count in ds.class_counts().items():
        print(f"  {name:18s} {count}")
    for key, value in ds.provenance.items():
        if key != "files":
            print(f"{key:11s} {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ncdvision", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    ds = sub.add_parser("datasets", help="list or describe datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True)
    ds_sub.add_parser("list", help="the packaged and synthetic datasets").set_defaults(
        func=cmd_datasets_list
    )
    info = ds_sub.add_parser("info", help="shape, classes, counts and provenance")
    info.add_argument("dataset", help="a dataset name or a path (ImageFolder, .npz, IDX, CIFAR)")
    info.set_defaults(func=cmd_datasets_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ncdvision.datasets import DatasetError

    try:
        return int(args.func(args) or 0)
    except (DatasetError, ValueError, MemoryError, FileNotFoundError) as exc:
        print(f"ncdvision: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
