"""The frame around every page: the sidebar (connection, organization, user, refresh), the page
registry and links (``nav``, including widgets whose state is the URL's), sign-in (``access``),
API errors as one short message (``errors``), the memory collector and Nagle's algorithm off on
the server's connections (``transport``).

May import ``ops``, ``data``, ``store``, ``domain``, ``settings``; never ``widgets``.
"""
