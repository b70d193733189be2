"""HandRefine core: hand detection, hand depth rendering, masks and inpaint planning.

Nothing in this package imports the WebUI; `lib_handrefine.webui` holds the WebUI-facing helpers.
"""

__version__ = "0.1.0"
