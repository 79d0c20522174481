"""Coded errors. Every message shown to a user is Chinese; the code is stable for tools."""

from __future__ import annotations


class DingmiError(Exception):
    """Base error: ``code`` is a stable identifier (DM###), ``message`` is Chinese text for users."""

    code = "DM000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class InputError(DingmiError):
    """Bad input from the caller (unreadable file, malformed line, bad option)."""

    code = "DM100"


class ReadError(InputError):
    """A document could not be read (encoding, broken or encrypted file, no text layer, too large)."""

    code = "DM110"


class CatalogError(DingmiError):
    """A catalog file is invalid; the message names file, line and field."""

    code = "DM200"


class BundleError(DingmiError):
    """A model bundle is missing, tampered with or built by incompatible library versions."""

    code = "DM300"
