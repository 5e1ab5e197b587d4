"""gil-lint: a linter and language server for Python concurrency mistakes."""

__version__ = "0.1.0"
