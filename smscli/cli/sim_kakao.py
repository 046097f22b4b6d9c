"""The ``--kakao-*`` options every simulator that carries Kakao takes (one definition)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from smscli.sim.kakao import KakaoRules

KakaoTemplates = Annotated[list[str] | None, typer.Option(
    "--kakao-template", metavar="CODE=FILE", show_default=False,
    help="An approved AlimTalk template (repeatable): FILE holds its text with #{...} "
         "placeholders, or (a *.json FILE always) JSON {\"text\": ..., \"buttons\": [...]}. "
         "None given: any template is approved.")]
KakaoSenderKey = Annotated[str | None, typer.Option(
    "--kakao-sender-key", metavar="KEY", show_default=False,
    help="The only sender (profile) key accepted (default: any).")]
KakaoMissRate = Annotated[float, typer.Option(
    "--kakao-miss-rate", min=0.0, max=1.0,
    help="Fraction of Kakao recipients who are not on Kakao (reported failed, then fallen back).")]
KakaoMisses = Annotated[list[str] | None, typer.Option(
    "--kakao-miss", metavar="NUMBER", show_default=False,
    help="A recipient who is not on Kakao (repeatable): a phone number, e.g. 010-1234-5678.")]


def kakao_key_line(rules: KakaoRules | None) -> str:
    """The profile line a simulator prints for Kakao: its sender key (``--kakao-sender-key``,
    the simulator's own, not a secret), or any key when it takes any."""
    import json  # here: `smscli sim --help` loads this module and needs no json

    key = rules.sender_key if rules is not None and rules.sender_key else "sim"
    return f"kakao_sender_key = {json.dumps(key, ensure_ascii=False)}"


def kakao_rules(templates: list[str] | None, sender_key: str | None, miss_rate: float,
                misses: list[str] | None, seed: int | None) -> KakaoRules:
    """The simulator's :class:`~smscli.sim.kakao.KakaoRules`; a bad option is a usage error."""
    from smscli.sim.kakao import KakaoRules

    try:
        return KakaoRules.from_options(templates, sender_key=sender_key, miss_rate=miss_rate,
                                       misses=misses, seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
