import subprocess
import sys

from ncdvision.ncd.cli import main


def test_version_and_datasets_commands(capsys):
    out = subprocess.run(
        [sys.executable, "-m", "ncdvision.ncd.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("ncdvision ")
    assert main(["datasets", "list"]) == 0
    assert "mnist-5k" in capsys.readouterr().out
    assert main(["datasets", "info", "digits"]) == 0
    out = capsys.readouterr().out
    assert "(1797, 8, 8) uint8" in out and "licence" in out


def test_cli_reports_bad_input_clearly(capsys):
    assert main(["datasets", "info", "/no/such/path"]) == 2
    assert "neither a known dataset" in capsys.readouterr().err


def test_namespace_imports_do_not_pull_torch():
    code = "import sys, ncdvision.ncd, ncdvision.datasets; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_neural_command_is_registered_and_names_the_extra_without_torch():
    code = (  # a finder that refuses torch, as if the [neural] extra were missing
        "import sys\n"
        "class NoTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch': raise ImportError('no torch here')\n"
        "sys.meta_path.insert(0, NoTorch())\n"
        "from ncdvision.ncd.cli import main\n"
        "sys.exit(main(['neural', 'train', '--dataset', 'digits']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert "pip install 'ncdvision[neural]'" in out.stderr


def test_every_option_has_help_and_every_command_an_example():
    import argparse

    from ncdvision.ncd.cli import build_parser

    def leaves(parser, path=()):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield path, parser
        for action in subs:
            for name, child in action.choices.items():
                if name != "neural":  # registered by the [neural] extra's own module
                    yield from leaves(child, (*path, name))

    commands = list(leaves(build_parser()))
    assert len(commands) == 10
    for path, parser in commands:
        example = "example:\n  ncdvision " + " ".join(path).replace("filter-apply", "filter apply")
        assert parser.description and example in parser.epilog
        for action in parser._actions:
            assert action.help, f"ncdvision {' '.join(path)} {action.option_strings}: no help"
