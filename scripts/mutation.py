"""Mutation testing of smscli's core with cosmic-ray (slow: not part of .ci/run).

    .venv/bin/python scripts/mutation.py                 # every target below
    .venv/bin/python scripts/mutation.py pacing phone    # some of them
    .venv/bin/python scripts/mutation.py -j 2 --out mutation-report pacing phone

Each target is one module (optionally only some of its functions) and the test files
that guard it. For each, the tracked files are copied to a temporary directory (the
work tree is never mutated), cosmic-ray makes every mutant of the module and runs the
target's tests against each (``pytest -x``: the first failure kills it), and
``OUT/<target>.txt`` gets the score and the diff of every surviving mutant;
``OUT/summary.txt`` has a line per target. The session (``OUT/<target>.sqlite``) is
kept: run the script again and it goes on with the mutants not yet tried, and tries the
survivors of earlier runs again (new tests may kill them), as well as those whose test
run failed to start. Delete the file to start
over, e.g. after changing the module. Needs ``pip install cosmic-ray`` (the
``mutation`` extra). A mutant whose tests time out counts as killed (an endless loop is
caught), as does one that makes the module fail to import ("incompetent").

Operators left out, everywhere: replacing an operator by a bitwise, shift, power,
floor-division or modulo operator, and ``==`` by ``is`` (they multiply the count with
mutants that are killed exactly when the plain arithmetic one is, or are equivalent on
small ints and interned strings), and any mutant inside a type annotation (every module
has ``from __future__ import annotations``: annotations are never evaluated).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    module: str  # path inside the repository
    tests: tuple[str, ...]  # pytest arguments (files, -k ...)
    functions: tuple[str, ...] = ()  # only these top-level functions / methods (empty: all)
    postgres: bool = False  # its tests need SMSCLI_TEST_PG_URL (else half of them skip)


ONESHOT_ANSWER_TESTS = (
    "tests/test_oneshot_answers.py", "tests/test_oneshot_client.py", "-k", "not no_burst and (answer "
    "or accepted or too_fast or duplicate or rejections or 901 or report or spam or confirm or lms_goes "
    "or keeps_no_ids or waited or delivery_time or result_0)")

BIZPPURIO_TESTS = (
    "tests/test_bizppurio_vendor.py", "-k", "parse_report or rejections or 429 or 5xx or slower or "
    "local_checks or send_accepts or reservation_inside or errors_in_200 or with_wait or mms or "
    "refuses or without_a_code")

FRAMES_TESTS = ("tests/protocol/test_frames.py", "tests/protocol/test_frames_bounds.py")

TARGETS: dict[str, Target] = {
    "pacing": Target("smscli/protocol/oneshot/pacing.py", ("tests/protocol/test_pacing.py",)),
    "phone": Target("smscli/phone.py", ("tests/test_phone.py",)),
    "text": Target("smscli/text.py", ("tests/test_text.py",)),
    # Bizppurio's answers: one target (vendors/bizppurio.py) until the module was split.
    "bizppurio-answers": Target("smscli/vendors/bizppurio.py", BIZPPURIO_TESTS, ("_send_one",)),
    "bizppurio-reports": Target("smscli/vendors/bizppurio_reports.py", BIZPPURIO_TESTS, ("kst_iso", "parse_report")),
    "bizppurio-requests": Target("smscli/vendors/bizppurio_session.py", BIZPPURIO_TESTS,
                                 ("result_code", "retryable")),
    # The other vendors' answer-to-status mapping: a send answer to accepted / scheduled /
    # duplicate / rejected / unknown (or a retry), a report to delivered / failed.
    "netshot-answers": Target(
        "smscli/vendors/netshot.py",
        ("tests/test_netshot_vendor.py", "tests/test_netshot_answers.py"),
        ("parse_answer", "_answered", "_lost", "_meaning", "_report"),
    ),
    "netshot-reports": Target(  # the BizNetShot GET callback (it lives in the listener)
        "smscli/listen.py",
        ("tests/test_listen.py", "-k", "netshot or bad_pushes"),
        ("netshot_report", "_kst_iso"),
    ),
    # OneShot's answers (in the per-send Batch) and reports and code meanings (helpers in
    # oneshot_settings): one target until vendors/oneshot.py was split, the same tests.
    "oneshot-answers": Target(
        "smscli/vendors/oneshot_batch.py", ONESHOT_ANSWER_TESTS, ("_result", "_on_answer")
    ),
    "oneshot-reports": Target(
        "smscli/vendors/oneshot_settings.py", ONESHOT_ANSWER_TESTS, ("describe", "report_from")
    ),
    "bizclient-answers": Target(  # SQLite only (its MariaDB cases skip without SMSCLI_TEST_MYSQL_URL)
        "smscli/vendors/bizclient_results.py",
        ("tests/bizclient/test_results.py", "tests/bizclient/test_result_codes.py"),
    ),
    # The OneShot codec: one target until frames.py was split, the same tests for each part.
    "frames": Target("smscli/protocol/oneshot/frames.py", FRAMES_TESTS),  # encoding
    "frames-types": Target("smscli/protocol/oneshot/frames_types.py", FRAMES_TESTS),
    "frames-inflate": Target("smscli/protocol/oneshot/frames_inflate.py", FRAMES_TESTS),
    "frames-json": Target("smscli/protocol/oneshot/frames_json.py", FRAMES_TESTS),
    "frames-decoder": Target("smscli/protocol/oneshot/frames_decoder.py", FRAMES_TESTS),
    "crypto": Target("smscli/protocol/oneshot/crypto.py", ("tests/protocol/test_crypto.py",)),
    "messages": Target("smscli/protocol/oneshot/messages.py", ("tests/protocol/test_messages.py",
                                                              "tests/protocol/test_fast_paths.py")),
    "message-plan": Target("smscli/protocol/oneshot/message_plan.py", ("tests/protocol/test_messages.py",
                                                                          "tests/protocol/test_fast_paths.py")),
    "connection": Target("smscli/protocol/oneshot/connection.py", ("tests/protocol/test_connection.py",)),
    "recipients": Target(
        "smscli/recipients.py", ("tests/test_recipients.py", "tests/test_recipients_blocks.py")
    ),
    "http-retries": Target(
        "smscli/transports/http.py",
        ("tests/test_http.py",),
        ("server_wait", "_jittered", "RetryPolicy", "_Tries"),
    ),
    # The journal's claim / record / reclaim decisions (the SQL text itself is not mutated:
    # cosmic-ray has no string operators). The tests run on SQLite and, with
    # SMSCLI_TEST_PG_URL set (scripts/postgres-test-server.sh), on PostgreSQL too.
    "journal": Target(
        "smscli/journal.py",
        ("tests/test_journal.py", "tests/test_journal_claims.py", "tests/test_journal_pg.py"),
        ("claim", "schedule", "_claim", "_record_rows", "_insert_claims", "_lookup", "mark_handed",
         "record", "_adopt_early_reports"),
        postgres=True,
    ),
    "journal-owners": Target(
        "smscli/journal_owners.py",
        ("tests/test_journal_owners.py", "tests/test_journal.py", "tests/test_journal_claims.py",
         "tests/test_journal_pg.py", "tests/test_reserve_takeover.py"),
        ("_register_owner", "_renew_lease", "_alive_owners", "release"),
        postgres=True,
    ),
    "journal-pg": Target(
        "smscli/journal_pg.py",
        ("tests/test_journal_pg.py", "tests/test_journal.py", "tests/test_journal_claims.py"),
        ("_reconnect", "_register_owner", "_hold_owner_lock", "_alive_owners", "_insert_claims",
         "_record_rows", "claim_scheduled"),
        postgres=True,
    ),
}

EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_\w+_(BitOr|BitAnd|BitXor|LShift|RShift|Pow|FloorDiv|Mod)$",
    r"core/ReplaceComparisonOperator_\w+_(Is|IsNot)$",
]


def function_lines(source: str, names: tuple[str, ...]) -> list[str]:
    """``"start-end"`` line ranges of the named functions, methods and classes."""
    wanted = set(names)
    ranges = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in wanted:
            ranges.append(f"{node.lineno}-{node.end_lineno}")
            wanted.discard(node.name)
    if wanted:
        raise SystemExit(f"mutation: no function {', '.join(sorted(wanted))} in the module")
    return ranges


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) (line, column) of every annotation in ``source``."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        found: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node.returns)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            found.append(node.annotation)
        for ann in filter(None, found):
            spans.append(((ann.lineno, ann.col_offset), (ann.end_lineno or ann.lineno, ann.end_col_offset or 0)))
    return spans


def skip_annotations(session: Path, source: str) -> None:
    """Mark the mutants that lie inside an annotation as skipped (tried ones too)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans = annotation_spans(source)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.work_items):
            m = item.mutations[0]
            if any(a <= tuple(m.start_pos) and tuple(m.end_pos) <= b for a, b in spans):
                db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="annotation"))


def to_retry(session: Path) -> list[object]:
    """The work items of ``session`` whose mutant survived, or whose worker failed (the
    test command could not run: not the mutant's doing)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    with use_db(str(session), WorkDB.Mode.open) as db:
        return [item for item, result in db.completed_work_items
                if result.test_outcome == TestOutcome.SURVIVED or result.worker_outcome == WorkerOutcome.EXCEPTION]


def retry(session: Path, items: list[object], command: str, work: Path, env: dict[str, str], timeout: float) -> None:
    """Test each of ``items`` again (``cosmic-ray mutate-and-test``) and store the outcome.

    ``mutate-and-test`` has no timeout of its own, so the test command runs under
    ``timeout``: a mutant that loops ends as a failed test run (killed, as in ``exec``)
    and cosmic-ray restores the module. Killing cosmic-ray itself instead would leave the
    copied module mutated for every later item (and the tests running)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkResult

    tool = str(Path(sys.executable).parent / "cosmic-ray")
    bounded = shlex.join(["timeout", "-k", "5", f"{timeout:.0f}"]) + " " + command
    for item in items:
        m = item.mutations[0]  # type: ignore[attr-defined]
        try:
            done = subprocess.run([tool, "mutate-and-test", str(m.module_path), m.operator_name, str(m.occurrence),
                                   bounded], cwd=work, env=env, capture_output=True, text=True, timeout=timeout + 60)
            result = WorkResult(**json.loads(done.stdout.strip().splitlines()[-1]))
        except subprocess.TimeoutExpired:  # cosmic-ray itself hung: put the module back
            shutil.copy2(ROOT / str(m.module_path), work / str(m.module_path))
            continue  # left as it was (a survivor): the next run tries it again
        with use_db(str(session), WorkDB.Mode.open) as db:
            db.set_result(item.job_id, result)  # type: ignore[attr-defined]


def test_command(target: Target) -> str:
    return shlex.join([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *target.tests])


def copy_tree(dest: Path) -> None:
    """The work tree's files that git does not ignore, as they are (uncommitted edits too)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, names.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def config_text(target: Target, timeout: float) -> str:
    command = test_command(target)
    lines = [
        "[cosmic-ray]",
        f"module-path = {json.dumps(target.module)}",
        f"timeout = {timeout}",
        "excluded-modules = []",
        f"test-command = {json.dumps(command)}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
        "",
        "[cosmic-ray.filters.operators-filter]",
        f"exclude-operators = {json.dumps(EXCLUDED_OPERATORS)}",
    ]
    if target.functions:
        ranges = function_lines((ROOT / target.module).read_text(encoding="utf-8"), target.functions)
        lines += ["", "[cosmic-ray.filters.line-filter.lines]", f"{json.dumps(target.module)} = {json.dumps(ranges)}"]
    return "\n".join(lines) + "\n"


def run_target(name: str, out: Path) -> str:
    target = TARGETS[name]
    if target.postgres and not os.environ.get("SMSCLI_TEST_PG_URL"):
        return (f"{name}: not run: its PostgreSQL cases would skip; start a server first: "
                'export SMSCLI_TEST_PG_URL="$(scripts/postgres-test-server.sh)"')
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"smscli-mutation-{name}-") as tmp:
        work = Path(tmp)
        copy_tree(work)
        env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}

        def cr(*args: str) -> None:
            subprocess.run(args, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)

        # A timeout of 4x the unmutated run (at least 20 s) tells an endless loop from load.
        t0 = time.monotonic()
        base = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *target.tests],
                              cwd=work, env=env, capture_output=True, text=True)
        if base.returncode != 0:
            return f"{name}: not run: the unmutated tests fail:\n{(base.stdout + base.stderr)[-2000:]}"
        timeout = max(20.0, 4 * (time.monotonic() - t0))
        (work / "cr.toml").write_text(config_text(target, timeout))
        bindir = Path(sys.executable).parent
        out.mkdir(parents=True, exist_ok=True)
        session = (out / f"{name}.sqlite").resolve()
        if not session.exists():
            cr(str(bindir / "cosmic-ray"), "init", "cr.toml", str(session))
            cr(str(bindir / "cr-filter-operators"), str(session), "cr.toml")
            if target.functions:
                cr(str(bindir / "cr-filter-lines"), "--config", "cr.toml", str(session))
        skip_annotations(session, (ROOT / target.module).read_text(encoding="utf-8"))
        earlier = to_retry(session)
        cr(str(bindir / "cosmic-ray"), "exec", "cr.toml", str(session))
        retry(session, earlier, test_command(target), work, env, timeout)
        dump = subprocess.run([str(bindir / "cosmic-ray"), "dump", str(session)], cwd=work, env=env,
                              check=True, capture_output=True, text=True).stdout
    return write_report(name, target, dump, out, time.monotonic() - started)


def write_report(name: str, target: Target, dump: str, out: Path, seconds: float) -> str:
    killed = survived = skipped = untried = 0
    survivors: list[str] = []
    for line in dump.splitlines():
        item, result = json.loads(line)
        if result is None:  # not tried yet (a run that was stopped)
            untried += 1
            continue
        outcome = result.get("test_outcome")
        if result.get("worker_outcome") == "skipped":  # an excluded operator, outside the functions
            skipped += 1
        elif result.get("worker_outcome") in ("exception", "no-test"):  # the test run did not start
            untried += 1
        elif outcome == "survived":
            survived += 1
            mutation = item["mutations"][0]
            where = f"line {mutation['start_pos'][0]}: {mutation['operator_name']} #{mutation['occurrence']}"
            survivors.append(f"--- {where}\n{result.get('diff', '')}")
        else:  # killed, incompetent (does not import), or timed out (an endless loop)
            killed += 1
    total = killed + survived
    score = 100.0 * killed / total if total else 100.0
    where = target.module + (f" ({', '.join(target.functions)})" if target.functions else "")
    summary = f"{name}: {where}: {killed}/{total} killed ({score:.1f}%), {survived} survived, {seconds:.0f} s"
    if untried:
        summary += f"; {untried} not tried yet (run it again)"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.txt").write_text(summary + "\n\n" + "\n".join(survivors), encoding="utf-8")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"default: all of {', '.join(TARGETS)}")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="targets run at once (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "mutation-report", help="report directory")
    args = parser.parse_args()
    if shutil.which("cosmic-ray", path=str(Path(sys.executable).parent)) is None:
        print("mutation: cosmic-ray is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    names = args.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"no target {', '.join(unknown)} (there are: {', '.join(TARGETS)})")
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for summary in pool.map(lambda n: run_target(n, args.out), names):
            print(summary, flush=True)
            with (args.out / "summary.txt").open("a", encoding="utf-8") as f:
                f.write(summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
