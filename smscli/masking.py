"""Which names are secrets, and masking them wherever values are shown.

One predicate, :func:`is_secret_name`, decides by what a name *means*, not by one
spelling: case, separators (``_ - .`` and spaces) and camelCase are normalised into words
(``BindPwd`` → bind pwd, ``X-API-Key`` → x api key, ``DBPASS`` → dbpass), digits are
dropped, and the name is secret when one of its words names a secret.

Masked (the value is shown as ``MASK``):

- passwords: ``pwd``, ``pw``, ``passwd``, ``password``, ``pass``, ``passphrase``,
  ``passcode``, also run together (``bindpwd``, ``dbpass``, ``userpassword``):
  ``BindPwd``, ``bindpwd``, ``Password``, ``m_pw``, ``DBPASS``;
- PINs and one-time codes: ``pin``, ``pincode``, ``pin_no``, ``otp``;
- secrets, tokens and credentials: ``secret``, ``client_secret``, ``token``,
  ``access_token``, ``accesstoken``, ``refresh_token``, ``credentials``, ``cookie``,
  ``auth``, ``auth_code``, ``Authorization``, ``Proxy-Authorization``;
- keys: ``key`` alone and any ``...key`` that is not an id (below): ``aes_key``,
  ``PrivateKey``, ``apikey``, ``X-API-Key``, ``secret_key``, ``SenderKey`` /
  ``KakaoSenderKey`` / ``SENDER_KEY`` (Kakao's sender profile key lets one send as that
  profile), ``rcsAgencyKey``; and ``aes_iv``, which the config treats as key material.

Not masked:

- keys that are ids, named by the word before ``key`` (or the start of a run-together
  word): msg, message, server, file, ref, user, brand, template, report, request, record,
  row, group, primary, foreign, sort, partition, range, idempotency, dedup, lookup, cache,
  public and a few more (:data:`ID_QUALIFIERS`): ``MsgKey``, ``ServerMsgKey``,
  ``messagekey``, ``filekey``, ``refkey``, ``REFKEY``, ``USER_KEY``, ``kakaoUserKey``,
  ``rcsBrandKey``, ``public_key``; pagination tokens (``next_token``, ``page_token``);
- names *about* a secret rather than the secret, i.e. whose last word is one of
  :data:`ABOUT` (env, command, file, path, timeout, type, id, name, hint, length, policy,
  expires, at, count, ...): ``password_env``, ``password_command``, ``key_file``,
  ``KeyId``, ``token_type``, ``TokenExpiresAt``, ``AuthType``, ``command_timeout``;
- words that merely end like one: ``bypass``, ``compass``, ``monkey``, ``keyboard``,
  ``spin``, ``passage``, ``Version``, ``pinned``.

``None`` and ``""`` are shown as they are: they hold no secret, and an empty password
is worth seeing when debugging.

:func:`mask_tree` masks a decoded value (dicts at any depth, lists included);
:func:`mask_text` masks ``name=value``, ``name: value`` and ``"name": "value"`` pairs in
free text (a body that is a plain string, a log line) and leaves other text alone: an
encrypted Base64 body has no such pairs; :func:`mask_target` masks the query of a
request target.
"""

from __future__ import annotations

import functools
import re
from typing import Any

MASK = "********"

_PASSWORD_STEMS = ("password", "passwd", "passphrase", "passcode", "pwd", "pw", "pass")
_WHOLE_SECRETS = frozenset({
    "pin", "pincode", "pinno", "pinnum", "pinnumber", "otp", "auth", "cookie", "cookies",
    "credential", "credentials", "aesiv", "authorization",
})
_SUFFIX_SECRETS = ("secret", "secrets", "token", "tokens", "authorization")
# words that end like a password/key word but are not one
_NOT_SECRET_WORDS = frozenset({
    "bypass", "compass", "overpass", "underpass", "trespass", "surpass", "encompass",
    "monkey", "turkey", "hockey", "jockey", "donkey", "whiskey",
})
ID_QUALIFIERS = (
    "msg", "message", "server", "file", "ref", "reference", "user", "brand", "template",
    "report", "result", "request", "req", "record", "row", "group", "primary", "foreign",
    "sort", "partition", "range", "idempotency", "dedup", "dedupe", "lookup", "cache",
    "index", "unique", "order", "tran", "transaction", "batch", "public", "object", "item",
    "event", "job", "map", "routing", "shard",
)
_PAGE_TOKENS = ("page", "next", "continuation", "cursor")
ABOUT = frozenset({
    "env", "command", "cmd", "file", "path", "timeout", "type", "kind", "id", "ids", "name",
    "hint", "length", "len", "size", "policy", "expires", "expiry", "expired", "expire",
    "expiration", "at", "time", "date", "ttl", "count", "required", "enabled", "set",
    "changed", "version", "format", "source", "url", "uri", "method", "mode", "scheme",
    "status", "algorithm", "alg", "field", "label", "prompt", "reset", "rotation",
})
_WORDS = r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+"  # compiled on first use (re's cache), not at import


def words(name: str) -> list[str]:
    """``name`` as lower-case words, digits dropped: ``ServerMsgKey`` → server msg key."""
    return [w.lower() for w in re.findall(_WORDS, name) if not w.isdigit()]


def _is_id(prefix: str) -> bool:
    return prefix.endswith(ID_QUALIFIERS)


def _secret_word(word: str, before: str) -> bool:
    """Whether one normalised ``word`` (``before``: the word in front of it) names a secret."""
    if word in _NOT_SECRET_WORDS:
        return False
    if word in _WHOLE_SECRETS or (word == "iv" and before == "aes"):
        return True
    if word.endswith(_PASSWORD_STEMS):
        return True
    for stem in ("key", "keys"):
        if word.endswith(stem):
            prefix = word[: -len(stem)]
            return not _is_id(prefix or before)
    if word.endswith(("token", "tokens")):
        prefix = word[: -5 if word.endswith("token") else -6]
        return not (prefix or before).endswith(_PAGE_TOKENS)
    return word.endswith(_SUFFIX_SECRETS)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when ``name`` (a JSON key, header, form field, profile key) names a password,
    PIN, key, token or other secret; see the module docstring for what is and is not."""
    parts = words(name)
    if not parts or (len(parts) > 1 and parts[-1] in ABOUT):
        return False
    return any(_secret_word(w, parts[i - 1] if i else "") for i, w in enumerate(parts))


def mask_value(name: str, value: Any) -> Any:
    """``MASK`` for a non-empty value under a secret ``name``, else ``value``."""
    if value is None or value == "" or not is_secret_name(name):
        return value
    return MASK


def mask_tree(value: Any) -> Any:
    """``value`` with the value of every secret-named key masked, at any depth (dicts and
    lists). Returns ``value`` itself when nothing is masked; never changes it in place."""
    kind = type(value)
    if kind is dict:
        return _mask_dict(value)
    if kind is list:
        return _mask_list(value)
    return value


_shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # a dict's keys → its secret keys


def _secret_keys(keys: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(_shapes) > 1024:
        _shapes.clear()
    found = _shapes[keys] = tuple(k for k in keys if isinstance(k, str) and is_secret_name(k))
    return found


def _mask_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    keys = tuple(value)
    secret = _shapes.get(keys)
    if secret is None:
        secret = _secret_keys(keys)
    kinds = set(map(type, value.values()))
    if not secret and dict not in kinds and list not in kinds:
        return value  # the common case: a flat record with nothing to mask
    out: dict[Any, Any] | None = None
    for key in secret:
        item = value[key]
        if item is not None and item != "":
            if out is None:
                out = dict(value)
            out[key] = MASK
    if dict in kinds or list in kinds:
        for key, item in value.items():
            kind = type(item)
            if kind is dict:
                shown = _mask_dict(item)
            elif kind is list:
                shown = _mask_list(item)
            else:
                continue
            if shown is not item and key not in secret:
                if out is None:
                    out = dict(value)
                out[key] = shown
    return value if out is None else out


def _mask_list(value: list[Any]) -> list[Any]:
    out: list[Any] | None = None
    for i, item in enumerate(value):
        kind = type(item)
        if kind is dict:
            shown = _mask_dict(item)
        elif kind is list:
            shown = _mask_list(item)
        else:
            continue
        if shown is not item:
            if out is None:
                out = list(value)
            out[i] = shown
    return value if out is None else out


# name, separator, value: `BindPwd=x`, `password: x`, `"BindPwd":"x"`, `'pin' = '1'`,
# `Authorization: Bearer x` (the scheme is kept). A value never starts with `=` (Base64
# padding is not a pair).
_PAIR = (  # compiled on first use (re's cache), not at import
    r"""(?<![\w.\-])(?P<q>["']?)(?P<name>[A-Za-z_][\w.\-]*)(?P=q)(?P<sep>\s*[=:]\s*)"""
    r"""(?P<scheme>(?:Basic|Bearer|Digest|Token)\s+)?"""
    r"""(?P<value>"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\n]*'|(?!=)[^\s&;,"'}\]\[{]+)"""
)


def _pair(match: re.Match[str]) -> str:
    value = match["value"]
    if not is_secret_name(match["name"]) or value in ('""', "''"):
        return match[0]
    quote = value[0] if value[0] in "\"'" else ""
    start = match.start("value") - match.start()
    return match[0][:start] + quote + MASK + quote


def mask_text(text: str) -> str:
    """``text`` with the values of secret-named ``name=value``/``name: value`` pairs masked."""
    if "=" not in text and ":" not in text:
        return text
    return re.sub(_PAIR, _pair, text)


def mask_target(target: str) -> str:
    """A request target (``/path?query``) with secret-named query parameters masked."""
    path, sep, query = target.partition("?")
    return path + sep + mask_text(query) if sep else target
