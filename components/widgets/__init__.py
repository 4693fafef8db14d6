"""What pages draw: tables and their column configs, charts, the one replay control, the
secret dialog, and the panels of the load's story, recovery jobs and endpoint health.

``render_*`` functions take models or frames and a key prefix and return what the agent chose.
May import every layer below: ``shell``, ``ops``, ``data``, ``store``, ``domain``.
"""
