"""Deterministic embedding vectors, shared by every wire format that answers embeddings."""

from __future__ import annotations

import array
import base64
import hashlib
import random
import sys


def unit_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector seeded by the input, so equal inputs embed equally."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    vector = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = sum(value * value for value in vector) ** 0.5
    return [value / norm for value in vector]


def float32_bytes(vector: list[float]) -> bytes:
    """The vector as little-endian float32, the layout of the APIs' base64 embeddings."""
    packed = array.array("f", vector)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def float32_base64(vector: list[float]) -> str:
    return base64.b64encode(float32_bytes(vector)).decode()
