"""BizNetShot (Coaintec) codes: ``sendCode`` of a send, ``resultCode`` of a result callback."""

from __future__ import annotations

from smscli.codes._schema import Row, Table

_DOC = "000_991497d36dad3aac.txt (비즈넷샷 연동 메뉴얼)"

SEND = Table("send", "sendCode: answer to a send request", f"{_DOC} §2.4 에러코드", (
    Row("201", "회원 비밀번호가 일치하지 않음", "wrong member password", "auth", False),
    Row("202", "존재하지 않는 회원", "no such member", "auth", False),
    Row("203", "사용 중지된 회원", "member suspended", "auth", False),
    Row("204", "대기 상태인 회원", "member not yet approved (waiting)", "auth", False),
    Row("300", "성공", "success", "accepted", False),
    Row("301", "잔여 전송건수 없음", "no sending credit left", "quota", False),
    Row("302", "예약시간 오류(현재 시간으로 부터 30분 후부터 30일까지만 예약가능)",
        "bad reservation time (only 30 minutes to 30 days ahead)", "format", False),
    Row("303", "입력된 수신번호가 없음 (차단된 번호가 있어 보낼 수 있는 핸드폰 번호가 없는 경우도 존재)",
        "no recipient number (also when every number given is blocked)", "format", False),
    Row("304", "발송할 내용이 없음", "nothing to send", "format", False),
    Row("305", "중복되는 수신번호 존재", "duplicate recipient numbers", "format", False),
    Row("306", "수신처가 1500곳 초과", "more than 1500 recipients", "format", False),
    Row("307", "문자내용이 없음", "message text is empty", "format", False),
    Row("313", "고유코드 값 없음", "m_corpfrcode (unique id) missing", "format", False),
    Row("314", "고유코드 값 중복", "m_corpfrcode (unique id) already used", "format", False),
    Row("401", "첨부파일 확장자 지원 안함", "attachment extension not supported", "format", False),
    Row("402", "첨부파일 크기 초과", "attachment too large", "format", False),
    Row("403", "파일 에러", "file error", "format", False),
))

RESULT = Table("result", "resultCode: delivery result callback", f"{_DOC} §3.2 resultCode", (
    Row("1", "전송완료", "delivered", "delivered", False),
    Row("101", "Time Out", "timeout", "temporary", True),
    Row("102", "핸드폰 호 처리 중", "handset busy with a call", "temporary", True),
    Row("103", "음영지역", "no coverage (shadow area)", "temporary", True),
    Row("104", "Power Off", "handset powered off", "temporary", True),
    Row("105", "메시지 저장 개수 초과", "handset message storage full", "temporary", True),
    Row("106", "잘못된 전화번호", "wrong phone number", "permanent", False),
    Row("107", "일시 서비스 정지", "service temporarily suspended", "temporary", True),
    Row("108", "기타 단말기 문제", "other handset problem", "temporary", True),
    Row("109", "착신 거절", "refused by the recipient", "permanent", False),
    Row("110", "기타", "other", "system", True),
    Row("111", "이통사 SMC 형식 오류", "carrier SMC format error", "format", False),
    Row("112", "IB 자체 형식 오류", "gateway (IB) format error", "format", False),
    Row("113", "SMS 서비스 불가 단말기", "handset cannot receive SMS", "permanent", False),
    Row("114", "핸드폰 호 불가 상태", "handset cannot take calls", "temporary", True),
    Row("115", "SMC 운영자가 메시지 삭제", "deleted by the SMC operator", "permanent", False),
    Row("116", "이통사 내부 메시지 Que Full", "carrier message queue full", "system", True),
    Row("117", "이통사에서 Spam 처리된 건", "treated as spam by the carrier", "spam", False),
    Row("118", "nospam.go.kr에서 Spam 처리한 건", "treated as spam by nospam.go.kr", "spam", False),
    Row("119", "인포뱅크에서 Spam 처리한 건", "treated as spam by Infobank", "spam", False),
    Row("120", "건수 제한에 걸린 경우", "count limit reached", "quota", False),
    Row("121", "메시지의 길이가 제한된 길이를 벗어난 경우", "message longer than allowed", "format", False),
    Row("122", "폰 번호가 형식에 어긋난 경우", "malformed phone number", "format", False),
    Row("123", "필드형식이 잘못된 경우", "malformed field", "format", False),
    Row("901", "메시지 내용이 없습니다.", "no message text", "format", False),
    Row("902", "회원의 상태가 중지 중이거나 없는 회원입니다.", "member suspended or unknown", "auth", False),
    Row("903", "발송 금지된 번호입니다.", "number barred from receiving", "spam", False),
    Row("904", "Time Out", "timeout", "temporary", True),
    Row("905", "부분완료", "partly completed", "delivered", False),
    Row("906", "알 수 없는 오류", "unknown error", "system", True),
    Row("907", "수신처가 없습니다.", "no recipient", "format", False),
))

TABLES = (RESULT, SEND)

PREFERENCE = ("result", "send")
