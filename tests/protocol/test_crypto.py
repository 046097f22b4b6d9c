"""Body encryption: key material, round trips, and every way a body fails to decrypt."""

from __future__ import annotations

import base64

import pytest

from smscli.protocol.oneshot import BodyCipher, OneShotError, parse_iv, parse_key_material

KEY = parse_key_material("0123456789abcdef")
IV = parse_iv("fedcba9876543210")


def test_key_material_text_and_hex() -> None:
    assert parse_key_material("0123456789abcdefXYZ") == b"0123456789abcdef"
    assert parse_key_material("hex:" + "00" * 15 + "ff") == b"\x00" * 15 + b"\xff"
    assert parse_key_material("HEX:" + "ab" * 16) == b"\xab" * 16
    assert parse_key_material("가나다라마바") == "가나다라마바".encode()[:16]
    assert parse_iv("hex:" + "11" * 16) == b"\x11" * 16


@pytest.mark.parametrize("bad", ["short", "hex:zz" + "00" * 15, "hex:" + "00" * 8, ""])
def test_bad_key_is_a_clear_error(bad: str) -> None:
    with pytest.raises(OneShotError, match="AES key"):
        parse_key_material(bad)


@pytest.mark.parametrize(
    "bad", ["0123456789abcde", "0123456789abcdef0", "hex:" + "00" * 17, "hex:xyz"]
)
def test_iv_must_be_exactly_16_bytes(bad: str) -> None:
    with pytest.raises(OneShotError, match="AES IV"):
        parse_iv(bad)


def test_secret_never_in_errors_or_repr() -> None:
    secret = "hex:" + "q1" * 16
    with pytest.raises(OneShotError) as info:
        parse_key_material(secret)
    assert "q1q1" not in str(info.value)
    assert "0123" not in repr(BodyCipher(KEY, IV))
    with pytest.raises(OneShotError):
        BodyCipher(b"short", IV)
    with pytest.raises(OneShotError):
        BodyCipher(KEY, b"short")


def test_round_trip_and_known_answer() -> None:
    cipher = BodyCipher(KEY, IV)
    body = {"BindId": "test001", "BindPwd": "test001#$$%", "Version": 1}
    text = cipher.encrypt(body)
    assert cipher.decrypt(text) == body
    raw = base64.b64decode(text)
    assert len(raw) % 16 == 0 and len(raw) == 64  # 56 bytes of JSON + 8 of padding
    # Independent check with the library's own padding: same ciphertext.
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    plain = (
        padder.update(b'{"BindId":"test001","BindPwd":"test001#$$%","Version":1}')
        + padder.finalize()
    )
    enc = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
    assert raw == enc.update(plain) + enc.finalize()
    # Line breaks in Base64 (as the document prints them) are tolerated.
    assert cipher.decrypt(text[:20] + "\n" + text[20:]) == body


def test_exact_block_gets_a_full_padding_block() -> None:
    cipher = BodyCipher(KEY, IV)
    body = {"A": "x" * 8}  # {"A":"xxxxxxxx"} is 16 bytes
    assert len(base64.b64decode(cipher.encrypt(body))) == 32
    assert cipher.decrypt(cipher.encrypt(body)) == body


def test_decrypt_failures_have_reasons() -> None:
    cipher = BodyCipher(KEY, IV)
    other = BodyCipher(parse_key_material("fedcba9876543210"), IV)
    text = cipher.encrypt({"Result": 0})
    with pytest.raises(OneShotError, match="wrong key"):
        other.decrypt(text)
    with pytest.raises(OneShotError, match="not Base64"):
        cipher.decrypt("@@@not base64@@@")
    with pytest.raises(OneShotError, match="multiple of 16"):
        cipher.decrypt(base64.b64encode(b"123").decode())
    with pytest.raises(OneShotError, match="multiple of 16"):
        cipher.decrypt("")
    with pytest.raises(OneShotError, match="must be a string"):
        cipher.decrypt({"a": 1})  # type: ignore[arg-type]
    not_json = cipher.encrypt_bytes(b"plain words")
    with pytest.raises(OneShotError, match="not JSON"):
        cipher.decrypt(not_json)
    array = cipher.encrypt_bytes(b"[1]")
    with pytest.raises(OneShotError, match="not an object"):
        cipher.decrypt(array)


@pytest.mark.parametrize(("key", "iv"), [(b"k" * 17, b"i" * 16), (b"k" * 32, b"i" * 16),
                                         (b"k" * 16, b"i" * 17), (b"k" * 15, b"i" * 16)])
def test_body_cipher_takes_exactly_16_byte_key_and_iv(key: bytes, iv: bytes) -> None:
    with pytest.raises(OneShotError, match=r"AES (key|IV) must be 16 bytes"):
        BodyCipher(key, iv)


def test_every_body_length_round_trips() -> None:
    """Each padding length 1..16 (the last byte says how many) comes off exactly."""
    cipher = BodyCipher(KEY, IV)
    for n in range(34):
        data = bytes(range(65, 65 + n % 26)) * (n // 26 + 1)
        data = data[:n]
        assert cipher.decrypt_bytes(cipher.encrypt_bytes(data)) == data


def _seal_raw(plain: bytes) -> str:
    """``plain`` (whole blocks) encrypted without adding padding: what a peer with a
    broken padder would send."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(KEY), modes.CBC(IV)).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


@pytest.mark.parametrize("tail", [b"\x01\x03\x03", b"\x05\x03\x03", b"\x03\x00\x03", b"\x00", b"\x11"])
def test_padding_bytes_that_disagree_with_the_last_are_refused(tail: bytes) -> None:
    text = _seal_raw(b"A" * (16 - len(tail)) + tail)
    with pytest.raises(OneShotError, match="bad padding"):
        BodyCipher(KEY, IV).decrypt_bytes(text)


def test_base64_with_characters_outside_the_alphabet_is_refused() -> None:
    good = BodyCipher(KEY, IV).encrypt_bytes(b"hello")
    with pytest.raises(OneShotError, match="not Base64"):
        BodyCipher(KEY, IV).decrypt_bytes(good[:4] + "*" + good[4:])
