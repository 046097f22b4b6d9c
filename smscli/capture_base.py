"""What the capture modules share: link types and TCP header constants.

Imports none of the other ``smscli.capture_*`` modules (``smscli.capture`` re-exports
everything).
"""

from __future__ import annotations

# Link types (https://www.tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
RAW_ALIASES = (12, 14, LINKTYPE_RAW)
SUPPORTED_LINKTYPES = frozenset(
    {LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
     LINKTYPE_IPV4, LINKTYPE_IPV6, *RAW_ALIASES}
)

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10
SEQ_MOD = 1 << 32  # TCP sequence numbers wrap at 2**32
