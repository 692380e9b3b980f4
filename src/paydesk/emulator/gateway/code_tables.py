"""The code tables i'mport answers with and accepts: banks, card companies, couriers.

``GET /banks`` and ``GET /cards`` serve these lists, virtual accounts take their
bank name from ``BANKS``, and escrow delivery registration files unknown courier
codes under ``ETC``.  Data first (reference §8.3–§8.5), then small lookups.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BANKS",
    "CARDS",
    "COURIERS",
    "VBANK_CODES_BY_PG",
    "bank_name",
    "card_name",
    "courier_code",
]

# KFTC standard 3-digit institution codes with the KFTC label (reference §8.3:
# the RCN enum's 85 entries plus Toss Bank 092).
BANKS: Mapping[str, str] = {
    "001": "한국은행",
    "002": "산업은행",
    "003": "기업은행",
    "004": "국민은행",
    "005": "외환은행",
    "007": "수협중앙회",
    "008": "수출입은행",
    "011": "농협은행",
    "012": "지역 농.축협",
    "020": "우리은행",
    "023": "SC은행",
    "027": "한국씨티은행",
    "031": "대구은행",
    "032": "부산은행",
    "034": "광주은행",
    "035": "제주은행",
    "037": "전북은행",
    "039": "경남은행",
    "045": "새마을금고중앙회",
    "048": "신협중앙회",
    "050": "상호저축은행",
    "052": "모건스탠리은행",
    "054": "HSBC은행",
    "055": "도이치은행",
    "056": "알비에스피엘씨은행",
    "057": "제이피모간체이스은행",
    "058": "미즈호은행",
    "059": "미쓰비시도쿄UFJ은행",
    "060": "BOA은행",
    "061": "비엔피파리바은행",
    "062": "중국공상은행",
    "063": "중국은행",
    "064": "산림조합중앙회",
    "065": "대화은행",
    "066": "교통은행",
    "071": "우체국",
    "076": "신용보증기금",
    "077": "기술보증기금",
    "081": "KEB하나은행",
    "088": "신한은행",
    "089": "케이뱅크",
    "090": "카카오뱅크",
    "092": "토스뱅크",
    "093": "한국주택금융공사",
    "094": "서울보증보험",
    "095": "경찰청",
    "096": "한국전자금융(주)",
    "099": "금융결제원",
    "209": "유안타증권",
    "218": "현대증권",
    "221": "골든브릿지투자증권",
    "222": "한양증권",
    "223": "리딩투자증권",
    "224": "BNK투자증권",
    "225": "IBK투자증권",
    "226": "KB투자증권",
    "227": "KTB투자증권",
    "230": "미래에셋증권",
    "238": "대우증권",
    "240": "삼성증권",
    "243": "한국투자증권",
    "247": "우리투자증권",
    "261": "교보증권",
    "262": "하이투자증권",
    "263": "HMC투자증권",
    "264": "키움증권",
    "265": "이베스트투자증권",
    "266": "SK증권",
    "267": "대신증권",
    "268": "솔로몬투자증권",
    "269": "한화투자증권",
    "270": "하나대투증권",
    "278": "신한금융투자",
    "279": "동부증권",
    "280": "유진투자증권",
    "287": "메리츠종합금융증권",
    "289": "NH투자증권",
    "290": "부국증권",
    "291": "신영증권",
    "292": "엘아이지투자증권",
    "293": "한국증권금융",
    "294": "펀드온라인코리아",
    "295": "우리종합금융",
    "296": "삼성선물",
    "297": "외환선물",
    "298": "현대선물",
}

# Card company codes returned in ``card_code`` (reference §8.4): KFTC domestic
# codes, then i'mport's 5-digit codes for overseas brands.  The 050 savings-bank
# entry appears only in a third-party typing package and is left out.
CARDS: Mapping[str, str] = {
    "361": "BC카드",
    "364": "광주카드",
    "365": "삼성카드",
    "366": "신한카드",
    "367": "현대카드",
    "368": "롯데카드",
    "369": "수협카드",
    "370": "씨티카드",
    "371": "NH농협카드",
    "372": "전북카드",
    "373": "제주카드",
    "374": "하나카드",
    "381": "KB국민카드",
    "041": "우리카드",
    "045": "새마을금고",
    "048": "신협",
    "071": "우체국",
    "002": "KDB산업은행",
    "089": "케이뱅크",
    "090": "카카오뱅크",
    "10001": "은련(UnionPay)",
    "10002": "다이너스(Diners)",
    "10003": "아멕스(AMEX)",
    "10004": "마스터(Master)",
    "10005": "비자(Visa)",
    "10006": "JCB",
}

# Escrow courier codes (reference §8.5): the current table of the docs, plus the
# codes of the older manual it never withdrew.  LOGEN and KOREX were merged into
# KGB and CJGLS and are no longer accepted as such.
COURIERS: Mapping[str, str] = {
    "HYUNDAI": "롯데택배",
    "HANARO": "하나로택배",
    "SAGAWA": "SC로지스",
    "KGB": "로젠택배",
    "YELLOWCAP": "옐로우캡",
    "DONGBU": "동부택배",
    "EPOST": "우체국택배",
    "CJGLS": "CJ대한통운",
    "HANJIN": "한진택배",
    "DAESIN": "대신택배",
    "REGISTPOST": "우편등기",
    "CHUNIL": "천일택배",
    "ILYANG": "일양로지스",
    "CVSNET": "편의점택배",
    "KDEXP": "경동택배",
    "HONAM": "우리택배",
    "HDEXP": "합동택배",
    "ETC": "기타",
}

# PGs that issue virtual accounts at only some banks (reference §8.3 notes).
# A PG absent here accepts any bank of ``BANKS``.
VBANK_CODES_BY_PG: Mapping[str, frozenset[str]] = {
    "nice_v2": frozenset("004 023 034 003 011 031 032 088 081 020 071 089".split()),
    "welcome": frozenset("004 034 039 003 031 032 007 088 081 020 037 089".split()),
    "settle": frozenset("003 004 005 011 020 023 027 031 032 034 039 071 088".split()),
}


def bank_name(code: str) -> str | None:
    """The KFTC label of bank ``code``, or None for an unknown code."""
    return BANKS.get(code)


def card_name(code: str) -> str | None:
    """The name of card company ``code``, or None for an unknown code."""
    return CARDS.get(code)


def courier_code(company: str) -> str:
    """``company`` if it is a known courier code, else ``ETC`` (how i'mport files it)."""
    code = company.strip().upper()
    return code if code in COURIERS else "ETC"
