"""HTTP simulators of the national systems MotCua reaches through adapters.

- ``simulators.population``: National Population Database (citizen records by personal ID number).
- ``simulators.business``: National Business Registration (enterprises by tax/enterprise code).
- ``simulators.vneid``: VNeID OpenID Connect provider (authorization code + PKCE, RS256 ID tokens).

Run all three with ``python -m simulators.run``; see ``simulators/README.md``.
"""
