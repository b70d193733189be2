"""The WebUI-facing half of HandRefine. Imports `modules` (the WebUI) lazily, inside functions."""
