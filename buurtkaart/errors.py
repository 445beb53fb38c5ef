"""Errors shared by every layer of buurtkaart.

Importers collect *all* problems of a file before failing, so a user can fix
a file in one go; each problem names the file, the row or feature, the field
and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BuurtkaartError", "Problem", "ImportFailed", "InvalidParameter", "NotFound"]


class BuurtkaartError(Exception):
    """Base class of every error buurtkaart raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    Parameters
    ----------
    file:
        The file name as the user gave it.
    where:
        The place in the file, e.g. ``"row 4"`` (1-based, header is row 1),
        ``"feature 12"`` (1-based) or ``"services[3]"``.
    field:
        The column, property or key, or ``None`` when the problem is the
        whole row or file.
    reason:
        What is wrong, in words a user understands.
    """

    file: str
    where: str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts) + f": {self.reason}"

    @property
    def translatable(self) -> bool:
        """Can the reason be shown in another language than English?"""
        from .i18n import Msg

        return isinstance(self.reason, Msg)

    def localized(self) -> str:
        """The problem in the active language (as :meth:`__str__` in English): file, place,
        field and reason; a reason that is plain text stays as it was written."""
        from .i18n import gettext, translate

        parts = [self.file]
        if self.where:
            parts.append(translate(self.where))
        if self.field:
            parts.append(gettext("field '%(field)s'", field=self.field))
        return gettext("%(place)s: %(reason)s", place=", ".join(parts),
                       reason=translate(self.reason))


class ImportFailed(BuurtkaartError):
    """An import was refused; nothing was written.

    ``problems`` lists every problem found, in file order.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        head = f"import failed with {len(lines)} problem{'s' if len(lines) != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  - {line}" for line in lines))


class InvalidParameter(BuurtkaartError):
    """A request or command parameter has a value that makes no sense."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason
        super().__init__(f"invalid parameter '{name}': {reason}")


class NotFound(BuurtkaartError):
    """A record that was asked for does not exist."""
