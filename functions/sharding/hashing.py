"""Stable hash functions: the same value for the same key in every process, language and release.

Python's built-in ``hash()`` is salted per process (``PYTHONHASHSEED``), so two routers would place
one key on different shards; every hash here comes from ``hashlib`` instead.

- :func:`hash64`: BLAKE2b with an 8-byte digest, read little-endian: the key hash of the ring, jump
  and rendezvous placements.
- :func:`ketama_hash`: libketama's hash (4 bytes of the key's MD5 digest, little-endian), so a ring
  in ketama mode places keys exactly as libketama, ``uhashring`` and memcached clients do.
"""

from __future__ import annotations

from hashlib import blake2b, md5

MASK64 = (1 << 64) - 1


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def hash64(value: str | bytes) -> int:
    """A 64-bit hash of ``value`` (UTF-8 for text): BLAKE2b-64, little-endian."""
    return int.from_bytes(blake2b(_bytes(value), digest_size=8).digest(), "little")


def hash128(value: str | bytes) -> int:
    """A 128-bit hash of ``value``: BLAKE2b-128, little-endian (rendezvous shard seeds)."""
    return int.from_bytes(blake2b(_bytes(value), digest_size=16).digest(), "little")


def ketama_hash(value: str | bytes, replica: int = 0) -> int:
    """libketama's 32-bit hash: bytes ``4*replica .. 4*replica+3`` of MD5(value), little-endian."""
    digest = md5(_bytes(value)).digest()  # noqa: S324  (ketama's hash, not a security use)
    return int.from_bytes(digest[4 * replica: 4 * replica + 4], "little")


def ketama_digest_points(value: str | bytes) -> tuple[int, int, int, int]:
    """The four 32-bit ketama points one MD5 digest of ``value`` gives (one per ``replica``)."""
    digest = md5(_bytes(value)).digest()  # noqa: S324
    return (int.from_bytes(digest[0:4], "little"), int.from_bytes(digest[4:8], "little"),
            int.from_bytes(digest[8:12], "little"), int.from_bytes(digest[12:16], "little"))
