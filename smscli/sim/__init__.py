"""Local vendor simulators (real servers on loopback) for tests, the sandbox and `smscli sim`."""
