"""The sandbox's HTTP surface: one router per resource, over dependencies from ``deps``."""
