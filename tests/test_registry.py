"""One coder interface: every registered codec round-trips its config, and a codec object
works wherever a codec name does."""

import ast
from pathlib import Path

import numpy as np
import pytest

from ncdvision.ncd import (
    ByteCodec,
    Codec,
    Compressor,
    NCDKNNClassifier,
    RefContextCoder,
    available_codecs,
    compressed_lengths,
    get_codec,
    kneighbors,
    pairwise,
    register_codec,
)

ROOT = Path(__file__).resolve().parents[1]
rng = np.random.default_rng(0)
X = rng.integers(0, 256, (6, 8, 8), dtype=np.uint8)
Y = rng.integers(0, 256, (9, 8, 8), dtype=np.uint8)
y = np.arange(9) % 3


@pytest.mark.parametrize("name", available_codecs())
def test_config_round_trip_and_repr(name):
    codec = get_codec(name)
    config = codec.get_config()
    assert config["id"] == name
    clone = get_codec(config)
    assert clone == codec and clone is not codec and hash(clone) == hash(codec)
    assert repr(clone) == repr(codec) and type(codec).__name__ in repr(codec)
    assert isinstance(codec, Codec) and codec.kind in ("bytes", "image", "context")


def test_suffix_sets_the_named_parameter_and_changes_the_config():
    assert get_codec("zstd:3").get_config() == {"id": "zstd", "level": 3}
    assert get_codec("webp:2") != get_codec("webp") and get_codec("png:9") == get_codec("png")
    assert get_codec("ctx-ref-asym").get_config()["symmetric"] is False
    assert get_codec("ctx-ref-learned").name == "ctx-ref-learned"
    with pytest.raises(ValueError, match="unknown id"):
        get_codec({"id": "nosuch"})


@pytest.mark.parametrize("name", ["zlib", "png", "ctx", "ctx-ref"])
def test_a_codec_object_works_wherever_a_name_does(name):
    obj = get_codec(name)

    def results(codec):
        D = pairwise(X, Y, codec=codec)  # context coders default to the binary serializer
        dist, idx = kneighbors(X, Y, k=2, codec=codec)
        lengths = compressed_lengths(X, codec=codec)
        clf = NCDKNNClassifier(codec=codec, k=1).fit(Y, y)
        return D, dist, idx, lengths, clf.predict(X)

    for a, b in zip(results(name), results(obj), strict=True):
        np.testing.assert_array_equal(a, b)
    assert obj == get_codec(name)  # nothing fitted into the object passed in


def test_a_learned_coder_object_is_cloned_not_fitted_in_place():
    coder = get_codec("ctx-ref-learned")
    comp = Compressor(coder, "binary").fit(Y, y)
    assert comp.codec is not coder and comp.codec._priors and not coder._priors
    clf = NCDKNNClassifier(codec=RefContextCoder(learned=True, family="wide"), k=1).fit(Y, y)
    assert clf.settings()["codec"] == "ctx-ref-learned"


def test_third_party_codecs_register():
    @register_codec
    class Reverse(ByteCodec):
        """zlib on the reversed bytes: a toy third-party codec."""

        codec_id = "test-reverse-zlib"

        def __init__(self, level: int = 6):
            self.level = level

        def compress(self, data: bytes) -> bytes:
            import zlib

            return zlib.compress(data[::-1], self.level)

    assert "test-reverse-zlib" in available_codecs()
    assert get_codec({"id": "test-reverse-zlib", "level": 2}) == Reverse(2)
    assert pairwise(X, codec="test-reverse-zlib").shape == (6, 6)


def test_ncd_and_datasets_never_import_neural():
    """The layering datasets <- ncd <- neural, checked on the source: not even lazily."""
    offenders = []
    for folder in ("ncd", "datasets"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                if any("neural" in n for n in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if "ncdvision.neural" in path.read_text():
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
