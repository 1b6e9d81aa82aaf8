"""The signing agent: signs with the signer's USB token (PKCS#11) for the pages they paired.

It runs on the signer's computer (`kehoach-agent`), listens on 127.0.0.1 only, and talks to the
web pages of the plan system — never to its server or its code. See `server` for the protocol.
"""

__version__ = "0.1.0"
