"""Byte transports that drive the sans-I/O protocol connections of ``smscli.protocol``."""
