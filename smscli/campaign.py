"""Campaign tags and recipient names: where each vendor carries them and what it allows.

A message's ``tag`` (``--tag NAME`` or a CSV ``tag`` column) is journaled for every
vendor and carried where the vendor has a place for it: BIZCLIENT ``CINFO``, Bizppurio
``userinfo``, OneShot ``UserData`` (echoed back in its reports), BizNetShot ``etc1``.
A CSV ``name`` column is the recipient's name (BIZCLIENT ``DEST_NAME``). What a vendor
cannot take is found here, before anything is journaled or sent, so the row is
``invalid`` with the reason (and ``--dry-run`` says so too).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

TAG_COLUMN = "tag"
NAME_COLUMN = "name"

# BIZCLIENT manual §3.2: CINFO "String 32, 특수기호 (₩/*?<> .) 사용불가" (₩ is the backslash
# in Korean fonts); result 9022 adds the comma.
CINFO_FORBIDDEN = frozenset("\\₩/*?<>., ")
# Where each vendor carries the tag, and its length limit in characters (None: no limit
# documented).
TAG_FIELDS: dict[str, tuple[str, int | None]] = {
    "bizclient": ("CINFO", 32),
    "bizppurio": ("userinfo", 50),
    "oneshot": ("UserData", None),
    "sandbox": ("UserData", None),
    "netshot": ("etc1", None),
}
NAME_LIMITS: dict[str, tuple[str, int]] = {"bizclient": ("DEST_NAME", 32)}
MAX_TAG = 100  # what the journal and the filters take from any vendor


def tag_problem(vendor: str, tag: str) -> str:
    """Why ``vendor`` cannot carry ``tag`` ("" when it can, or when there is no tag)."""
    if not tag:
        return ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in tag):
        return f"tag {tag!r} holds a control character"
    if len(tag) > MAX_TAG:
        return f"tag is {len(tag)} characters; at most {MAX_TAG}"
    field, limit = TAG_FIELDS.get(vendor, ("", None))
    if limit is not None and len(tag) > limit:
        return f"tag {tag!r} is {len(tag)} characters; {vendor} carries at most {limit} (its {field})"
    if vendor == "bizclient":
        bad = sorted({ch for ch in tag if ch in CINFO_FORBIDDEN})
        if bad:
            shown = " ".join("space" if ch == " " else ch for ch in bad)
            return f"tag {tag!r} has {shown}, which BIZCLIENT's CINFO does not allow (none of \\ / * ? < > . , or spaces)"
    return ""


def name_problem(vendor: str, name: str) -> str:
    """Why ``vendor`` cannot carry the recipient's ``name`` ("" when it can)."""
    field, limit = NAME_LIMITS.get(vendor, ("", 0))
    if limit and len(name) > limit:
        return f"name is {len(name)} characters; {vendor} carries at most {limit} (its {field})"
    return ""


def tag_and_name(vendor: str, values: Mapping[str, str], default_tag: str = "") -> tuple[str, str]:
    """A row's tag (its ``tag`` column, else ``default_tag``) and name (its ``name``
    column); :class:`smscli.text.InvalidInput` when ``vendor`` cannot carry them. Runs
    once per row: a tag seen before is not checked again."""
    tag = values.get(TAG_COLUMN) or default_tag
    name = values.get(NAME_COLUMN) or ""
    if not tag and not name:
        return "", ""
    tag, name = tag.strip(), name.strip()
    problem = _cached_tag_problem(vendor, tag) if tag else ""
    if not problem and name and vendor in NAME_LIMITS:
        problem = name_problem(vendor, name)
    if problem:
        from smscli.text import InvalidInput

        raise InvalidInput(problem)
    return tag, name


_cached_tag_problem = lru_cache(maxsize=4096)(tag_problem)
