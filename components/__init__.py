"""Reusable render helpers and the cached data layer; no page logic lives here."""
