"""Taplytics REST API v2: users, experiments, events and push notifications."""

from __future__ import annotations

from ._filters import Filter, FilterField, check_filter, where

__all__ = ["Filter", "FilterField", "check_filter", "where"]
