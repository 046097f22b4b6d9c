"""Build the API reference of smscli's public modules from their docstrings (pdoc) into
build/api/, and fail on a broken reference: every :class:/:meth:/:func:/:mod:/:exc:
role in those docstrings must name something that exists.

    python scripts/build_api_docs.py [--output DIR] [--check]   # --check: no files kept
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ["smscli", "smscli.client", "smscli.aio", "smscli.content", "smscli.models",
          "smscli.errors", "smscli.testing", "smscli.pytest_plugin"]
ROLE = re.compile(r":(?:class|meth|func|mod|exc|attr):`~?([A-Za-z_][\w.]*)`")


def docstrings(module: object) -> list[tuple[str, str]]:
    """(where, docstring) of a module and everything defined in it."""
    out = [(module.__name__, inspect.getdoc(module) or "")]  # type: ignore[attr-defined]
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:  # type: ignore[attr-defined]
            continue
        out.append((f"{module.__name__}.{name}", inspect.getdoc(obj) or ""))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                target = member.fget if isinstance(member, property) else member
                if callable(target) or isinstance(member, property):
                    out.append((f"{module.__name__}.{name}.{attr}", inspect.getdoc(target) or ""))
    return out


def resolves(ref: str, where: str) -> bool:
    """``ref`` names a module or an attribute path, absolute or relative to ``where``."""
    candidates = [ref]
    parts = where.split(".")
    candidates += [".".join(parts[:i] + [ref]) for i in range(len(parts), 0, -1)]
    for name in candidates:
        bits = name.split(".")
        for cut in range(len(bits), 0, -1):
            try:
                obj = importlib.import_module(".".join(bits[:cut]))
            except ImportError:
                continue
            try:
                for attr in bits[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                break
            return True
    return False


def broken_references() -> list[str]:
    bad = []
    for modname in PUBLIC:
        module = importlib.import_module(modname)
        for where, doc in docstrings(module):
            for ref in ROLE.findall(doc):
                if not resolves(ref, where):
                    bad.append(f"{where}: {ref}")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "api")
    parser.add_argument("--check", action="store_true", help="build into a temporary dir")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    bad = broken_references()
    if bad:
        print("broken references in docstrings:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="restructuredtext", search=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pdoc warns about what it cannot render or resolve
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                pdoc.pdoc(*PUBLIC, output_directory=Path(tmp))
                count = len(list(Path(tmp).rglob("*.html")))
        else:
            pdoc.pdoc(*PUBLIC, output_directory=args.output)
            count = len(list(args.output.rglob("*.html")))
    print(f"API reference: {count} page(s)" + ("" if args.check else f" in {args.output}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
