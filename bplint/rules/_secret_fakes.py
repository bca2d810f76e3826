"""Fake credentials for the BP101/BP102 examples and tests.

Random values in the shape of real ones, assembled from pieces so that no
module of bplint holds a credential-shaped literal itself.
"""

from __future__ import annotations

_PEM_BODY = ("rkv4ew+2vtRZJglsZEhDghnvub6Ty9C8d5IEoIg9Em+9XqSVuYta6VYB0Xpi44tZtdH49vXjvjTNQTbw+TFDg3ok"
             "q8iWtc9g8u6j4jftKyZlWqtYwYtmhw9QoTMXHIXZpa6d3lXAygSUkaJ/T2Pn49Wsid7IhPyhfpJQU9JQEXe1adzj")
FAKE = {
    "AWS_KEY_ID": "AKIA" + "4HAFCFGWPBBBW65J",
    "AWS_KEY_ID_PADDED": "AKIA" + "4HAFCFGWPB" + "x" * 6,
    "AWS_SECRET": "NH/CSkcQDu9+risFvYPq5fViV0" + "fjODzSW+gd5kL2",
    "GITHUB": "ghp_" + "rpP7mD4HQb8GeavjTEQykdeLFkeJnjb7wXh9",
    "GITLAB": "glpat-" + "sN6f1JfwItMt7fXS-R78",
    "SLACK": "xoxb-" + "959188147046-9284703976026-30M4kCUXH0CsrhXlABXh8Hg1",
    "SLACK_HOOK": "hooks.slack.com/services/" + "TV8VNF7PG/BTBEFBT9W1B/zDfnfwPvwywSgbiiCwTVigdr",
    "STRIPE": "sk_" + "live_1Fy00QqPmwgSSZ9kL68rj21U",
    "STRIPE_TEST": "sk_" + "test_1Fy00QqPmwgSSZ9kL68rj21U",
    "GOOGLE": "AIza" + "P5jkYBgKeClON6iGj2zmYy6EUA1wAMhTt-8",
    "DJANGO": "django-insecure-" + "&4-!yt!rqjwi(&q$tpskj#%@=3dq0xdw%)-a6cm$tm4*y^**su",
    "PEM": "-----BEGIN RSA PRIVATE" + " KEY-----\\n" + _PEM_BODY[:88] + "\\n" + _PEM_BODY[88:]
           + "\\n-----END RSA PRIVATE" + " KEY-----",
    "FERNET": "pU3KGCUwux1tEyze1iN7Ltke" + "P3IfyxlxF0SU1kk8nVw=",
}


def with_fakes(template: str) -> str:
    """An example's code with @NAME@ replaced by the fake credential NAME."""
    for key, value in FAKE.items():
        template = template.replace(f"@{key}@", value)
    return template


