"""The memory/SQLite/Redis store matrix (tests/store_matrix.py)."""

from store_matrix import make_store, shared_url, store_kind

__all__ = ["make_store", "shared_url", "store_kind"]
