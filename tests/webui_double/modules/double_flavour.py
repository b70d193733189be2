"""Double-only: which WebUI the double imitates right now. harness.reset_webui(flavour=...) sets it.

"a1111": AUTOMATIC1111 v1.10.1 (the default). "neo": Forge Neo, where processing differs in the few places that
check `is_neo()` (each names the real Neo file:line in tests/webui_double/README.md)."""

NAME = "a1111"


def is_neo() -> bool:
    return NAME == "neo"
