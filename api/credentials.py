"""What an account's email and password must be: one rule for registering, signing in, changing
them and `trawler user create`, so no way in makes an account another way cannot sign in to."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, TypeAdapter, ValidationError

Email = Annotated[EmailStr, AfterValidator(str.lower)]
"""An address as email-validator accepts it (no special-use domain such as `localhost` or
`.test`), normalised by it (the domain's IDNA form, Unicode NFC), then lower-cased: the form the
store keeps and compares."""

PASSWORD_MIN, PASSWORD_MAX = 8, 256
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]

_email: TypeAdapter[str] = TypeAdapter(Email)


def normalize_email(value: str) -> str:
    """`value` as accounts store it; ValueError saying what is wrong with it otherwise."""
    try:
        return _email.validate_python(value)
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from None


def check_password(value: str) -> str:
    """`value` if it may be a password; ValueError saying why not otherwise."""
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"at most {PASSWORD_MAX} characters")
    return value
