"""The shared cache (Redis), keeping one Redis client per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` object for every cache call (its
``get_client``), and building one (its table of response callbacks) cost more CPU than
the GET it was made for: about 60% of reading a signed-in request's session from the
cache (issue 10, item 6). A ``redis.Redis`` object is safe to share between threads (it
takes a connection from its pool for each command) and the pool reconnects after a
fork, so one client per pool is kept and reused; the pools are Django's, as before.
"""

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusedClientCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own pool and client class (private, so not in django-stubs).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache backend, with a Redis client kept per connection pool."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusedClientCacheClient
