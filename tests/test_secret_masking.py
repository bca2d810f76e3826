"""No detected secret is printed or stored in full: every report format, the cache and the baseline.

The credentials are built at run time (random values in each format's shape), so that no
file of the repository holds one.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from bplint.cli import cli
from bplint.rules._secret_formats import FORMATS
from bplint.testing import with_preview, write_project

_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def _tokens() -> dict[str, str]:
    """One credible credential per well-known format bplint detects."""
    rnd = random.Random(20261201)

    def r(n: int, alphabet: str = _ALNUM) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(n))

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    pem_body = base64.b64encode(bytes(rnd.randrange(256) for _ in range(180))).decode()
    tokens = {
        "aws": "AK" + "IA" + r(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        "github": "gh" + "p_" + r(36),
        "gitlab": "gl" + "pat-" + r(20),
        "slack": "xo" + "xb-2048123456-" + r(24),
        "slack_webhook": "https://hooks.slack" + ".com/services/T0" + r(8) + "/B0" + r(8) + "/" + r(24),
        "stripe": "sk" + "_live_" + r(24),
        "google": "AI" + "za" + r(35),
        "openai": "sk" + "-proj-" + r(24) + "T3Blbk" + "FJ" + r(24),
        "anthropic": "sk" + "-ant-api03-" + r(93) + "AA",
        "sendgrid": "S" + "G." + r(22) + "." + r(43),
        "npm": "np" + "m_" + r(36),
        "pypi": "py" + "pi-AgEIcHlwaS5vcmc" + r(60),
        "huggingface": "h" + "f_" + r(34, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
        "azure": r(3) + "8Q" + "~" + r(32),
        "mailchimp": r(32, "0123456789abcdef") + "-us" + "12",
        "telegram": "123456789:A" + "A" + r(33),
        "discord": base64.urlsafe_b64encode(b"123456789012345678").decode().rstrip("=") + "." + r(6) + "." + r(27),
        "square": "sq" + "0csp-" + r(43),
        "django": "django-" + "insecure-" + r(40, _ALNUM + "!@#%^&*(-_=+)"),
        "jwt": b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": "u-81723", "role": "admin"}) + "." + r(43),
        "private_key": "-----BEGIN RSA PRIVATE" + " KEY-----\\n" + pem_body + "\\n-----END RSA PRIVATE" + " KEY-----",
    }
    assert set(tokens) == {f.key for f in FORMATS}, "a format was added: plant a credential of it here"
    return tokens, pem_body


TOKENS, _PEM_BODY = _tokens()
# values found by name or by place rather than by format (long enough to judge every 8-character slice)
SECRET_KEY = "s3ss10n-s1gn1ng-k3y-" + "Qm7vX2"
DB_PASSWORD = "Tr0ub4dor-" + "and-3-h0rses"
URL_PASSWORD = "Pg-pa55w0rd-" + "77xkq"
INDEX_PASSWORD = "IdxPassw0rd-" + "9f3k2"
ENV_PASSWORD = "Env-s3cr3t-" + "value-881"
_RANDOM = random.Random(5)
SUPPRESSED = "Supp-" + "".join(_RANDOM.choice(_ALNUM) for _ in range(20))
VCS_TOKEN = "gh" + "p_" + "".join(_RANDOM.choice(_ALNUM) for _ in range(36))
AWS_SECRET = "".join(_RANDOM.choice(_ALNUM + "/+") for _ in range(40))

SECRETS = {**TOKENS, "secret_key": SECRET_KEY, "db_password": DB_PASSWORD, "url_password": URL_PASSWORD,
           "index_password": INDEX_PASSWORD, "env_password": ENV_PASSWORD, "suppressed": SUPPRESSED,
           "vcs_token": VCS_TOKEN, "aws_secret": AWS_SECRET}


def _project() -> dict[str, str]:
    formats = [(key, value) for key, value in TOKENS.items()]
    code = ["import logging", ""]
    # each format in a print() call: BP601 on the same line shows the line
    code += [f'print("{value}")' for _, value in formats]
    # the same formats with BP101 suppressed, still on a line BP601 reports
    suppressed = [f'print("{value}")  # bplint: ignore[BP101]' for _, value in formats]
    settings = [
        f'SECRET_KEY = "{SECRET_KEY}"; print(SECRET_KEY)',
        f'DB_PASSWORD = "{DB_PASSWORD}"',
        f'SQLALCHEMY_DATABASE_URI = "postgresql://app:{URL_PASSWORD}@db.internal/app"; print(1)',
        f'API_PASSWORD = "{SUPPRESSED}"; print(API_PASSWORD)  # bplint: ignore[BP101]',
    ]
    config_lines = "\n".join(f"{key}_token: {value}" for key, value in formats if key != "private_key")
    return {
        "app/__init__.py": "",
        "app/tokens.py": "\n".join(code) + "\n",
        "app/suppressed.py": "\n".join(suppressed) + "\n",
        "app/settings.py": "\n".join(settings) + "\n",
        "requirements.txt": (f"--extra-index-url https://deploy:{INDEX_PASSWORD}@pypi.internal.corp/simple/\n"
                             f"git+https://{VCS_TOKEN}@github.com/org/private-lib.git@v1.0#egg=private-lib\n"
                             "flask>=2\n"),
        ".env": (f"DB_PASSWORD={ENV_PASSWORD}\nGITHUB_TOKEN={TOKENS['github']}\n"
                 f"aws_secret_access_key={AWS_SECRET}\nPRIVATE_KEY=\"{TOKENS['private_key']}\"\n"
                 f"DATABASE_URL=postgresql://app:{URL_PASSWORD}@db.internal/app\n"),
        "deploy/config.yaml": config_lines + f"\nbroker: amqp://app:{URL_PASSWORD}@mq.internal//\n",
        "pyproject.toml": f'[project]\nname = "shop"\nversion = "1"\n\n[tool.deploy]\ntoken = "{TOKENS["gitlab"]}"\n',
        "deploy/config.json": json.dumps({f"{k}_token": v for k, v in formats}, indent=1) + "\n",
        "deploy/config.toml": "\n".join(f'{k}_token = "{v}"' for k, v in formats) + "\n",
        "deploy/config.ini": "[tokens]\n" + "\n".join(f"{k}_token = {v}" for k, v in formats) + "\n",
    }


def _random_part(name: str, secret: str) -> str:
    """What of a secret past its first four characters no documentation text holds."""
    if name == "private_key":
        return _PEM_BODY
    fmt = {f.key: f for f in FORMATS}.get(name)
    part = fmt.random_part(secret) if fmt is not None else secret
    return part[max(0, 4 - (len(secret) - len(part))):]


def _leaks(text: str) -> list[str]:
    """The secrets that show beyond their first four characters in ``text``: eight characters in a row of
    a secret's random part count as a leak."""
    found = []
    for name, secret in SECRETS.items():
        rest = _random_part(name, secret)
        assert len(rest) >= 8, name
        if any(rest[i:i + 8] in text for i in range(len(rest) - 7)):
            found.append(name)
    return found


def run(*args: str):
    return CliRunner().invoke(cli, list(with_preview(args)), catch_exceptions=False)


@pytest.fixture
def planted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, _project())
    return tmp_path


def test_every_planted_secret_is_detected(planted):
    """The test below is only as good as this: each credential must be a finding somewhere."""
    findings = json.loads(run("check", "--no-cache", "--format", "json").stdout)["findings"]
    tokens_found = [f for f in findings if f["code"] == "BP101" and f["path"] == "deploy/config.yaml"]
    assert len(tokens_found) == len(TOKENS) - 1  # the private key is not in the YAML file
    python_lines = {f["line"] for f in findings if f["code"] == "BP101" and f["path"] == "app/tokens.py"}
    assert python_lines == set(range(3, 3 + len(TOKENS)))
    codes = {(f["path"], f["line"], f["code"]) for f in findings}
    assert ("app/settings.py", 1, "BP101") in codes and ("app/settings.py", 2, "BP101") in codes
    assert ("app/settings.py", 3, "BP102") in codes
    assert ("requirements.txt", 1, "BP205") in codes and ("requirements.txt", 2, "BP201") in codes
    suppressed = {f["line"] for f in findings if f["path"] == "app/suppressed.py"}
    assert suppressed == set(range(1, 1 + len(TOKENS)))  # BP601 on every line, BP101 suppressed
    assert not any(f["code"] == "BP101" and f["path"] == "app/suppressed.py" for f in findings)
    assert {f["line"] for f in findings if f["path"] == ".env" and f["code"] == "BP101"} >= {2, 3, 4}
    assert ("pyproject.toml", 6, "BP101") in codes


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_no_secret_in_any_report_format(planted, fmt):
    result = run("check", "--format", fmt, "--no-color")
    assert result.exit_code == 1, result.output
    assert not _leaks(result.output), (fmt, _leaks(result.output))
    assert "****" in result.output or fmt != "text"  # the text report shows masked excerpts
    statistics = run("check", "--format", fmt, "--statistics") if fmt in ("text", "json") else None
    if statistics is not None:
        assert not _leaks(statistics.output), (fmt, _leaks(statistics.output))


def test_no_secret_in_the_cache_nor_the_baseline(planted):
    run("check", "--format", "json")
    run("check", "--format", "json")  # the second run is served from the last scan's result
    assert run("baseline", "-o", "baseline.json").exit_code == 0
    stored = [p for p in (planted / ".bplint_cache").rglob("*") if p.is_file()]
    assert stored
    for path in [*stored, planted / "baseline.json"]:
        text = path.read_bytes().decode("latin-1")
        assert not _leaks(text), (path.name, _leaks(text))


def test_text_excerpts_mask_secrets_of_suppressed_and_other_rules(planted):
    output = run("check", "--select", "BP201,BP205,BP601,BP101,BP102", "--no-color").output
    lines = output.splitlines()
    index_line = next(line for line in lines if "--extra-index-url" in line and "|" in line)
    assert f"//deploy:{INDEX_PASSWORD[:4]}{'*' * (len(INDEX_PASSWORD) - 4)}@" in index_line, index_line
    vcs_line = next(line for line in lines if "git+https://" in line and "|" in line)
    assert VCS_TOKEN[:4] + "*" * (len(VCS_TOKEN) - 4) in vcs_line
    suppressed_line = next(line for line in lines if "API_PASSWORD = " in line and "|" in line)
    assert SUPPRESSED[:4] + "*" * (len(SUPPRESSED) - 4) in suppressed_line


def test_a_rule_that_quotes_a_secret_in_its_message_is_masked(tmp_path):
    from bplint.config import build_config
    from bplint.report.findings import Severity
    from bplint.rule import PythonRule
    from bplint.scan.engine import scan
    from bplint.scan.registry import all_rules

    class QuotesStrings(PythonRule):
        code, name, category, severity = "BP994", "test-quotes-strings", "test", Severity.INFO
        summary = what = why = how_to_fix = bad = good = "x"
        fix_applicability = "safe"

        def visit_SimpleString(self, node):
            self.report(node, f"the string {node.value[1:-1]} is here",
                        fix=self.fix(f"drop {node.value}", self.replace(node, f"{node.value} + {node.value}")))
            self.report(node, "a string", fix=self.fix(f"drop {node.value}", self.replace(node, "None")))

    write_project(tmp_path, {"app.py": f'TOKEN = "{TOKENS["github"]}"\n'})
    config = build_config({"select": ["BP101", "BP994"]}, (*all_rules(), QuotesStrings), root=tmp_path)
    findings = scan([tmp_path], config, cwd=tmp_path).findings
    quoted = [f for f in findings if f.code == "BP994"]
    assert quoted and all(not _leaks(f.message) for f in quoted), quoted
    # a fix whose edit would quote the secret is dropped (an edit is applied as it is, so it cannot be masked)
    secret_fixes = [f.fix for f in quoted if TOKENS["github"][:4] in f.message]
    assert secret_fixes == [None]
    kept = [f.fix for f in quoted if f.message == "a string"]
    assert len(kept) == 1 and kept[0].edits[0].content == "None" and not _leaks(kept[0].message)
    assert TOKENS["github"][:4] + "*" in kept[0].message
    assert TOKENS["github"][:4] + "*" * (len(TOKENS["github"]) - 4) in \
        next(f for f in quoted if f.message.startswith("the string")).message


def test_masks_survive_the_last_scan_result(planted):
    first = run("check", "--no-color").output
    second = run("check", "--no-color").output  # served from the last scan's result
    assert second == first
    assert SUPPRESSED[:4] + "*" * (len(SUPPRESSED) - 4) in second and not _leaks(second)


def test_url_passwords_are_masked_whichever_rules_ran(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, {"app.py": f'print("https://deploy:{URL_PASSWORD}@internal.corp/")\n'})
    output = run("check", "--select", "BP601", "--no-color", "--no-cache").output
    assert "BP601" in output and "BP102" not in output
    assert URL_PASSWORD not in output and "deploy:" not in output.split("|", 1)[1].split("\n", 1)[0], output
    assert not _leaks(output)


@pytest.mark.parametrize("selection", [["--extend-select", "BP406"], ["--select", "BP406"],
                                       ["--extend-select", "BP406", "--ignore", "BP101"]],
                         ids=["default", "other-rule-only", "detector-ignored"])
def test_secrets_are_masked_when_their_own_rule_is_not_reported(tmp_path, monkeypatch, selection):
    """A finding of another rule shows a line that holds a key; the key is masked even when the
    rule that finds keys is off (in the preview tier, deselected or ignored)."""
    monkeypatch.chdir(tmp_path)
    line = f'STARTED = datetime.utcnow(); AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
    write_project(tmp_path, {"app.py": "from datetime import datetime\n\nfrom flask import Flask\n\n"
                                       "app = Flask(__name__)\n" + line})
    result = CliRunner().invoke(cli, ["check", "--no-color", "--no-cache", *selection], catch_exceptions=False)
    assert "BP406" in result.output and "BP101" not in result.output, result.output
    assert f'"{AWS_SECRET[:4]}*' in result.output and AWS_SECRET not in result.output, result.output
    for fmt in ("json", "sarif", "github", "gitlab"):
        output = CliRunner().invoke(cli, ["check", "--no-cache", "--format", fmt, *selection]).output
        assert AWS_SECRET not in output, fmt
    findings = json.loads(CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", *selection]).stdout)
    assert "BP101" not in {f["code"] for f in findings["findings"]}
