"""The store's error tree.

```
StoreError
└── SecretUnreadable   a stored secret cannot be decrypted (unknown key, or tampered data);
                       nothing is returned, and the caller must ask for the secret again
```
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors."""


class SecretUnreadable(StoreError):
    """A stored secret cannot be decrypted: its key is unknown or the data was changed."""
