"""The gil-lint language server (``gil-lint server``)."""
