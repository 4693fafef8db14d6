"""The console's parts below its pages, one subpackage per role.

Layers, top to bottom; a layer imports only from layers below it (held by the import-linter
contracts in ``pyproject.toml``, run in CI):

- ``widgets``  what pages draw: tables, charts, the replay control, dialogs, panels
- ``shell``    the frame around every page: sidebar, navigation (URL-bound widgets), sign-in,
               errors on screen
- ``ops``      every change: actions (right checked, audit written), recovery jobs
- ``data``     the cached read layer over ``envoy_api`` and the connection; ``store`` beside it,
               the console's own database
- ``domain``   rules with no Streamlit and no I/O: replay eligibility, rights, story, doctor,
               evidence, formats; ``settings`` beside it (the secrets file, read one way)

``views/`` (the page scripts) sit on top of all of them. Nothing here imports ``views`` or
``envoy_sandbox``, except ``data.connection``, to start the embedded sandbox.
"""
