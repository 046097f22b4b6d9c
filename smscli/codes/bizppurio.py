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

# RCS results: every row of the public document's §9 "RCS" as printed (its "26ebhook"
# typo of 8826 kept), plus 8000 for a delivered RCS message, which it does not list.
_RCS_DOC = "bizppurio-v3-public-README.md (Daou's public Bizppurio API v3 document) §9, RCS"
_ASSUMED = ("the public document lists no RCS success code; smscli and its simulator take 8000 "
            "for a delivered RCS message, like 7000 for Kakao; the Korean is smscli's")

RCS = Table("rcs", "RCS results", _RCS_DOC, (
    Row("8000", "전달 (RCS)", "delivered (RCS)", "delivered", False, _ASSUMED),
    Row("8200", "시스템 에러", "system error", "system", True),
    Row("8201", "이미 발송한 메시지", "message already sent", "format", False),
    Row("8202", "Message Convert 실패", "message conversion failed", "format", False),
    Row("8203", "Message Validation 실패", "message validation failed", "format", False),
    Row("8204", "Message Send 실패", "message send failed", "system", True),
    Row("8205", "MaaP FE Request 에러", "MaaP FE request error", "system", True),
    Row("8206", "MaaP FE Response Status 에러", "MaaP FE response status error", "system", True),
    Row("8207", "MaaP FE API Response Convert 실패", "MaaP FE API response conversion failed", "system", True),
    Row("8208", "RCS 메시지를 수신할 통신사가 없습니다.", "no carrier can receive the RCS message", "permanent", False),
    Row("8209", "Message Convert 실패", "message conversion failed", "format", False),
    Row("8800", "Authorization 헤더 파라미터 누락", "Authorization header parameter missing", "auth", False),
    Row("8801", "Authorization 헤더 값 누락", "Authorization header value missing", "auth", False),
    Row("8802", "토큰이 일치하지 않습니다.", "token does not match", "auth", False),
    Row("8803", "토큰이 만료되었습니다.", "token expired", "auth", False),
    Row("8804", "인증 토큰 에러", "authentication token error", "auth", False),
    Row("8805", "요청된 계정 정보를 찾을 수 없습니다(BP ID)", "account (BP ID) not found", "auth", False),
    Row("8806", "요청된 중계사 전송 계정을 찾을 수 없습니다(RCS ID)", "relay sending account (RCS ID) not found", "auth", False),
    Row("8807", "잘못된 패스워드", "wrong password", "auth", False),
    Row("8808", "접근 허용된 IP가 아닙니다", "IP address not allowed", "auth", False),
    Row("8809", "메시지 전송을 할 수 없는 상태입니다. (서버의 요청 거부)", "messages cannot be sent now (the server refuses requests)", "system", True),
    Row("8810", "RCS 메시지 TPS가 초과되었습니다.", "RCS message TPS exceeded", "quota", True),
    Row("8811", "RCS 메시지 Quota가 초과되었습니다.", "RCS message quota exceeded", "quota", True),
    Row("8812", "시스템 에러", "system error", "system", True),
    Row("8813", "IO 에러 발생", "I/O error", "system", True),
    Row("8814", "중복 Key 오류", "duplicate key", "format", False),
    Row("8815", "요청 파라미터 형식 오류", "request parameter format error", "format", False),
    Row("8816", "요청 Body JSON 파싱 에러", "request body JSON parse error", "format", False),
    Row("8817", "데이터를 찾을 수 없음", "data not found", "format", False),
    Row("8818", "전화번호 형식이 일치하지 않습니다", "phone number format does not match", "format", False),
    Row("8819", "요청을 처리할 수 없는 상태입니다.", "the request cannot be processed now", "system", True),
    Row("8820", "이미 사용 중인 챗봇 ID입니다.", "chatbot ID already in use", "format", False),
    Row("8821", "챗봇을 생성할 수 없습니다.", "chatbot cannot be created", "format", False),
    Row("8822", "챗봇 정보를 변경할 수 없습니다.", "chatbot information cannot be changed", "format", False),
    Row("8823", "챗봇이 있는 브랜드는 삭제 할 수 없습니다.", "a brand with chatbots cannot be deleted", "format", False),
    Row("8824", "챗봇 Type은 a2p, chatbot 로 설정해야 함", "chatbot type must be a2p or chatbot", "format", False),
    Row("8825", "요청 URL Parameter의 챗봇 Id와 Body Parameter 불일치", "chatbot id in the URL differs from the body's", "format", False),
    Row("8826", "잘못된 26ebhook중계사 요청 파라미터 입니다.", "bad webhook relay request parameter", "format", False),
    Row("8827", "Webhook 중계 시스템 연결 오류", "webhook relay system connection error", "system", True),
    Row("8828", "중계사 Webhook 전송 요청을 실패 했습니다.", "relay webhook send request failed", "system", True),
    Row("8829", "중계사 Webhook 처리 응답 수신 오류가 발생 했습니다.", "relay webhook answer could not be received", "system", True),
    Row("8830", "요청을 처리할 수 없는 파일 유형입니다.", "file type cannot be processed", "format", False),
    Row("8831", "파일 속성 오류", "file attribute error", "format", False),
    Row("8832", "fileID가 없거나 ID형식에 맞지 않음", "fileID missing or malformed", "format", False),
    Row("8833", "File 저장 오류", "file storage error", "system", True),
    Row("8834", "Multipart 데이터 전송 오류", "multipart data transfer error", "format", False),
    Row("8835", "자사 고객이 아닙니다.", "not a subscriber of the carrier", "permanent", False),
    Row("8836", "자사 고객이지만, RCS메시지를 수신할 수 있는 가입자가 아닙니다.", "a subscriber who cannot receive RCS messages", "permanent", False),
    Row("8837", "단말 기기로 RCS 메시지를 전송할 수 없습니다.", "the handset cannot receive RCS messages", "permanent", False),
    Row("8838", "내부 서버 오류가 발생하였습니다.", "internal server error", "system", True),
    Row("8839", "기업 정보 내용이 누락된 필수 항목이 있습니다.", "company information lacks a required item", "format", False),
    Row("8840", "대행사 정보 내용이 누락된 필수 항목이 있습니다.", "agency information lacks a required item", "format", False),
    Row("8841", "AgencyID가 존재하지 않습니다.", "AgencyID does not exist", "format", False),
    Row("8842", "BrandID에 대행 권한이 없는 AgencyID", "AgencyID has no agency rights for the BrandID", "format", False),
    Row("8843", "계약 정보 내용이 부정확하거나 누락된 필수 항목이 있습니다.", "contract information inaccurate or lacks a required item", "format", False),
    Row("8844", "브랜드 정보 내용이 누락된 필수 항목이 있습니다.", "brand information lacks a required item", "format", False),
    Row("8845", "브랜드 명이 누락되어 있습니다.", "brand name missing", "format", False),
    Row("8846", "브랜드 프로필 이미지가 누락되어 있습니다.", "brand profile image missing", "format", False),
    Row("8847", "브랜드 CS번호가 누락되어 있습니다.", "brand customer-service number missing", "format", False),
    Row("8848", "브랜드 메뉴 최대 개수를 초과하였거나 부정확합니다.", "brand menu count exceeded or inaccurate", "format", False),
    Row("8849", "브랜드 카테고리 설정이 잘못되어 있습니다.", "brand category setting wrong", "format", False),
    Row("8850", "브랜드 홈페이지 설정이 잘못되어 있습니다.", "brand homepage setting wrong", "format", False),
    Row("8851", "브랜드 이메일 설정이 잘못되어 있습니다.", "brand e-mail setting wrong", "format", False),
    Row("8852", "브랜드 주소가 잘못되어 있습니다.", "brand address wrong", "format", False),
    Row("8853", "브랜드ID가 존재하지 않음", "BrandID does not exist", "format", False),
    Row("8854", "챗봇 정보 내용이 부정확하거나 누락된 필수 항목이 있습니다.", "chatbot information inaccurate or lacks a required item", "format", False),
    Row("8855", "Booted(발신번호)가 전화번호 형식에 맞지 않음", "chatbot (sender number) not in phone number format", "format", False),
    Row("8856", "BrandID에 존재하지 않는 BotID", "BotID does not exist for the BrandID", "format", False),
    Row("8857", "메시지베이스 내용이 부정확하거나 누락된 필수 항목이 있습니다.", "message base inaccurate or lacks a required item", "format", False),
    Row("8858", "MessagebaseID가 존재하지 않음", "message base id does not exist", "format", False),
    Row("8859", "BrandID에 존재하지 않는 MessagebaseID입니다.", "message base id does not exist for the BrandID", "format", False),
    Row("8860", "messagebase의 format string 누락된 필수 항목이 있습니다.", "message base format string lacks a required item", "format", False),
    Row("8861", "messagebase의 policy Info가 부정확하거나 누락된 필수 항목이 있습니다.", "message base policy info inaccurate or lacks a required item", "format", False),
    Row("8862", "messagebase의 param 부정확하거나 누락된 필수 항목이 있습니다.", "message base param inaccurate or lacks a required item", "format", False),
    Row("8863", "messagebase의 attribute 부정확하거나 누락된 필수 항목이 있습니다.", "message base attribute inaccurate or lacks a required item", "format", False),
    Row("8864", "messagebase의 type 부정확하거나 누락된 필수 항목이 있습니다.", "message base type inaccurate or lacks a required item", "format", False),
    Row("8865", "messagebaseID의 product type과 일치하지 않음", "does not match the message base's product type", "format", False),
    Row("8866", "MessagebaseForm 내용이 부정확하거나 누락된 필수 항목이 있습니다.", "message base form inaccurate or lacks a required item", "format", False),
    Row("8867", "messagebaseformID가 존재하지 않습니다.", "message base form id does not exist", "format", False),
    Row("8868", "messaegBase의 상품 코드 에러", "message base product code error", "format", False),
    Row("8869", "(광고)를 사용할 수 없음", "\"(광고)\" (advertising) may not be used", "format", False),
    Row("8870", "Action button이 허용되지 않는 messagebaseID에서 Action button을 사용하였음", "action button used with a message base that allows none", "format", False),
    Row("8871", "허용되지 않은 header 값 사용", "header value not allowed", "format", False),
    Row("8872", "header 값과 일치 하지 않은 footer 사용 (ex. Header가 0인데, footer가 있음)", "footer that does not go with the header (e.g. header 0 with a footer)", "format", False),
    Row("8873", "footer값이 누락되어 있습니다 (ex. Header가 1 인데, footer 가 없음)", "footer missing (e.g. header 1 without a footer)", "format", False),
    Row("8874", "footer validation 오류 (ex. 숫자, 하이픈만 가능. 20자리)", "footer validation error (digits and hyphens only, 20 characters)", "format", False),
    Row("8875", "등록한 패턴과 일치 하지 않음", "does not match the registered pattern", "format", False),
    Row("8876", "title 최대글자수를 초과했습니다.", "title longer than allowed", "format", False),
    Row("8877", "description 최대글자수를 초과했습니다.", "description longer than allowed", "format", False),
    Row("8878", "최대 버튼 수를 초과했습니다.", "too many buttons", "format", False),
    Row("8879", "messagebaseID의 number of card 와 입력이 일치하지 않음", "card count differs from the message base's", "format", False),
    Row("8880", "최대 미디어 용량을 초과했습니다.", "media larger than allowed", "format", False),
    Row("8881", "중계사 정보가 부정확하거나 누락된 필수 항목이 있습니다.", "relay information inaccurate or lacks a required item", "format", False),
    Row("8882", "메시지 형식이 부정확하거나 누락된 필수 항목이 있습니다.", "message format inaccurate or lacks a required item", "format", False),
    Row("8883", "메시지 기술 방법이 잘못되었습니다.", "wrong message description method", "format", False),
    Row("8884", "메시지 내용이 누락되었거나 부정확합니다.", "message content missing or inaccurate", "format", False),
    Row("8885", "요청을 처리할 수 없는 메시지 유형입니다.", "message type cannot be processed", "format", False),
    Row("8886", "같은 메시지 ID로 두 번 이상 메시지 발송이 요청됨", "the same message id was sent more than once", "format", False),
    Row("8887", "챗봇 권한 오류", "chatbot permission error", "auth", False),
    Row("8888", "발신 가능한 챗봇 상태가 아님", "chatbot not in a state that can send", "auth", False),
    Row("8889", "대행사 권한 오류", "agency permission error", "auth", False),
    Row("8890", "메시지 유효기간 입력 값 오류", "message validity period value error", "format", False),
    Row("8891", "메시지베이스 파라미터의 길이가 한계 값 이상", "message base parameter too long", "format", False),
    Row("8892", "버튼 필드를 받을 수 없는 메시지베이스 입니다.", "the message base takes no button field", "format", False),
    Row("8893", "최대 버튼 글자수 초과", "button text too long", "format", False),
    Row("8894", "버튼 형식 오류", "button format error", "format", False),
))

TABLES = (API, *RESULT_TABLES, RCS, MEDIA)

# describe(): which table answers a bare code first.
PREFERENCE = ("api", "sms", "mms", "kakao", "rcs", "common", "fax", "phone_landline", "phone_mobile",
              "sms_inbound", "media")
