"""Bizppurio (Daou Tech, HTTPS JSON API) codes.

``api``: the ``code`` of an API answer. Our spec README names 1000, 2000, 3001-3014
and 5002-5005. The Korean meanings come, row by row (see each row's note), from:

- Daou's public "비즈뿌리오 메시지 HTTP API 연동 규격 v2.7", §8 "API 응답 상태 및 결과
  코드" (github.com/bizppurio-api/api-documentation): 1000, 2000, 3000-3013, 5000,
  5001, 9000 -- the last four are not in our README but are Daou's documented codes;
- a third-party transcription of Daou's newer API documents (not Daou's own text):
  5003, 5004, 5005;
- our spec README only (no Daou text found): 3014, 5002 -- the Korean is ours.

``media``: the ``MEDIA`` field of a result (seed 004). The result tables are Daou's,
shared with BIZCLIENT (``daou_results``).
"""

from __future__ import annotations

from smscli.codes._schema import Row, Table
from smscli.codes.daou_results import RESULT_TABLES

_V27 = "Daou HTTP API v2.7 §8"
_THIRD = "third-party transcription of Daou's newer API docs, not Daou's own text"
_README = "spec/README.md only; Korean written by smscli"

API = Table("api", "API answer codes (token, send, file, result polling)",
            "Daou HTTP API v2.7 §8 and spec/README.md (see each row's note)", (
    Row("1000", "성공", "success", "accepted", False, _V27),
    Row("2000", "메시지가 유효하지 않음", "the message is not valid", "format", False, _V27),
    Row("3000", "비즈 뿌리오 계정에 접속 허용 아이피가 등록되어있지 않음",
        "no allowed IP address is registered for the account", "auth", False, _V27),
    Row("3001", "인증 토큰 발급 호출 시, Basic Authentication 정보가 유효하지 않음",
        "token request: Basic authentication credentials are not valid", "auth", False, _V27),
    Row("3002", "토큰이 유효하지 않음.", "the token is not valid (get a new token and retry once)",
        "auth", True, _V27),
    Row("3003", "아이피가 유효하지 않음", "the IP address is not valid", "auth", False, _V27),
    Row("3004", "계정이 유효하지 않음", "the account is not valid", "auth", False, _V27),
    Row("3005", "인증 정보가 유효하지 않음 (bearer)",
        "bearer credentials are not valid (get a new token and retry once)", "auth", True, _V27),
    Row("3006", "비즈뿌리오 계정이 존재하지 않음", "the Bizppurio account does not exist", "auth", False, _V27),
    Row("3007", "비즈뿌리오 계정의 암호가 유효하지 않음", "the account password is not valid", "auth", False, _V27),
    Row("3008", "비즈뿌리오에 허용된 접속 수를 초과함", "too many connections for the account", "quota", True, _V27),
    Row("3009", "비즈뿌리오 계정이 중지 상태임", "the account is suspended", "auth", False, _V27),
    Row("3010", "비즈뿌리오 계정에 등록된 접속 허용 IP와 일치하지 않음",
        "the client IP is not one of the account's allowed IPs", "auth", False, _V27),
    Row("3011", "비즈뿌리오 내에서 알 수 없는 오류가 발생됨", "unknown error inside Bizppurio", "system", True, _V27),
    Row("3012", "비즈뿌리오에 존재하지 않은 메시지 (예: 보관 주기 35일이 지난 메시지)",
        "no such message (e.g. older than the 35-day retention)", "format", False, _V27),
    Row("3013", "완료 처리 되지 않은 메시지 (예: 통신사로부터 결과 미 수신)",
        "message not finished yet (e.g. no result from the carrier yet)", "temporary", True, _V27),
    Row("3014", "인증·계정·요청 형식 오류 (정확한 설명은 확인되지 않음)",
        "authentication, account or request format error (exact meaning not documented to us)",
        "format", False, _README),
    Row("5000", "전송 결과 재 요청 실패", "result re-request failed", "system", True, _V27),
    Row("5001", "요청한 URI 리소스가 존재하지 않음", "the requested URI does not exist", "format", False, _V27),
    Row("5002", "요청 한도 초과 (HTTP 429: RateLimit-Reset 만큼 기다린 뒤 재시도)",
        "rate limit exceeded (HTTP 429): wait RateLimit-Reset seconds and retry", "quota", True, _README),
    Row("5003", "알 수 없는 오류 발생", "unknown error (HTTP 502 from the gateway): retry", "system", True, _THIRD),
    Row("5004", "너무 많은 커넥션", "too many connections: retry later", "quota", True, _THIRD),
    Row("5005", "알 수 없는 오류 발생", "unknown error (HTTP 504 gateway timeout): retry", "system", True, _THIRD),
    Row("9000", "알 수 없는 오류 발생.", "unknown error", "system", True, _V27),
))

MEDIA = Table("media", "MEDIA: the message type actually sent (in results)",
              "004_524e2390c27db49f.txt (Bizppurio 발송 결과 전달) MEDIA 유형", (
    Row("SMS", "국내 SMS 발송", "domestic SMS", "format", False),
    Row("ISM", "국제 SMS 발송", "international SMS", "format", False),
    Row("VDO", "비디오 발송", "video", "format", False),
    Row("MMS", "이미지 발송", "image (MMS)", "format", False),
    Row("LMS", "국내 LMS 발송", "domestic LMS", "format", False),
    Row("ILM", "국제 LMS 발송", "international LMS", "format", False),
    Row("FSI", "국제 FAX 발송", "international FAX", "format", False),
    Row("FSD", "국내 FAX 발송", "domestic FAX", "format", False),
    Row("VMC", "유선 PHONE 발송", "voice call to a landline", "format", False),
    Row("VMW", "무선 PHONE 발송", "voice call to a mobile", "format", False),
    Row("WAP", "WAP 발송", "WAP push", "format", False),
    Row("KAT", "알림톡 발송", "KakaoTalk AlimTalk", "format", False),
    Row("KFT", "친구톡 텍스트 발송", "KakaoTalk FriendTalk, text", "format", False),
    Row("KFP", "친구톡 이미지 발송", "KakaoTalk FriendTalk, image", "format", False),
    Row("KFW", "친구톡 와이드 이미지 발송", "KakaoTalk FriendTalk, wide image", "format", False),
    Row("RSS", "RCS SMS 발송", "RCS SMS", "format", False),
    Row("RLS", "RCS LMS 발송", "RCS LMS", "format", False),
    Row("RMS", "RCS MMS 발송", "RCS MMS", "format", False),
    Row("RTS", "RCS TEMPLATE 발송", "RCS template", "format", False),
))

TABLES = (API, *RESULT_TABLES, MEDIA)

# describe(): which table answers a bare code first.
PREFERENCE = ("api", "sms", "mms", "kakao", "common", "fax", "phone_landline", "phone_mobile",
              "sms_inbound", "media")
