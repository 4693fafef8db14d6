from ..sandboxes import FAST, Sandbox, make_sandbox

__all__ = ["FAST", "Sandbox", "make_sandbox"]
