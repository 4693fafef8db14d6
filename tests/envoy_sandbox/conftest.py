from ..sandboxes import EVENT_LOAD, FAST, Sandbox, make_sandbox

__all__ = ["EVENT_LOAD", "FAST", "Sandbox", "make_sandbox"]
