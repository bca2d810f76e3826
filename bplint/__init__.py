"""bplint: a best-practice linter and static security auditor for Python web backends."""

__version__ = "0.1.0"
