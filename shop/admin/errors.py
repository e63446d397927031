"""Why a back-office change was refused, in words staff can act on."""

from __future__ import annotations

from typing import Any


class AdminActionError(ValueError):
    """A change that cannot be made as asked.

    `field_errors` ties messages to form fields (by the field's name), so the form is
    shown again with each message next to the field it is about.
    """

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class StaleEditError(AdminActionError):
    """Someone else saved the same thing after this form was opened.

    `current` holds the saved values now, so the form can show what changed, and
    `version` the saved version, for a deliberate second save.
    """

    def __init__(self, what: str, version: int, current: dict[str, Any]) -> None:
        super().__init__(
            f"This {what} was changed by someone else after you opened it. Nothing was "
            "saved. Compare your changes with the saved values below, then save again."
        )
        self.version = version
        self.current = current
