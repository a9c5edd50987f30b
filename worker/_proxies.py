"""Which proxies an execution's traffic goes through: its account's own, else the deployment's.

A worker keeps one rotator for the deployment's proxies and one per account with proxies of
its own, so health (cool-downs, blocks, disabled proxies) is shared by every run of the
process. A proxy the rotator disables is disabled in the store too, with the reason, so the
account sees it. The deployment's proxies are trusted (the operator may put them on a private
network); an account's are not: the network policy checks their hosts at every connection.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict

import store
from proxies import Proxy, ProxyRotator, ProxySettings, ProxyStats

log = logging.getLogger(__name__)

ACCOUNTS_KEPT = 1000
"""Accounts whose rotators a worker keeps; the least recently used beyond that are dropped."""

_Key = tuple[tuple[str, tuple[str, ...], int], ...]


class Rotators:
    """The rotators of one worker process."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.deployment = ProxyRotator.from_settings(settings)
        self._accounts: OrderedDict[uuid.UUID, tuple[_Key, ProxyRotator]] = OrderedDict()

    def choose(self, user_id: uuid.UUID, own: list[store.ProxyRecord]) -> ProxyRotator | None:
        """The rotator of an execution of `user_id`, whose enabled proxies are `own`; None
        when neither the account nor the deployment has proxies (direct connections)."""
        if not own:
            self._accounts.pop(user_id, None)
            return self.deployment if self.deployment.proxies else None
        key = tuple((record.url, record.tags, record.tier) for record in own)
        kept = self._accounts.get(user_id)
        if kept is not None and kept[0] == key:
            self._accounts.move_to_end(user_id)
            return kept[1]
        values: dict[str, Proxy] = {}  # one per URL: two names for one proxy are one proxy
        for record in own:
            if isinstance(value := _value(record), Proxy):
                values.setdefault(value.url, value)
        if not values:
            self._accounts.pop(user_id, None)
            return self.deployment if self.deployment.proxies else None
        rotator = ProxyRotator.from_settings(self.settings, proxies=values.values())
        self._accounts[user_id] = (key, rotator)
        while len(self._accounts) > ACCOUNTS_KEPT:
            self._accounts.popitem(last=False)
        return rotator

    def health(self) -> list[tuple[str, ProxyStats]]:
        """Every proxy's stats under a label without credentials: a deployment proxy's
        `scheme://host:port`, "account" for all the accounts' own (theirs, and many)."""
        found = [(s.proxy.server, s) for s in self.deployment.stats()]
        for _, rotator in list(self._accounts.values()):
            found.extend(("account", s) for s in rotator.stats())
        return found

    @staticmethod
    def disabled(rotator: ProxyRotator, own: list[store.ProxyRecord]) -> dict[uuid.UUID, str]:
        """The account's proxies `rotator` has disabled, or that are no longer valid, by id:
        the reason."""
        reasons = {s.proxy.url: s.disabled_reason for s in rotator.stats() if s.disabled_reason}
        found = {record.id: reasons[record.url] for record in own if record.url in reasons}
        for record in own:
            if isinstance(invalid := _value(record), str):
                found[record.id] = invalid
        return found


def _value(record: store.ProxyRecord) -> Proxy | str:
    """The record's proxy (not trusted: an account's), or why its URL is no longer accepted
    (saved before a rule it breaks)."""
    try:
        return Proxy(record.url, tags=record.tags, tier=record.tier)
    except ValueError as exc:  # names the scheme and host, never the password
        return f"its URL is no longer accepted: {exc}"
