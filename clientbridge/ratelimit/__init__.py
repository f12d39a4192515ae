"""Rate limits: spend a provider account's request budget without being refused for it.

What a connection does about rate limits is its ``rate_limit`` option:

* ``"auto"`` (the default): no limit is known, so none is applied until the provider
  answers 429. Then the request rate is cut to 90% of what the provider accepted over
  the last second, and grows back by a small fixed step each second while answers are
  clean and the rate is what holds requests back (AIMD, as TCP does with its window).
  One cut per round: 429s for requests that left before a cut do not cut again.
* ``"10/s"``, ``"600/min"``, ``"5000/h"``: at most that many requests, spent evenly (a
  tenth of a second's worth may leave at once).
* ``"off"``: none of this; each request that gets a 429 waits and retries on its own.

The limit belongs to the account, not to one connection: every thread and task of every
connection in the process with the same provider, base URL and credential shares it
(`limit_key` names the account with a digest, never the credential). A 429 with
``Retry-After`` pauses all of their requests until then, not only the one that got it.

The admission decision is pyrate-limiter's GCRA token bucket: in this process by default,
or in Redis with ``rate_limit_storage="redis://..."`` (its atomic script; the ``redis``
extra), so processes and machines share one budget. What is written here is the
adaptation and the pause; pyrate-limiter is imported only when a request first waits.

The rooms: `_rates` (the configured limit and the options, checked), `_learned` (what an
account shares in this process: the pause and the learned rate), `_storage` (the token
bucket, in memory or in Redis) and `_throttle` (`Throttle`, the façade a driver waits on,
and `make_throttle`).
"""

from typing import TYPE_CHECKING, Any

from clientbridge.ratelimit._rates import Rate, RateLimitMode, check_rate_options, parse_rate

if TYPE_CHECKING:
    from clientbridge.ratelimit._learned import (
        AdaptiveRate,
        SharedLimit,
        forget_limits,
        limit_key,
        shared_limit,
    )
    from clientbridge.ratelimit._storage import BURST_SECONDS
    from clientbridge.ratelimit._throttle import Throttle, make_throttle

__all__ = [
    "BURST_SECONDS",
    "AdaptiveRate",
    "Rate",
    "RateLimitMode",
    "SharedLimit",
    "Throttle",
    "check_rate_options",
    "forget_limits",
    "limit_key",
    "make_throttle",
    "parse_rate",
    "shared_limit",
]

# `import clientbridge` reads the options (the settings check them); the throttle's rooms
# are loaded when a connection first needs them.
_LEARNED = frozenset({"AdaptiveRate", "SharedLimit", "forget_limits", "limit_key", "shared_limit"})
_THROTTLE = frozenset({"Throttle", "make_throttle"})


def __getattr__(name: str) -> Any:
    room: Any
    if name in _LEARNED:
        from clientbridge.ratelimit import _learned as room
    elif name == "BURST_SECONDS":
        from clientbridge.ratelimit import _storage as room
    elif name in _THROTTLE:
        from clientbridge.ratelimit import _throttle as room
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(room, name)
    globals()[name] = value
    return value
