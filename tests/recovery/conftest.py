"""The store URL several processes share (tests/store_matrix.py)."""

from store_matrix import shared_url

__all__ = ["shared_url"]
