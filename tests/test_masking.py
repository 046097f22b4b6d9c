"""smscli.masking: secrets by meaning (not by one spelling), and where they are masked."""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path

import pytest

from smscli import config_keys
from smscli.masking import MASK, is_secret_name, mask_target, mask_text, mask_tree, words
from smscli.protocol.oneshot import BodyCipher, encode_frame
from tests.conftest import run_cli

MASKED = [
    # passwords, any case and separator, run together or camelCase
    "BindPwd", "bindpwd", "BINDPWD", "bind_pwd", "bind-pwd", "Bind.Pwd", "Password", "password",
    "PASSWORD", "passwd", "db_passwd", "DBPASS", "pass", "m_pw", "userPassword", "passphrase",
    "password_hash", "Header.BindPwd",
    # PINs and one-time codes
    "pin", "PIN", "pinCode", "pin_no", "otp",
    # secrets, tokens, credentials
    "secret", "client_secret", "token", "access_token", "accesstoken", "accessToken",
    "refresh_token", "api_token", "credentials", "Cookie", "Set-Cookie", "auth", "auth_code",
    "Authorization", "authorization", "Proxy-Authorization",
    # keys that are key material
    "key", "Key", "aes_key", "AES_KEY", "aesKey", "PrivateKey", "privatekey", "apikey", "api_key",
    "X-API-Key", "XAPIKey", "secret_key", "SessionKey", "SenderKey", "KakaoSenderKey",
    "SENDER_KEY", "senderkey", "sender_key", "rcsAgencyKey", "aes_iv", "AesIv", "key2",
]
NOT_MASKED = [
    # keys that are ids
    "MsgKey", "ServerMsgKey", "servermsgkey", "messagekey", "message_key", "filekey", "FileKey",
    "refkey", "REFKEY", "USER_KEY", "userkey", "kakaoUserKey", "rcsBrandKey", "TemplateKey",
    "public_key", "idempotency_key", "partition-key",
    # pagination tokens
    "next_token", "pageToken",
    # names about a secret, not the secret
    "password_env", "password_command", "aes_key_env", "key_file", "KeyId", "key_id",
    "token_type", "TokenExpiresAt", "AuthType", "command_timeout", "password_policy",
    # words that only end like one, and ordinary fields
    "bypass", "compass", "monkey", "keyboard", "spin", "passage", "pinned", "author",
    "tokenizer", "secretary", "Version", "BindId", "UserMsgId", "ServerMsgId", "PhoneNo",
    "Message", "ResellerCode", "KakaoTemplateCode", "database_url", "host", "account", "",
]


@pytest.mark.parametrize("name", MASKED)
def test_masked_names(name):
    assert is_secret_name(name), words(name)


@pytest.mark.parametrize("name", NOT_MASKED)
def test_names_left_alone(name):
    assert not is_secret_name(name), words(name)


def test_words_normalise_case_separators_and_camel_case():
    assert words("ServerMsgKey") == ["server", "msg", "key"]
    assert words("X-API-Key") == words("x_api.key") == ["x", "api", "key"]
    assert words("BindPWD") == ["bind", "pwd"]
    assert words("aes128Key") == ["aes", "key"]


def test_mask_tree_any_depth_lists_included_and_copies():
    value = {"Header": {"Method": "BindReq", "BindPwd": "h"},
             "Body": {"list": [{"Password": "p", "n": {"bindpwd": "q", "ok": 1}}, "Token"],
                      "credentials": {"user": "u", "pw": "x"}, "PrivateKey": "", "pin": None,
                      "ServerMsgKey": "id-1"}}
    original = json.loads(json.dumps(value))
    shown = mask_tree(value)
    assert shown == {"Header": {"Method": "BindReq", "BindPwd": MASK},
                     "Body": {"list": [{"Password": MASK, "n": {"bindpwd": MASK, "ok": 1}}, "Token"],
                              "credentials": MASK, "PrivateKey": "", "pin": None,
                              "ServerMsgKey": "id-1"}}
    assert value == original  # not changed in place
    plain = {"a": [1, {"b": "c"}]}
    assert mask_tree(plain) is plain  # nothing to mask: the same object


def test_mask_text_pairs_and_leaves_other_text_alone():
    assert mask_text("BindId=me&BindPwd=s3cret&Version=1") == f"BindId=me&BindPwd={MASK}&Version=1"
    assert mask_text('{"BindId":"me","BindPwd":"s3 cret"}') == f'{{"BindId":"me","BindPwd":"{MASK}"}}'
    assert mask_text("password: hunter2\npin = 1234") == f"password: {MASK}\npin = {MASK}"
    assert mask_text("Authorization: Bearer abc.def") == f"Authorization: Bearer {MASK}"
    assert mask_text("refkey=r1 messagekey: m1") == "refkey=r1 messagekey: m1"
    cipher = "qK7W+/pwd0aBcDeF/key/Zm9vYmFy=="  # Base64: no pairs in it, padding is not a value
    assert mask_text(cipher) == cipher
    assert mask_text("http://host:80/x") == "http://host:80/x"


def test_mask_target_masks_query_parameters():
    assert mask_target("/corp/send_message.php?m_id=a&m_pw=b") == f"/corp/send_message.php?m_id=a&m_pw={MASK}"
    assert mask_target("/plain/path") == "/plain/path"


def test_config_uses_the_same_predicate():
    for name in ("bindpwd", "access_token", "pin", "PrivateKey"):
        assert config_keys.is_secret_key(name) and config_keys.mask(name, "v") == MASK
    for name in ("refkey", "password_env", "KeyId"):
        assert not config_keys.is_secret_key(name)
    assert config_keys.is_secret_key("pasword")  # a typo of a config secret is still masked there


# --------------------------------------------------------------------------- packet decode
KEY, IV = "0123456789abcdef", "fedcba9876543210"
KEYS = ["--key", KEY, "--iv", IV]
CIPHER = BodyCipher(KEY.encode(), IV.encode())


def raw_frame(obj: dict) -> bytes:
    """A frame with any header (encode_frame makes only Header.Method)."""
    payload = zlib.compress(json.dumps(obj, separators=(",", ":")).encode(), 9)
    return b"Content-Length:%d\r\n" % len(payload) + payload


SECRETS = ("pw-lower", "pw-cap", "pw-nested", "pw-header", "pw-text", "tok-1", "pin-9", "key-material")


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    wire = (
        encode_frame("BindReq", CIPHER.encrypt({"BindId": "a", "bindpwd": "pw-lower", "Version": 1}))
        + encode_frame("MsgSendReq", {"UserMsgId": "1", "Password": "pw-cap", "ServerMsgKey": "id-7",
                                      "Extra": [{"deep": {"BindPwd": "pw-nested"}}, {"pin": "pin-9"}]})
        + raw_frame({"Header": {"Method": "AliveReq", "BindPwd": "pw-header", "access_token": "tok-1"},
                     "Body": {"refkey": "r-1"}})
        + encode_frame("ReportReq", "BindId=a&BindPwd=pw-text&Version=1")
        + encode_frame("PrivateKeyRes", {"Result": 0, "PrivateKey": "key-material"})
    )
    path = tmp_path / "dump.bin"
    path.write_bytes(wire)
    return path


def test_packet_decode_json_masks_every_spelling_at_any_depth(dump: Path):
    proc = run_cli("packet", "decode", str(dump), "--json", *KEYS)
    assert proc.returncode == 1, proc.stderr.decode()  # the text body does not decrypt
    text = proc.stdout.decode()
    for secret in SECRETS:
        assert secret not in text
    recs = [json.loads(line) for line in text.splitlines()]
    assert recs[0]["body"] == {"BindId": "a", "bindpwd": MASK, "Version": 1}
    assert recs[1]["body"]["Password"] == MASK and recs[1]["body"]["ServerMsgKey"] == "id-7"
    assert recs[1]["body"]["Extra"] == [{"deep": {"BindPwd": MASK}}, {"pin": MASK}]
    assert recs[2]["header"] == {"Method": "AliveReq", "BindPwd": MASK, "access_token": MASK}
    assert recs[2]["body"] == {"refkey": "r-1"}
    assert recs[3]["body"] == f"BindId=a&BindPwd={MASK}&Version=1"
    assert recs[3]["error"].startswith("the body does not decrypt")
    assert recs[4]["body"] == {"Result": 0, "PrivateKey": MASK}


def test_packet_decode_human_masks_and_shows_extra_header_keys(dump: Path):
    proc = run_cli("packet", "decode", str(dump), *KEYS)
    assert proc.returncode == 1, proc.stderr.decode()
    text = proc.stdout.decode()
    for secret in SECRETS:
        assert secret not in text
    assert f'header: {{"BindPwd": "{MASK}", "access_token": "{MASK}"}}' in text
    assert '"ServerMsgKey": "id-7"' in text and f"BindPwd={MASK}" in text


def test_packet_decode_show_secrets_shows_them_all(dump: Path):
    for args in (["--json"], []):
        text = run_cli("packet", "decode", str(dump), "--show-secrets", *KEYS, *args).stdout.decode()
        for secret in SECRETS:
            assert secret in text


def test_packet_decode_keeps_encrypted_text_without_a_key(tmp_path: Path):
    body = CIPHER.encrypt({"BindId": "a", "BindPwd": "pw", "Version": 1})
    path = tmp_path / "bind.bin"
    path.write_bytes(encode_frame("BindReq", body))
    (rec,) = [json.loads(line) for line in run_cli("packet", "decode", str(path), "--json",
                                                     "--config", str(tmp_path / "none.toml")).stdout.splitlines()]
    assert rec["body"] == body and rec["encrypted"] is True


def test_oneshot_sim_log_masks_secrets_in_acknowledgements():
    from smscli.sim.oneshot import OneShotSimulator
    from tests.sim_oneshot_raw import RawClient

    lines: list[str] = []
    sim = OneShotSimulator(report_delay=0.05, log=lines.append)
    sim.start_in_thread()
    try:
        with RawClient(sim.address) as c:
            c.bind()
            c.send("SpamRes", {"Result": 0, "DenyNo": "0801234567", "access_token": "tok-in-ack"})
            deadline = time.monotonic() + 5
            while not any("SpamRes" in line for line in lines) and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        sim.close()
    (line,) = [line for line in lines if "SpamRes" in line]
    assert "tok-in-ack" not in line and MASK in line and "0801234567" in line
