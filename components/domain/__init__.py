"""The console's rules, with no Streamlit and no I/O: attempt states and replay eligibility
(``rules``, ``deliveries``), rights, the load's story, the signature doctor, the evidence pack,
form parsing, text safety (``markup``) and the one module of time, duration and colour formats
(``formats``).

Imports only ``envoy_api``'s models and the standard library.
"""
