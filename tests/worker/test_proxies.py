"""Which proxies a worker's runs go through: the deployment's are trusted, an account's are not
(the network policy checks them at every connection); an account's proxy whose URL is no longer
accepted is left out and disabled with the reason, two names for one URL are one proxy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from proxies import ProxyEntry, ProxySettings
from store import ProxyRecord
from worker import Rotators

USER = uuid.uuid4()


def record(url: str, name: str = "p") -> ProxyRecord:
    return ProxyRecord(
        id=uuid.uuid4(),
        user_id=USER,
        name=name,
        url=url,
        tags=(),
        tier=0,
        created_at=datetime.now(UTC),
        disabled_reason=None,
    )


def test_the_deployments_proxies_are_trusted_an_accounts_are_not() -> None:
    rotators = Rotators(ProxySettings(proxies=[ProxyEntry.model_validate("http://10.0.0.5:3128")]))
    assert [p.trusted for p in rotators.deployment.proxies] == [True]
    own = [record("http://proxy.example:3128")]
    chosen = rotators.choose(USER, own)
    assert chosen is not None
    assert [(p.host, p.trusted) for p in chosen.proxies] == [("proxy.example", False)]


def test_an_invalid_or_repeated_account_proxy() -> None:
    rotators = Rotators(ProxySettings())
    invalid = record("socks5://a%20b:1080", "saved long ago")
    first, again = record("http://u:pw@p.example:1", "a"), record("http://u:pw@p.example:1", "b")
    chosen = rotators.choose(USER, [invalid, first, again])
    assert chosen is not None
    assert [p.host for p in chosen.proxies] == ["p.example"]
    reasons = Rotators.disabled(chosen, [invalid, first, again])
    assert list(reasons) == [invalid.id]
    assert reasons[invalid.id].startswith("its URL is no longer accepted: ")
    assert rotators.choose(USER, [invalid]) is None  # none left: direct, as without proxies
