"""Every change the console makes: ``actions`` (the one path for each write: the right checked,
the audit row written), the audit trail (``audit``) and recovery jobs (``jobs``).

May import ``data``, ``store``, ``domain``, ``settings``; never ``shell`` or ``widgets``.
"""
