"""BIZCLIENT (Daou Tech database table agent) codes.

``CALL_STATUS`` carries Daou's result codes (``daou_results``, shared with Bizppurio);
``MSG_TYPE`` and ``STATUS`` are the BIZ_MSG columns described in the manual.
"""

from __future__ import annotations

from smscli.codes._schema import Row, Table
from smscli.codes.daou_results import RESULT_TABLES

_DOC = "002_a10d7c8fc1cb6f0e.txt (BIZCLIENT 사용자 매뉴얼 v1.3)"

MSG_TYPE = Table("msg_type", "MSG_TYPE column of BIZ_MSG",
                 f"{_DOC} §3.2 MSG_TYPE (SMS 0/FAX 2/PHONE 3 /MMS 5/AT 6/FT 7)", (
    Row("0", "SMS", "SMS (text up to 90 bytes)", "format", False),
    Row("2", "FAX", "FAX", "format", False),
    Row("3", "PHONE", "PHONE (voice call, TTS or WAVE)", "format", False),
    Row("5", "MMS", "LMS/MMS (text up to 2000 bytes, optional attachments)", "format", False,
        "§5.4.3 sends both LMS and MMS with 5"),
    Row("6", "AT (알림톡)", "KakaoTalk AlimTalk", "format", False),
    Row("7", "FT (친구톡)", "KakaoTalk FriendTalk", "format", False),
))

# §3.2 says "대기 0/발송중 1/발송완료 2/에러 3"; §5.2 gives the state machine
# 0 -> 7 -> 1 -> 2 (and 11). The Korean follows §5.2 where it has the code.
STATUS = Table("status", "STATUS column of BIZ_MSG (how a row progresses)",
               f"{_DOC} §5.2 발송상태변화 (STATUS) and §3.2", (
    Row("0", "발송대기", "waiting to be sent", "accepted", False, "§3.2: 대기"),
    Row("7", "발송 중", "being sent", "accepted", False, "§5.2 only"),
    Row("1", "발송 후 대기", "sent, waiting for the result (§3.2 calls it 'sending')", "accepted", False,
        "§3.2: 발송중"),
    Row("2", "발송결과업데이트 (로그테이블 이동 대상)",
        "result written to CALL_STATUS; the row moves to BIZ_LOG_YYYYMM", "accepted", False, "§3.2: 발송완료"),
    Row("11", "클라이언트 대체발송 처리 중", "client-side fallback send in progress", "accepted", False,
        "§5.2 only"),
    Row("3", "에러", "error", "system", False, "§3.2 only"),
))

TABLES = (*RESULT_TABLES, STATUS, MSG_TYPE)

PREFERENCE = ("sms", "mms", "kakao", "common", "fax", "phone_landline", "phone_mobile",
              "sms_inbound", "status", "msg_type")
