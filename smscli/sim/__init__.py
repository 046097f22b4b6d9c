"""Local vendor simulators (one module per vendor), used by the tests, by the built-in
``sandbox`` profile and by users' own CI through ``smscli sim <vendor>``.

Nothing here is imported by ``smscli --help``: each simulator is imported when used.
"""
