import sys

import numpy as np
import pytest
import torch

from ncdvision.datasets import synthetic
from ncdvision.neural import coding
from ncdvision.neural.bottleneck import Autoencoder, train_autoencoder
from ncdvision.neural.cnn import CNNClassifier
from ncdvision.neural.features import LatentKNNClassifier
from ncdvision.neural.lossless import bits_per_dim, train_pixelcnn
from ncdvision.neural.pixelcnn import GatedPixelCNN


@pytest.mark.parametrize(
    "levels, head, coords", [(2, "softmax", False), (256, "softmax", True), (256, "logistic", True)]
)
def test_range_code_round_trips_and_matches_the_likelihood(levels, head, coords):
    torch.manual_seed(0)
    model = GatedPixelCNN(levels=levels, channels=8, layers=3, head=head, coords=coords)
    images = np.random.default_rng(levels).integers(0, levels, (5, 7, 9)).astype(np.uint8)
    code = coding.encode(model, images, batch_size=3)
    np.testing.assert_array_equal(coding.decode(model, code.words), images)
    # actual size: the likelihood, +1% of it, + the 4-word header and the coder's last words
    assert code.likelihood_bits <= code.bits <= 1.01 * code.likelihood_bits + 32 * 4 + 64
    assert code.likelihood_bits == pytest.approx(
        coding.likelihood_bits(model, images).sum(), rel=1e-5
    )


@pytest.mark.parametrize("head", ["softmax", "logistic"])
def test_pixelcnn_only_looks_at_earlier_pixels(head):
    torch.manual_seed(0)
    model = GatedPixelCNN(levels=256, channels=8, layers=4, head=head, coords=True).eval()
    x = torch.randint(0, 256, (1, 9, 9))
    with torch.no_grad():
        base = model(x).flatten(2)
        for pos in (0, 10, 40, 80):
            changed = x.clone()
            changed.view(-1)[pos:] = torch.randint(0, 256, (81 - pos,))
            torch.testing.assert_close(
                model(changed).flatten(2)[..., : pos + 1], base[..., : pos + 1]
            )


def test_logistic_mixture_table_agrees_with_its_training_loss():
    torch.manual_seed(1)
    model = GatedPixelCNN(levels=256, channels=8, layers=2, head="logistic", mixtures=3).eval()
    x = torch.cat(
        [torch.zeros(1, 6, 6), torch.full((1, 6, 6), 255), torch.randint(0, 256, (2, 6, 6))]
    ).to(torch.uint8)
    with torch.no_grad():
        pmf = model.probabilities(x)
        table_bits = -torch.log2(pmf.gather(1, x.long().unsqueeze(1))).flatten(1).sum(1)
        loss_bits = model.nll_bits(x).double()
    assert pmf.shape == (4, 256, 6, 6) and torch.all(pmf > 0)
    torch.testing.assert_close(pmf.sum(1), torch.ones(4, 6, 6, dtype=torch.float64))
    # the edge levels take the tails: the table and the loss agree on them as elsewhere
    torch.testing.assert_close(table_bits, loss_bits, rtol=1e-4, atol=1e-3)


def test_logistic_head_needs_more_than_two_levels():
    with pytest.raises(ValueError, match="levels > 2"):
        GatedPixelCNN(levels=2, head="logistic")
    with pytest.raises(ValueError, match="head must be"):
        GatedPixelCNN(head="gaussian")


def test_training_lowers_the_loss_and_resumes_from_its_checkpoint(tmp_path):
    images = synthetic.shapes(n_per_class=8, size=16, seed=0).images
    kw = dict(
        levels=256, channels=8, layers=3, batch_size=16, seed=0, cache=tmp_path, progress=False
    )
    _, first = train_pixelcnn(images, epochs=1, **kw)
    model, history = train_pixelcnn(images, epochs=3, **kw)
    assert len(list(tmp_path.glob("pixelcnn-*.pt"))) == 2  # one run per setting
    assert history[-1]["loss"] < history[0]["loss"]
    # a finished run is reloaded, not retrained
    again, history2 = train_pixelcnn(images, epochs=3, **kw)
    assert history2 == history
    res = bits_per_dim(again, images[:2], verify=2)
    assert res["round_trip_exact"] and res["actual_bpd"] >= res["likelihood_bpd"]


def test_a_checkpoint_that_is_not_ours_is_recomputed(tmp_path):
    from ncdvision.neural.train import fit

    images = torch.from_numpy(synthetic.shapes(n_per_class=4, size=16, seed=0).images).float()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(256, 1))
    bad = tmp_path / "run.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="run.pt: not a checkpoint of this model"):
        history = fit(model, lambda m, t: m(t[0]).pow(2).mean(), (images,), epochs=2,
                      checkpoint=bad, progress=False)  # fmt: skip
    assert [h["epoch"] for h in history] == [1, 2]
    assert torch.load(bad, weights_only=True)["epoch"] == 2


def test_entropy_bottleneck_codes_the_latents_it_models(tmp_path):
    images = synthetic.shapes(n_per_class=6, size=16, seed=0).images
    model, history = train_autoencoder(images, latent_channels=4, hidden=16, epochs=3,
                                       batch_size=16, cache=tmp_path, progress=False)  # fmt: skip
    assert history[-1]["loss"] < history[0]["loss"]
    code = model.compress(images)
    recon, q = model.decompress(code)
    with torch.no_grad():
        expected = torch.round(model.analysis(torch.from_numpy(images))).numpy()
        bits = model(torch.from_numpy(images))["bits"].sum().item()
    radius = model.bottleneck._table[0]
    np.testing.assert_array_equal(q, np.clip(expected, -radius, radius))
    assert recon.shape == images.shape and recon.dtype == np.uint8
    assert bits <= code.bits <= 1.01 * bits + 64 + 128  # + the 4 header words
    with pytest.raises(RuntimeError, match="call update"):
        Autoencoder(latent_channels=4, hidden=16).compress(images)


def test_probability_table_is_a_distribution():
    bottleneck = Autoencoder(latent_channels=3).bottleneck
    pmf = bottleneck.pmf_table(64)
    assert pmf.shape == (3, 129) and np.all(pmf > 0) and np.all(pmf.sum(axis=1) <= 1 + 1e-6)
    # an untrained density is wide: its mass over the integers tends to 1 as the support grows
    np.testing.assert_allclose(bottleneck.pmf_table(1024).sum(axis=1), 1, atol=1e-3)


def test_latent_knn_and_cnn_learn_digits(tmp_path):
    from ncdvision.datasets import load

    tr, te = load("digits").subset(n=600, seed=0).split(test_size=0.25, seed=0)
    knn = LatentKNNClassifier(epochs=3, cache=tmp_path).fit(tr.images, tr.labels)
    assert knn.k_ in (1, 3, 5, 7) and knn.score(te.images, te.labels) > 0.7  # chance 0.1
    cnn = CNNClassifier(epochs=10, cache=tmp_path).fit(tr.images, tr.labels)
    assert cnn.score(te.images, te.labels) > 0.7
    assert cnn.predict_proba(te.images).shape == (len(te), 10)


def test_missing_extra_gives_the_install_command(monkeypatch, capsys):
    from ncdvision.ncd.cli import main

    monkeypatch.setitem(sys.modules, "constriction", None)
    assert main(["neural", "bpd", "--dataset", "digits"]) == 2
    assert "pip install 'ncdvision[neural]'" in capsys.readouterr().err


def test_pixelcnn_predictor_finds_structure_and_is_found_by_name(tmp_path, monkeypatch):
    from ncdvision.ncd.study.predictors import predictors

    monkeypatch.setenv("NCDVISION_CACHE", str(tmp_path))
    bpp = predictors(["pixelcnn"], builtin=())["pixelcnn bpp"]
    shapes = synthetic.shapes(n_per_class=16, size=12, seed=0)
    noise = synthetic.noise(n=128, size=12, seed=0)
    assert bpp(shapes.images, shapes.labels, None) < 0.6 * bpp(
        noise.images, None, None
    )  # 3.9 / 8.0
    # uniform noise modelled by other noise: about 8 bits
    assert 7.5 < bpp(noise.images[64:], None, noise.subset(np.arange(64))) < 8.5
    with pytest.raises(ValueError, match="unknown predictor 'jpeg2000'; known: .*pixelcnn"):
        predictors(["jpeg2000"])
