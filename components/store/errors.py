"""The store's one error, apart from ``db`` so that ``db`` and ``legacy`` need not import each
other."""


class StoreError(Exception):
    """The console database could not do something; the message is short and holds no
    credential and no row content."""
