"""Well-known credential formats, and values that are only placeholders.

Each format is a prefix the issuer puts on its credentials plus the shape of
the random part. All formats are compiled into one regular expression, and a
cheap hint pattern (the prefixes alone) decides whether a text needs the full
one at all. A match must then pass its format's check: enough randomness
(Shannon entropy), no runs such as ``XXXX`` or ``abcdef`` that mark made-up
values, no ``EXAMPLE`` marker, and for JWTs a header and payload that decode
to JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text`` (0 for one repeated character)."""
    if not text:
        return 0.0
    length = len(text)
    return -sum(n / length * math.log2(n / length) for n in Counter(text).values())


_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl")


def looks_made_up(random_part: str) -> bool:
    """Runs that random credentials practically never contain: ``XXXX``, ``abcdef``, ``123456``."""
    if re.search(r"(.)\1{3,}", random_part):
        return True
    lower = random_part.lower()
    for alphabet in _SEQUENCES:
        for start in range(len(alphabet) - 5):
            if alphabet[start:start + 6] in lower:
                return True
    return "example" in lower or "sample" in lower or "dummy" in lower or "fake" in lower


@dataclass(frozen=True)
class TokenFormat:
    key: str  # regex group name
    title: str  # for messages: "a GitHub token"
    pattern: str  # the full token; the group spans exactly the credential
    min_entropy: float = 3.0
    # the part whose randomness is judged (default: the whole match)
    random_part: Callable[[str], str] = lambda token: token
    extra_check: Callable[[str], bool] | None = None


def _after(prefix_len: int) -> Callable[[str], str]:
    return lambda token: token[prefix_len:]


def _after_first(separator: str) -> Callable[[str], str]:
    return lambda token: token.split(separator, 1)[-1]


def _after_last(separator: str) -> Callable[[str], str]:
    return lambda token: token.rsplit(separator, 1)[-1]


# Token bodies must not continue into more token characters: ``(?![\w-])``.
_END = r"(?![A-Za-z0-9_-])"
_START = r"(?<![A-Za-z0-9_-])"


def _jwt_is_real(token: str) -> bool:
    """Header and payload decode to JSON objects, the header names a signing
    algorithm, there is a signature, and the payload is not the well-known
    documentation example."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[2]) < 16:
        return False
    decoded = []
    for part in parts[:2]:
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            decoded.append(json.loads(raw))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return False
    header, payload = decoded
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return False
    if str(header.get("alg", "none")).lower() == "none":
        return False
    return payload.get("name") != "John Doe" and payload.get("sub") not in ("1234567890", "1234")


def _aws_random_part(token: str) -> str:
    """The key id's characters before any padding; too few of them and it is a placeholder."""
    random_part = token[4:].rstrip("xX")
    return random_part if len(random_part) >= 8 else ""


def _discord_is_real(token: str) -> bool:
    """The first part of a bot token is the bot's numeric user id, base64-encoded."""
    first = token.split(".", 1)[0]
    try:
        user_id = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    except (binascii.Error, ValueError):
        return False
    return user_id.isdigit() and len(user_id) >= 15


FORMATS: tuple[TokenFormat, ...] = (
    # a key id whose end is padded with x (``AKIA2E0A8F3B1Cxxxxxx``) still gives away its start
    TokenFormat("aws", "an AWS access key id",
                r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])"
                r"(?:[A-Z2-7]{16}|(?=[A-Z2-7x]{16}(?![A-Za-z0-9]))[A-Z2-7]{8,15}x+)(?![A-Za-z0-9])",
                min_entropy=2.5, random_part=_aws_random_part),
    TokenFormat("github", "a GitHub token",
                _START + r"(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})" + _END,
                min_entropy=3.5, random_part=_after_first("_")),
    TokenFormat("gitlab", "a GitLab token",
                _START + r"(?:gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_-]{20,50}"
                         r"|GR1348941[A-Za-z0-9_-]{20,50})" + _END,
                min_entropy=3.3, random_part=_after_first("-")),
    TokenFormat("slack", "a Slack token",
                _START + r"(?:xox[abposre]-(?:\d+-)+[A-Za-z0-9]{8,}(?:-[A-Za-z0-9]+)*"
                         r"|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]{16,})" + _END,
                min_entropy=3.0, random_part=_after_last("-")),
    TokenFormat("slack_webhook", "a Slack webhook URL",
                r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}",
                min_entropy=3.5, random_part=_after_last("/")),
    TokenFormat("stripe", "a Stripe live key",
                _START + r"(?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{24,99}" + _END,
                min_entropy=3.5, random_part=_after_last("_")),
    TokenFormat("google", "a Google API key",
                _START + r"AIza[A-Za-z0-9_-]{35}" + _END, min_entropy=4.0, random_part=_after(4)),
    TokenFormat("openai", "an OpenAI API key",
                _START + r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74}" + _END,
                min_entropy=3.5),
    TokenFormat("anthropic", "an Anthropic API key",
                _START + r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA" + _END,
                min_entropy=3.5, random_part=_after(14)),
    TokenFormat("sendgrid", "a SendGrid API key",
                _START + r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _END, min_entropy=3.5, random_part=_after(3)),
    TokenFormat("npm", "an npm access token",
                _START + r"npm_[A-Za-z0-9]{36}" + _END, min_entropy=3.5, random_part=_after(4)),
    TokenFormat("pypi", "a PyPI upload token",
                _START + r"pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}" + _END,
                min_entropy=3.5, random_part=_after(20)),
    TokenFormat("huggingface", "a Hugging Face token",
                _START + r"hf_[A-Za-z]{34}" + _END, min_entropy=3.5, random_part=_after(3)),
    TokenFormat("azure", "an Azure AD client secret",
                _START + r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}" + _END, min_entropy=3.5),
    TokenFormat("mailchimp", "a Mailchimp API key",
                _START + r"[0-9a-f]{32}-us\d{1,2}" + _END, min_entropy=3.0),
    TokenFormat("telegram", "a Telegram bot token",
                r"(?<![\w:])\d{8,10}:AA[A-Za-z0-9_-]{33}" + _END, min_entropy=3.5, random_part=_after_first(":")),
    TokenFormat("discord", "a Discord bot token",
                _START + r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}" + _END,
                min_entropy=4.0, extra_check=_discord_is_real),
    TokenFormat("square", "a Square credential",
                _START + r"sq0(?:csp-[A-Za-z0-9_-]{43}|atp-[A-Za-z0-9_-]{22})" + _END,
                min_entropy=3.5, random_part=_after(7)),
    TokenFormat("django", "Django's generated development secret key",
                r"django-insecure-[^\s'\"]{20,}", min_entropy=3.5, random_part=_after(16)),
    TokenFormat("jwt", "a signed JSON Web Token",
                _START + r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}" + _END,
                min_entropy=3.0, extra_check=_jwt_is_real),
    TokenFormat("private_key", "a private key",
                r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d: ",
                min_entropy=0.0),
)

BY_KEY = {f.key: f for f in FORMATS}
TOKEN_RE = re.compile("|".join(f"(?P<{f.key}>{f.pattern})" for f in FORMATS))

# Cheap first look: the fixed prefixes only. A text without any of them
# cannot hold a token, and most string literals have none.
TOKEN_HINT = re.compile(
    r"AKIA|ASIA|ABIA|ACCA|A3T|gh[pousr]_|github_pat_|gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941"
    r"|xox[abposre]-|xapp-|hooks\.slack\.com|[sr]k_(?:live|prod)_|AIza|T3BlbkFJ|sk-ant-|SG\.|npm_|pypi-Ag"
    r"|hf_|\dQ~|-us\d|\d:AA|sq0|django-insecure-|eyJ|PRIVATE KEY|PuTTY-User-Key"
    r"|[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.")  # a Discord token's first two parts, not a dotted name

# In a long text (a translation catalogue, a bundled script), the full pattern runs only around the
# hints: a token starts at most TOKEN_BEFORE characters before its hint and ends within TOKEN_AFTER
# after it (a private key's block is followed to its end separately).
LONG_TEXT = 32_768
TOKEN_BEFORE, TOKEN_AFTER = 256, 16_384

_PEM_BODY_CHARS = re.compile(r"[A-Za-z0-9+/=]")
# the lines of a key block: base64 lines and the headers of an encrypted key
_PEM_LINES = re.compile(r"(?:[ \t]*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment): [^\n\\\\]*)?[ \t]*"
                        r"(?:\\r)?(?:\r?\n|\\n|$))*")
_PEM_END = re.compile(r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|Private-MAC: ")
# a private key body is at least this many base64 characters (a real one is hundreds)
MIN_PRIVATE_KEY_BODY = 64


@dataclass(frozen=True)
class TokenMatch:
    format: TokenFormat
    start: int
    end: int
    value: str

    @property
    def title(self) -> str:
        return self.format.title


def find_tokens(text: str, allowed: frozenset[str] = frozenset()) -> Iterator[TokenMatch]:
    """The credentials of a well-known format in ``text``, look-alikes left out."""
    if not TOKEN_HINT.search(text):
        return
    for match in _candidates(text):
        key = match.lastgroup
        if key is None:
            continue
        fmt = BY_KEY[key]
        start, end = match.span()
        value = match.group()
        if fmt.key == "private_key":
            block_end = _private_key_end(text, end)
            if block_end is None:
                continue
            end = block_end
            value = text[start:end]
        elif not _credible(fmt, value):
            continue
        if value in allowed:
            continue
        yield TokenMatch(fmt, start, end, value)


def _candidates(text: str) -> Iterator[re.Match]:
    """TOKEN_RE's matches in ``text``: over the whole of a short text, around the hints of a long one."""
    if len(text) <= LONG_TEXT:
        yield from TOKEN_RE.finditer(text)
        return
    windows: list[list[int]] = []
    for hint in TOKEN_HINT.finditer(text):
        start, end = max(0, hint.start() - TOKEN_BEFORE), min(len(text), hint.end() + TOKEN_AFTER)
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    done = 0  # where the last match ended: windows never yield a match twice
    for start, end in windows:
        for match in TOKEN_RE.finditer(text, max(start, done), end):
            yield match
            done = match.end()


def _credible(fmt: TokenFormat, token: str) -> bool:
    if token.upper().endswith("EXAMPLE"):
        return False
    random_part = fmt.random_part(token)
    if shannon_entropy(random_part) < fmt.min_entropy or looks_made_up(random_part):
        return False
    return fmt.extra_check is None or fmt.extra_check(token)


def _private_key_end(text: str, body_start: int) -> int | None:
    """Where a private key block ends, when its body is long enough to be a real key."""
    trailer = _PEM_END.search(text, body_start)
    limit = trailer.start() if trailer else min(len(text), body_start + 20_000)
    body = text[body_start:limit]
    if body.lstrip(" \t").startswith(("...", "\u2026")):
        return None  # "-----BEGIN RSA PRIVATE KEY-----...": a key left out of an example
    if trailer is None:
        # no trailer: only the block of key lines right after the header counts
        body = _PEM_LINES.match(body).group()
        limit = body_start + len(body)
    # escaped newlines (``\\n`` inside JSON or a Python literal's source) are not key data
    body = body.replace("\\n", "\n").replace("\\r", "\r")
    key_chars = "".join(_PEM_BODY_CHARS.findall(body))
    # (no run check here: DER and OpenSSH bodies legitimately hold runs of "A")
    if len(key_chars) < MIN_PRIVATE_KEY_BODY or shannon_entropy(key_chars) < 4.0:
        return None
    return trailer.end() if trailer else limit


def preview(value: str) -> str:
    """At most the first four characters, and at most a third of a short value."""
    head = value[:4] if len(value) >= 8 else value[:len(value) // 3]
    head = "".join(c if c.isprintable() and c not in "`\\" else "?" for c in head)
    return f"{head}..."


def masked(value: str) -> str:
    """How a message shows a secret: ```abcd...``` and, for a short one, its length
    (```s...`, 6 characters``), so that a masked value never reads as an empty one."""
    shown = f"`{preview(value)}`"
    return shown if len(value) >= 8 else f"{shown}, {len(value)} character{'s' if len(value) != 1 else ''}"


# --- placeholders ---------------------------------------------------------------

# What counts as a placeholder (a value nobody can run with, so not a secret):
# * a template reference: ``${SECRET}``, ``$SECRET``, ``{password}``, ``{{ token }}``,
#   ``%(password)s``, ``%s``, ``<your-key>``, ``[API_KEY]``;
# * one character repeated, or dots: ``xxx``, ``****``, ``...``, ``-``;
# * words that say "put yours here": ``your-secret-here``, ``your_api_key``,
#   ``<insert token>``, ``replace-with-your-key``, ``placeholder``, ``todo``,
#   ``redacted``, ``none``/``null``/``undefined``, values containing ``example``.
# NOT placeholders: ``changeme``, ``secret``, ``password``, ``dev-secret``,
# ``test``: applications run with these, so they are hardcoded secrets.
# references that a template engine, the shell or a deploy step substitutes before use
_SUBSTITUTED = re.compile(
    r"\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*$|\{\{.*\}\}|\{[\w.\[\]-]*\}|%\([\w.-]+\)[sdr]|%[sdr]\b|^__[A-Z_]+__$")
_TEMPLATE = re.compile(_SUBSTITUTED.pattern + r"|^<[^<>]+>$|^\[[A-Z_ -]+\]$")
_PLACEHOLDER_WORDS = re.compile(
    r"^your[\W_]|[\W_]here$|^yourpassword$|^yoursecret|^yourtoken|^yourkey|^insert[\W_]|^put[\W_]"
    r"|^replace[\W_](?:with|this|me)|^enter[\W_]|placeholder|^todo\b|^fixme\b|^tbd$|redacted"
    r"|^(?:none|null|nil|undefined|n/a|na|empty|unset|notset|not[\W_]set|missing)$|example",
    re.IGNORECASE)


def is_template(value: str) -> bool:
    """A reference that is substituted before the value is used: ``${SECRET}``, ``{{ secret }}``,
    ``%(secret)s``, ``__SECRET__``. What runs is the substituted value, not this one."""
    return bool(_SUBSTITUTED.search(value.strip()))


# Words that guessable keys are made of (``super secret key``, ``test-secret-change-me``).
_WEAK_WORDS = frozenset({
    "secret", "secrets", "key", "keys", "password", "passwd", "pass", "pwd", "token", "change", "changeme",
    "me", "this", "test", "testing", "dev", "development", "default", "guess", "admin", "insecure", "unsafe",
    "local", "debug", "super", "my", "app", "your", "here", "dummy", "sample", "demo", "temp", "not",
    "hard", "really", "very", "session", "jwt", "flask", "django", "build", "time", "please", "mysecret",
    "secretkey", "qwerty", "letmein", "foo", "bar", "baz", "abc", "default", "string", "value",
})
_CHUNK = re.compile(r"[A-Za-z]+|\d+")


def is_weak(value: str) -> bool:
    """A value anyone can guess: a placeholder, a short value, a run (``aaaaaaa``), low
    randomness, or words (``super secret key``, ``reallyhardtoguess``, ``test-secret-2024``)."""
    stripped = value.strip()
    if is_placeholder(stripped) or len(stripped) < 8:
        return True
    if looks_made_up(stripped) or shannon_entropy(stripped) < 3.0:
        return True
    chunks = _CHUNK.findall(stripped)
    if len("".join(chunks)) < len(stripped.replace("-", "").replace("_", "").replace(" ", "")):
        return False  # punctuation beyond separators: random-looking
    words = [c for c in chunks if not (c.isdigit() and len(c) <= 4)]
    if (not words or not all(c.isalpha() for c in words) or sum(len(c) == 1 for c in words) > 1
            or len(words) > len(stripped) / 3):
        return False  # letters and digits mixed up: random-looking
    lower = [w.lower() for w in words]
    return all(w.islower() for w in words) or any(w in _WEAK_WORDS for w in lower)


def is_placeholder(value: str, allowed: frozenset[str] = frozenset()) -> bool:
    """A value that stands for a secret without being one (see the list above)."""
    stripped = value.strip()
    if not stripped or stripped in allowed:
        return True
    if len(set(stripped)) == 1:
        return True
    if not any(c.isalnum() for c in stripped):
        return True
    return bool(_TEMPLATE.search(stripped) or _PLACEHOLDER_WORDS.search(stripped))


# --- credentials inside connection URLs -------------------------------------------

_WHOLE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
# RFC 2606 documentation hosts: a URL pointing there is an example
_EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")


@dataclass(frozen=True)
class UrlCredential:
    scheme: str
    username: str
    host: str
    password: str

    def masked(self) -> str:
        """``postgresql://app:****@db.internal``: the password never shows."""
        user = self.username if len(self.username) <= 24 else self.username[:4] + "..."
        return f"{self.scheme}://{user}:****@{self.host}"


def _ports_are_numbers(netloc: str) -> bool:
    """False for ``user:password@host:port``: a URL template written out in words."""
    hosts = netloc.rsplit("@", 1)[-1]
    for host in hosts.split(","):
        host = host.rsplit("]", 1)[-1]  # an IPv6 address in brackets
        if ":" in host and not host.rsplit(":", 1)[1].isdigit() and host.rsplit(":", 1)[1] != "":
            return False
    return True


def url_password(value: str, allowed: frozenset[str] = frozenset()) -> UrlCredential | None:
    """The password of a URL literal (``scheme://user:password@host``), when it is a real one.

    The literal must be the URL itself (prose that mentions a URL is
    documentation); ``sqlite:`` URLs have no password, ``${DB_PASSWORD}``,
    ``{password}``, ``%(password)s`` and the like are templates.
    """
    text = value.strip()
    if "@" not in text or not _WHOLE_URL.fullmatch(text):
        return None
    try:
        parts = urlsplit(text)
        password = parts.password
        username = parts.username or ""
        host = parts.hostname or ""
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not password or scheme.startswith("sqlite") or not _ports_are_numbers(parts.netloc):
        return None
    password = unquote(password)
    if is_placeholder(password, allowed):
        return None
    if host in _EXAMPLE_HOSTS or host.endswith(tuple("." + h for h in _EXAMPLE_HOSTS)) or host.endswith(".example"):
        return None
    return UrlCredential(scheme, unquote(username), host, password)
