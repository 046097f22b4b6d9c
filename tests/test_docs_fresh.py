"""Completions and man pages: committed copies are fresh, the generator is generic, the scripts work."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Literal

import pytest
import typer
import typer.main

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
assert _spec and _spec.loader
gen = importlib.util.module_from_spec(_spec)
sys.modules["gen_docs"] = gen
_spec.loader.exec_module(gen)


def test_committed_docs_are_fresh() -> None:
    proc = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + "\nRegenerate with: python scripts/gen_docs.py"


def test_check_lists_stale_missing_and_leftover_files(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--out", str(tmp_path)]) == 0
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    (tmp_path / "completions" / "smscli.bash").write_text("# edited by hand\n")
    (tmp_path / "man" / "smscli-code-list.1").unlink()
    (tmp_path / "man" / "smscli-gone.1").write_text(f'.\\" {gen.MARKER}\n')
    (tmp_path / "man" / "README").write_text("hand-written, not generated\n")

    assert gen.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "run: python scripts/gen_docs.py" in err
    assert "  completions/smscli.bash (out of date)\n" in err
    assert "  man/smscli-code-list.1 (missing)\n" in err
    assert "  man/smscli-gone.1 (no longer generated)\n" in err
    assert "README" not in err

    assert gen.main(["--out", str(tmp_path)]) == 0
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "man" / "smscli-gone.1").exists()
    assert (tmp_path / "man" / "README").exists()


def test_output_is_deterministic() -> None:
    first = gen.render_all(gen.build_tree(gen.load_app_command()))
    second = gen.render_all(gen.build_tree(gen.load_app_command()))
    assert first == second
    assert first["man/smscli.1"].splitlines()[1] == '.TH SMSCLI 1 "" "smscli" "User Commands"'


def _widget_app() -> typer.Typer:
    """An app with a group nobody has written yet: the generator must pick it up unaided."""
    app = typer.Typer(name="smscli", help="Test app.", rich_markup_mode=None, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]})
    widget = typer.Typer(name="widget", help="Make widgets.", rich_markup_mode=None)

    @widget.command("make", epilog="Examples:\n\n  smscli widget make a.jpg --shape round\n\n"
                                    "Exit status: 0 made, 2 bad picture.")
    def make(
        image: Annotated[Path, typer.Argument(help="The picture.")],
        shape: Annotated[Literal["round", "square"], typer.Option(help="The shape.")] = "round",
        count: Annotated[int, typer.Option("--count", "-n", help="How many.")] = 1,
        dry: Annotated[bool, typer.Option("--dry-run", help="Only show.")] = False,
    ) -> None:
        """Make a widget.

        Longer explanation.
        """

    @app.callback()
    def root() -> None:
        """Test app."""

    app.add_typer(widget)
    return app


def test_new_command_groups_are_picked_up() -> None:
    files = gen.render_all(gen.build_tree(typer.main.get_command(_widget_app())))
    assert set(files) == {"completions/smscli.bash", "completions/_smscli", "completions/smscli.fish",
                          "man/smscli.1", "man/smscli-widget.1", "man/smscli-widget-make.1"}
    bash = files["completions/smscli.bash"]
    assert '"widget|make") cmdpath="widget make"' in bash
    assert '"widget make|--shape") COMPREPLY=($(compgen -W \'round square\' -- "$cur")); return ;;' in bash
    assert '"widget make|--shape"|"widget make|-n"|"widget make|--count") skip=1 ;;' in bash
    assert 'case "$npos" in 0) compopt -o filenames' in bash
    fish = files["completions/smscli.fish"]
    assert "-l shape -x -a 'round square' -d 'The shape.'" in fish
    assert "complete -c smscli -n '__smscli_at \"widget make\" 0' -F" in fish
    assert '(0) _files ;;' in files["completions/_smscli"]
    page = files["man/smscli-widget-make.1"]
    assert ".SH SYNOPSIS\n.B smscli widget make\n[\\fIOPTIONS\\fR] \\fIIMAGE\\fR\n" in page
    assert "\\fB\\-n\\fR, \\fB\\-\\-count\\fR \\fI<int>\\fR\nHow many.  [default: 1]\n" in page
    assert ".SH EXAMPLES\n.PP\n.RS 4\n.nf\nsmscli widget make a.jpg \\-\\-shape round\n.fi\n" in page
    assert ".SH EXIT STATUS\n.PP\n0 made, 2 bad picture.\n" in page
    assert ".PP\nLonger explanation.\n" in page
    assert "\\fBsmscli widget make\\fR" in files["man/smscli-widget.1"]


def _bash_complete(script: str, line: str) -> str:
    words = line.split(" ")
    probe = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "_smscli\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True,
                          timeout=30, cwd=ROOT)
    assert proc.stderr == ""
    return " ".join(proc.stdout.split())


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("smscli cod", "code"),
        ("smscli --debug cod", "code"),
        ("smscli code l", "lookup list"),
        ("smscli code lookup --", "--vendor --json --help"),
        ("smscli code lookup --vendor bi", "bizppurio bizclient"),
        ("smscli code search 스팸 --vendor netshot --j", "--json"),
    ],
)
def test_bash_completion(line: str, expected: str) -> None:
    assert _bash_complete("completions/smscli.bash", line) == expected


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completion_of_a_generic_group(tmp_path: Path) -> None:
    files = gen.render_all(gen.build_tree(typer.main.get_command(_widget_app())))
    script = tmp_path / "smscli.bash"
    script.write_text(files["completions/smscli.bash"])
    (tmp_path / "pic.jpg").write_bytes(b"")
    assert _bash_complete(str(script), "smscli widget make --shape s") == "square"
    assert _bash_complete(str(script), "smscli widget make -n 3 --d") == "--dry-run"
    assert _bash_complete(str(script), f"smscli widget make {tmp_path}/pi") == f"{tmp_path}/pic.jpg"


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_zsh_completion() -> None:
    probe = (
        "compdef() { :; }\n"
        '_describe() { local -a a; a=("${(@P)${@[-1]}}"); print -r -- "${a[*]}"; }\n'
        "source completions/_smscli\n"
        "t() { words=(\"$@\"); CURRENT=${#words}; _smscli; }\n"
        "t smscli code ''\n"
        "t smscli code lookup --vendor ''\n"
    )
    proc = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "lookup:Show what a result or error code means. search:Find codes by meaning, in Korean or English. "
        "list:List every known code.",
        "oneshot bizppurio netshot bizclient sandbox",
    ]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish not installed")
def test_fish_completion() -> None:
    probe = ("source completions/smscli.fish; complete -C'smscli code '; "
             "complete -C'smscli code lookup --vendor n'; complete -C'smscli code list --j'")
    proc = subprocess.run(["fish", "--no-config", "-c", probe], capture_output=True, text=True, timeout=30,
                          cwd=ROOT)
    assert proc.stderr == ""
    assert [line.split("\t")[0] for line in proc.stdout.splitlines()] == [
        "list", "lookup", "search", "netshot", "--json"]


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff not installed")
def test_man_pages_render_without_warnings() -> None:
    pages = sorted((ROOT / "man").glob("*.1"))
    assert {"smscli.1", "smscli-code.1", "smscli-code-lookup.1", "smscli-code-search.1",
            "smscli-code-list.1"} <= {p.name for p in pages}
    for page in pages:
        proc = subprocess.run(["groff", "-man", "-ww", "-k", "-Tutf8", str(page)], capture_output=True,
                              timeout=30)
        assert proc.returncode == 0 and proc.stderr == b"", (page.name, proc.stderr)
        text = re.sub(".\b", "", proc.stdout.decode("utf-8"))  # drop overstrike bold
        assert "\nNAME\n" in text and "\nSYNOPSIS\n" in text and "SEE ALSO" in text


@pytest.mark.parametrize("doc", ["README.md", "docs/LIBRARY.md", "docs/TESTING.md"])
def test_a_user_facing_doc_names_only_files_in_the_repository(doc: str) -> None:
    """A user has the repository, not the files beside it (CONTRACT.md lives outside)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    named = set(re.findall(r"[\w./-]+\.md\b", text))
    missing = [n for n in named if not any((base / n).exists() for base in (ROOT, (ROOT / doc).parent))]
    assert missing == [], missing
