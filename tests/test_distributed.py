"""The Dask backend gives exactly the local results, on a LocalCluster of 2 worker processes."""

import numpy as np
import pytest
from distributed import Client, LocalCluster  # the [dask] extra is part of the test install

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier, kneighbors, pairwise


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:  # fmt: skip
        yield c


@pytest.fixture(scope="module")
def data():
    train, test = load("digits").split(test_size=500, seed=0)
    return train.subset(n=200, seed=0), test.subset(n=30, seed=0)


@pytest.mark.parametrize("codec,serializer", [("zlib", "raw"), ("ctx-ref-learned", "thermo:3")])
def test_dask_kneighbors_and_pairwise_equal_local(client, data, codec, serializer):
    train, test = data
    comp = Compressor(codec, serializer).fit(train.images, train.labels)
    kw = {"compressor": comp, "block_rows": 7}
    for cand in (None, 40):
        local = kneighbors(test.images, train.images, 4, candidates=cand, **kw)
        remote = kneighbors(test.images, train.images, 4, candidates=cand, backend="dask",
                            scheduler=client, **kw)  # fmt: skip
        np.testing.assert_array_equal(local[0], remote[0])
        np.testing.assert_array_equal(local[1], remote[1])
    np.testing.assert_array_equal(
        pairwise(test.images, train.images, **kw),
        pairwise(test.images, train.images, backend="dask", scheduler=client, **kw),
    )
    X = test.images  # against itself: the upper triangle, mirrored
    comp_x = Compressor(codec, serializer).fit(X, test.labels)
    np.testing.assert_array_equal(
        pairwise(X, compressor=comp_x, block_rows=4),
        pairwise(
            X, compressor=comp_x, block_rows=4, backend="dask", scheduler=client.scheduler.address
        ),
    )


def test_classifier_on_dask_predicts_as_local(client, data):
    train, test = data
    kw = {"codec": "ctx-ref", "serializer": "binary", "k": "auto", "loo_size": 100}
    local = NCDKNNClassifier(**kw).fit(train.images, train.labels)
    remote = NCDKNNClassifier(**kw, backend="dask", scheduler=client).fit(
        train.images, train.labels
    )
    assert remote.k_ == local.k_ and remote.n_candidates_ == local.n_candidates_
    np.testing.assert_array_equal(remote.predict(test.images), local.predict(test.images))


def test_unknown_backend_is_refused(data):
    train, test = data
    with pytest.raises(ValueError, match="backend must be 'local' or 'dask'"):
        kneighbors(test.images, train.images, 1, codec="zlib", backend="spark")
