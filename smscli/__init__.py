"""smscli: send Korean SMS/LMS/MMS through four vendors, and debug them.

The library API lives in submodules, imported lazily so that ``import smscli``
stays cheap: ``smscli.protocol.oneshot`` (codec), ``smscli.codes`` (result codes),
``smscli.config`` (profiles), ``smscli.dispatch`` (send pipeline).
"""

__version__ = "0.1.0"
