"""Digital signatures for results and certified copies (chữ ký số cho kết quả và bản sao điện tử).

Design
------
* **Who signs.** Results are signed in the name of the issuing *agency* (an organisation
  certificate, as Vietnamese public-service CAs issue to state bodies), not of an officer.
  ``services.signer_for(agency)`` picks the agency's configured PKCS#12 file
  (``models.AgencyCertificate``, admin-managed; its password is read from an environment
  variable, never stored in the database), else the demo certificate
  ``<SIGNING_PKI_DIR>/agencies/<code>.p12``, created on first use when ``SIGNING_DEMO_PKI`` is on.
* **Demo PKI** (``pki.py``, command ``make_demo_pki``): a self-made root CA for the fictional
  province and one EC P-256 certificate per agency. Generation is idempotent, atomic and
  serialised by a file lock, so several workers can create certificates lazily.
* **Signing** (``services.sign_pdf``): PAdES baseline B-B (ETSI.CAdES.detached, SHA-256) through
  pyHanko, always as an incremental update, so earlier signatures stay valid and PDF/A input
  keeps its original bytes. The signature is invisible (no appearance stream).
* **Validation** (``services.validate_pdf``): every signature field is reported separately
  (``SignatureReport``): integrity, cryptographic validity, trust against the configured roots
  (``SIGNING_TRUST_ROOTS``), coverage and later modifications, with a one-line Vietnamese verdict.
  Validation never goes to the network: revocation (OCSP/CRL) is *not* checked and the report
  says so. Any input that is not a readable PDF raises ``SigningError``, never another exception.

The package ``__init__`` is intentionally empty of imports: pyHanko is heavy and is only
imported by ``services``/``pki`` when they are used. Errors shown to users are in Vietnamese
(``errors.SigningError``).

The API is synchronous (pyHanko's sync wrappers call ``asyncio.run``); from async code call it
through ``asgiref.sync.sync_to_async``.
"""
