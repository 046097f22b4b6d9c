"""The sandbox carries every type with nothing configured (issue 10: "every type works")."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args", [
    ["--type", "alimtalk", "--template", "T1", "-m", "홍길동님 주문이 접수되었습니다"],
    ["--type", "alimtalk-image", "--template", "T2", "-m", "이미지 알림톡", "--image-url", "https://e.x/a.jpg"],
    ["--type", "friendtalk", "--ad", "-m", "신상품 안내", "--image-url", "https://e.x/a.jpg", "--wide"],
    ["--type", "rcs-sms", "-m", "RCS 문자"],
    ["--type", "rcs-lms", "--title", "안내", "-m", "RCS 장문 안내입니다"],
    ["--type", "rcs-mms", "--title", "사진", "-m", "RCS 사진"],  # media is optional (a maapfile:// id)
    ["--type", "rcs-template", "--rcs-base", "BASE01", "-m", "RCS 템플릿"],
], ids=lambda a: a[1])
def test_every_kakao_and_rcs_type_is_delivered_on_the_sandbox(args) -> None:
    proc = run_cli("send", "--to", "01012345678", *args, "--wait", "5", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    (result,) = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert (result["status"], result["type"], result["vendor"]) == ("delivered", args[1], "sandbox")
    listed = run_cli("result", "list", "--json")
    (report,) = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert report["channel"] == args[1]
