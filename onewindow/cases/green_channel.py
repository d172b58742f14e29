"""绿色通道 resolvers: how cases learns that an applicant gets the green channel.

Apps above cases (the enterprise service: key projects and companies) register a resolver in
their ``AppConfig.ready``; cases asks :func:`is_green_channel` when it accepts a case and marks
its review tasks, which reviewers then see first. No resolver registered: no green channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GreenChannelResolver = Callable[[int, Any], bool]

_resolvers: list[GreenChannelResolver] = []


def register_green_channel_resolver(fn: GreenChannelResolver) -> GreenChannelResolver:
    if fn not in _resolvers:
        _resolvers.append(fn)
    return fn


def unregister_green_channel_resolver(fn: GreenChannelResolver) -> None:
    if fn in _resolvers:
        _resolvers.remove(fn)


def is_green_channel(applicant_id: int, region: Any) -> bool:
    """Does this applicant's case in ``region`` go through the green channel?"""
    return any(fn(applicant_id, region) for fn in _resolvers)
