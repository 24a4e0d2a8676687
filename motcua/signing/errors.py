"""The one exception type of the signing app; its message is shown to users (Vietnamese)."""


class SigningError(Exception):
    """A signing or validation problem, with a Vietnamese ``message`` and a stable ``code``.

    Codes: ``no_certificate``, ``file_missing``, ``bad_password``, ``no_password``, ``expired``,
    ``not_yet_valid``, ``bad_agency_code``, ``not_pdf``, ``corrupt_pdf``, ``encrypted_pdf``,
    ``field_exists``, ``signing_failed``, ``key_mismatch``, ``pki``.
    """

    def __init__(self, message: str, code: str = "error"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
