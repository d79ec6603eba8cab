"""A model field that stores personal data encrypted and hands out masked values.

Reading the field gives a `Sealed` value, whose text is the *masked* form: a template or
serializer that prints it shows `138****5678`, never the plaintext. The plaintext is only
reachable through `Sealed.reveal()`, which services call after checking the permission
and writing the audit entry. Privacy by construction, not by remembering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from gongzhi.core import crypto
from gongzhi.core.masking import MASKERS


class Sealed:
    """An encrypted personal value as read from the database."""

    __slots__ = ("_plain", "mask", "purpose", "token")

    def __init__(self, token: str, purpose: str, mask: str, plain: str | None = None):
        self.token = token
        self.purpose = purpose
        self.mask = mask
        self._plain = plain

    @classmethod
    def seal(cls, plaintext: str, purpose: str, mask: str) -> Sealed:
        return cls(crypto.encrypt(plaintext, purpose), purpose, mask, plaintext)

    def reveal(self) -> str:
        """The plaintext. Call only from a service that has checked and audited the read."""
        if self._plain is None:
            self._plain = crypto.decrypt(self.token, self.purpose)
        return self._plain

    @property
    def masked(self) -> str:
        return MASKERS[self.mask](self.reveal())

    @property
    def key_id(self) -> str:
        return crypto.keyring().key_id_of(self.token)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<Sealed {self.purpose} {self.masked}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sealed):
            return self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.token)


def reveal(value: Sealed | str) -> str:
    """The plaintext of an encrypted field's value (a `Sealed`, or "" when empty). Call only
    from a service that has checked and audited the read."""
    return value.reveal() if isinstance(value, Sealed) else value


if TYPE_CHECKING:
    # For the type checker: a model's attribute reads as a `Sealed` ("" when empty), and
    # plaintext may be assigned (it is sealed on save). Django's fields are not generic at
    # run time, hence the two spellings.
    _TextField = models.TextField[str | Sealed, Sealed | str]
else:
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """Text encrypted with the keyring's active key; `purpose` is bound to the token."""

    def __init__(
        self,
        *args: Any,
        purpose: str,
        mask: str = "all",
        blind_index_field: str = "",
        **kwargs: Any,
    ):
        self.purpose = purpose
        self.mask = mask
        # The column holding this value's blind index (same purpose), kept by services and
        # recomputed by `gongzhi keys reindex`.
        self.blind_index_field = blind_index_field
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        kwargs["mask"] = self.mask
        if self.blind_index_field:
            kwargs["blind_index_field"] = self.blind_index_field
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | str:
        if not value:
            return ""
        return Sealed(value, self.purpose, self.mask)

    def to_python(self, value: Any) -> Sealed | str:
        if isinstance(value, Sealed) or not value:
            return value or ""
        return Sealed.seal(str(value), self.purpose, self.mask)

    def get_prep_value(self, value: Any) -> str:
        if not value:
            return ""
        if isinstance(value, Sealed):
            return value.token
        return crypto.encrypt(str(value), self.purpose)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value and not isinstance(value, Sealed):
            value = Sealed.seal(str(value), self.purpose, self.mask)
            setattr(model_instance, self.attname, value)
        return value
