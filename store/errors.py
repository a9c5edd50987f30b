"""The store's error tree.

```
StoreError
└── SecretUnreadable   a stored secret cannot be decrypted (unknown key, or tampered data);
                       nothing is returned, and the caller must ask for the secret again
├── ArtifactMissing    no artifact under the key (deleted by retention, or never stored)
└── Conflict           the write would break a uniqueness rule (an email already registered)
```
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors."""


class SecretUnreadable(StoreError):
    """A stored secret cannot be decrypted: its key is unknown or the data was changed."""


class ArtifactMissing(StoreError):
    """No artifact is stored under the key; the caller answers "not found"."""


class Conflict(StoreError):
    """The write would duplicate something unique; nothing was written."""
