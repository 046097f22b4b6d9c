"""`--dry-run` says what a send would make of ids given before or twice in the input (a
CSV `id` column, `--id`): the same rows as the send, valid where the send accepts."""

from __future__ import annotations

import json
from pathlib import Path

from smscli.dry_run_ids import IdCheck
from smscli.journal import Journal
from smscli.models import Message, SendResult
from tests.conftest import run_cli

ROWS = "phone,name,id\n01012345678,a,X1\n01099998888,b,X1\n01011112222,c,X2\n01011112222,c,X2\n01033334444,d,X3\n"


def statuses(*args: str) -> tuple[int, list[tuple[str, str]]]:
    done = run_cli("send", *args, "--json")
    return done.returncode, [(o["to"], o["status"]) for o in map(json.loads, done.stdout.splitlines())]


def test_the_dry_run_of_repeated_ids_says_what_the_send_does(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text(ROWS, encoding="utf-8")
    args = ("--csv", str(csv), "-m", "{name}님")
    code, dry = statuses(*args, "--dry-run")
    sent_code, sent = statuses(*args)
    assert code == sent_code == 1  # the repeated id for another recipient is invalid
    assert sorted((to, "accepted" if s == "valid" else s) for to, s in dry) == sorted(sent)
    assert dry[1] == ("01099998888", "invalid") and dry[3] == ("01011112222", "duplicate")
    csv.write_text(ROWS + "01055556666,e,X4\n", encoding="utf-8")
    code, again = statuses(*args, "--dry-run")  # a re-run: what was sent is not sent again
    assert [s for _, s in again] == ["duplicate", "invalid", "duplicate", "duplicate", "duplicate", "valid"]


def test_the_dry_run_of_an_id_already_sent(tmp_path: Path) -> None:
    assert run_cli("send", "--to", "01012345678", "-m", "hi", "--id", "k1").returncode == 0
    assert statuses("--to", "01012345678", "-m", "hi", "--id", "k1", "--dry-run") == (0, [("01012345678", "duplicate")])
    done = run_cli("send", "--to", "01012345678", "-m", "other", "--id", "k1", "--dry-run")
    assert done.returncode == 1 and b"taken by a message already accepted with another text" in done.stdout
    assert statuses("--to", "01012345678", "-m", "hi", "--dry-run") == (0, [("01012345678", "valid")])
    # --id KEY's other form (KEY plus the recipient, for several): the send's check, in the dry run
    args = ("--to", "01012345678,01099998888", "-m", "hi", "--id", "k1")
    code, dry = statuses(*args, "--dry-run")
    assert dry == [("01012345678", "duplicate"), ("01099998888", "valid")]
    assert statuses(*args) == (0, [("01012345678", "duplicate"), ("01099998888", "accepted")])


def test_maybe_sent_ids_are_held_only_where_the_vendor_cannot_tell(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "data") as journal:
        msgs = [Message(id=f"m{i}", to="01012345678", text="x", sender="15666639") for i in range(4)]
        journal.claim(msgs, "bizppurio", "p")
        journal._conn.execute("UPDATE messages SET status = CASE id WHEN 'm0' THEN 'pending' "
                              "WHEN 'm1' THEN 'rejected' WHEN 'm2' THEN 'delivered' ELSE 'unknown' END")
        chunk = [*msgs, Message(id="new", to="01012345678", text="x", sender="15666639")]
        held = IdCheck(journal, "bizppurio", "p", hold_unsure=True)
        said = [v.status if isinstance(v, SendResult) else None for v in held.verdicts(chunk)]
        held.close()
        assert said == ["unknown", None, "duplicate", "unknown", None]
        told = IdCheck(journal, "oneshot", "p", hold_unsure=False)
        assert [v and v.status for v in told.verdicts(chunk)] == [None, None, "duplicate", None, None]
        told.close()
