"""The source of truth: domains, auth keys, documents and search counters."""

from store.base import Document, KeyInfo, Store, StoreUnavailable

__all__ = ["Document", "KeyInfo", "Store", "StoreUnavailable"]
