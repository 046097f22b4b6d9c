"""Wire protocols as pure, sans-I/O code: bytes in, events out. Imports nothing else
from smscli, opens no sockets and runs no event loop."""
