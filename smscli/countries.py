"""ITU-T E.164 country calling codes (the assigned ones, as of 2024), for numbers written
with ``+``. The codes are prefix-free, so a number splits into (code, national number) in
one way: :func:`split`. +82 is Korea (smscli's domestic numbers) and is not listed; the
international network codes (+800 freephone, +870 Inmarsat, +88x, +979...) are not either,
as no message service delivers to them."""

from __future__ import annotations

_TWO_AND_THREE = """
20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58
60 61 62 63 64 65 66 81 84 86 90 91 92 93 94 95 98
211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236
237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258
260 261 262 263 264 265 266 267 268 269 290 291 297 298 299
350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381
382 383 385 386 387 389 420 421 423
500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599
670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692
850 852 853 855 856 880 886
960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 992 993 994 995 996 998
"""

CODES: frozenset[str] = frozenset({"1", "7", *_TWO_AND_THREE.split()})
KOREA = "82"


def split(digits: str) -> tuple[str, str] | None:
    """``(country code, national number)`` of the digits after ``+``, or None when they
    start with no code in :data:`CODES` (nor +82)."""
    for size in (1, 2, 3):
        code = digits[:size]
        if code in CODES:
            return code, digits[size:]
    return None
