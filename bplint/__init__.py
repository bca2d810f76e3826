"""bplint: a best-practice linter and static security auditor for Python web backends."""

__version__ = "0.1.0"

# Where the project and its rule pages live; SARIF points users there.
HOMEPAGE = "https://github.com/bplint/bplint"
RULES_URL = HOMEPAGE + "/blob/main/rules/{code}.md"
