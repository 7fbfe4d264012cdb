"""The wire tier: what crosses between processes as plain data (the protocol, results, versions).

Imported by every other tier; imports none of them.
"""
