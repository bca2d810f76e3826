"""Which names hold a secret, and which values only name one.

A name is split into lower-case word parts: on ``_``, ``-``, ``.``, spaces and
camelCase humps, so ``dbPassword``, ``DB_PASSWORD`` and ``db-password`` all
give ``["db", "password"]``. It is secret-like when a word part (or a pair of
adjacent parts such as ``api`` + ``key``) is a secret word, unless the name is
about a secret without holding one (``password_hash``, ``token_expiry``,
``TOKEN_URL``, ``PASSWORD_FIELD``, ``token_type``).

Shared by every rule family that needs to know whether a value is a credential.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

# A single word part that makes a name secret-like. Plurals count: a
# ``PASSWORDS`` mapping or ``CREDENTIALS`` tuple holds secrets as well.
SECRET_WORDS = frozenset({
    "secret", "secrets", "password", "passwords", "passwd", "pwd", "pw", "passphrase",
    "token", "tokens", "apikey", "apikeys", "accesskey", "privatekey", "secretkey",
    "credential", "credentials", "creds", "authtoken", "signingkey", "encryptionkey",
    "jwtsecret", "clientsecret",
})

# Two adjacent word parts that together make a name secret-like (``api_key``,
# ``access_key``); either part alone does not (``api_url``, ``primary_key``).
SECRET_PAIRS = frozenset({
    ("api", "key"), ("api", "keys"), ("access", "key"), ("private", "key"), ("signing", "key"),
    ("encryption", "key"), ("secret", "key"), ("auth", "key"), ("master", "key"),
})

# Secret-like only as the whole name: ``pass`` is also the start of ``passage``,
# ``passthrough``, ``pass_count``...
WHOLE_NAME_WORDS = frozenset({"pass"})

# The last word part of a name that is about a secret but does not hold one:
# its length, lifetime, hash, where it comes from, what it is called.
NON_SECRET_LAST_WORDS = frozenset({
    # derived or protected forms
    "hash", "hashed", "hashes", "hasher", "hashers", "digest",
    # sizes, limits and times
    "length", "len", "size", "min", "max", "count", "limit", "bytes", "bits", "chars",
    "expiry", "expires", "expiration", "exp", "ttl", "lifetime", "timeout", "age", "seconds",
    "minutes", "hours", "days", "delta", "at", "time", "date", "interval", "duration",
    # where it lives or comes from
    "url", "urls", "uri", "endpoint", "path", "file", "filename", "dir", "location", "host",
    "env", "var", "envvar", "variable", "setting", "settings", "source", "provider", "backend",
    "backends", "store", "storage", "cache", "table", "model", "class", "cls", "module",
    # what it is called or how it is shown
    "field", "fields", "name", "names", "label", "labels", "help", "text",
    "message", "messages", "msg", "title", "placeholder", "prompt", "template", "view",
    "form", "widget", "column", "col", "attr", "attribute", "param", "parameter", "arg",
    "header", "headers", "prefix", "suffix", "type", "types", "kind", "scheme", "format",
    "pattern", "regex", "re", "validator", "validators", "validation", "policy", "rule",
    "rules", "mode", "method", "algorithm", "algorithms", "alg", "id", "ids", "index",
    "required", "enabled", "disabled", "changed", "set", "reset", "valid", "invalid",
    "error", "errors", "strength", "hint", "mask", "masked", "char", "regexp", "serializer",
    "handler", "func", "function", "callback", "location", "sent", "used",
    "status", "state", "flag", "version", "scope", "scopes", "audience", "issuer",
    # where it is put and how it is carried
    "placement", "position", "use", "usage", "samesite", "domain", "httponly", "secure", "cookie",
    "enc", "algo", "check", "checker", "complexity",
    # the characters a secret is generated from, not a secret
    "alphabet", "alphabets", "charset", "characters", "symbols", "letters", "digits",
    # how many are spent (the tokens of a language model)
    "usage", "budget", "quota", "window", "threshold",
})

# Words before ``token``/``tokens`` that make the name a count of a language
# model's tokens (``prompt_tokens``, ``completion_tokens``, ``max_new_tokens``).
TOKEN_COUNT_WORDS = frozenset({
    "prompt", "completion", "completions", "input", "output", "total", "new", "cached", "reasoning",
    "context", "remaining", "generated", "response", "request", "reserved", "thinking",
})

# A first word part that turns the name into a question or a count.
NON_SECRET_FIRST_WORDS = frozenset({
    "is", "has", "use", "uses", "enable", "enabled", "disable", "show", "hide", "num", "n",
    "max", "min", "count", "total", "len", "require", "requires", "allow", "check", "verify",
    "validate", "should", "can", "must", "no", "skip", "with", "without", "get", "set",
    # an action on a secret (a view, URL or rate limit named after it)
    "reset", "forgot", "change", "request", "send",
    # sample values for documentation
    "example", "sample", "placeholder",
})

# Whole names that are about secrets but hold none.
NON_SECRET_NAMES = frozenset({
    "tokentype", "granttype", "tokenendpoint", "passwordhash", "pwdhash", "pwhash",
    "passwordchange", "passwordreset", "forgotpassword", "resetpassword", "changepassword",
    "tokenizer", "csrftokenname",
})

_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """``dbPassword`` -> (db, password); ``HTTPAuthToken`` -> (http, auth, token)."""
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        if chunk:
            words.extend(part.lower() for part in _HUMP.findall(chunk))
    return tuple(words)


def _normalized(name: str) -> str:
    return "".join(name_words(name))


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    n = len(part)
    return n > 0 and any(tuple(words[i:i + n]) == tuple(part) for i in range(len(words) - n + 1))


@lru_cache(maxsize=4096)
def _secret_words_in(name: str) -> bool:
    words = name_words(name)
    if not words:
        return False
    if len(words) == 1 and words[0] in WHOLE_NAME_WORDS:
        return True
    if any(word in SECRET_WORDS for word in words):
        return True
    return any(pair in SECRET_PAIRS for pair in zip(words, words[1:]))


@lru_cache(maxsize=4096)
def holds_no_secret(name: str) -> bool:
    """A name about a secret that holds none: ``password_hash``, ``TOKEN_URL``, ``is_secret``."""
    words = name_words(name)
    if not words:
        return True
    if _normalized(name) in NON_SECRET_NAMES:
        return True
    if len(words) > 1 and (words[-1] in NON_SECRET_LAST_WORDS or words[0] in NON_SECRET_FIRST_WORDS):
        return True
    if "per" in words:
        return True  # a rate: tokens_per_minute
    return any(word in ("token", "tokens") and before in TOKEN_COUNT_WORDS for before, word in zip(words, words[1:]))


def is_secret_name(name: str, extra_names: Iterable[str] = ()) -> bool:
    """True for names that hold a secret: ``SECRET_KEY``, ``dbPassword``, ``api-key``, ``pass``."""
    if holds_no_secret(name):
        return False
    if _secret_words_in(name):
        return True
    words = name_words(name)
    for extra in extra_names:
        extra_words = name_words(extra)
        if _contains(words, extra_words) or _normalized(name) == "".join(extra_words):
            return True
    return False


# The words before a final ``secret`` that make it the key of a signature
# (``JWT_SECRET``, ``SESSION_SECRET``, ``COOKIE_SECRET``).
_SIGNING_SECRET_WORDS = frozenset({"jwt", "session", "signing", "cookie", "csrf", "token", "app", "flask", "hmac"})


@lru_cache(maxsize=4096)
def is_signing_key_name(name: str) -> bool:
    """The key the application signs sessions, cookies or tokens with: ``SECRET_KEY``,
    ``secret_key``, ``JWT_SECRET_KEY``, ``WTF_CSRF_SECRET_KEY``, ``JWT_SECRET``, ``SIGNING_KEY``."""
    words = name_words(name)
    while words and words[-1].isdigit():
        words = words[:-1]  # SECRET_KEY2, SECRET_KEY_V2's number
    if holds_no_secret(name) or len(words) < 2:
        return False
    last = tuple(words[-2:])
    if last in (("secret", "key"), ("signing", "key")):
        return True
    return words[-1] == "secret" and words[-2] in _SIGNING_SECRET_WORDS


# --- values that name a secret instead of holding one -------------------------

_SNAKE_IDENTIFIER = re.compile(r"_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
_RELATIVE_PATH = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+/?")
# Stored password hashes: what a ``password_hash`` column holds, not the password.
_PASSWORD_HASH = re.compile(r"(?:pbkdf2|scrypt|argon2|bcrypt|sha1|sha256|sha512|md5|crypt)[:$_]|\$2[abxy]?\$|\$argon2"
                            r"|\$[156]\$|!", re.IGNORECASE)
# Verbs that make ``set-password`` or ``password_reset`` the name of an action.
_ACTION_WORDS = frozenset({"set", "reset", "change", "forgot", "update", "confirm", "verify", "recover",
                           "new", "lost", "obtain", "refresh", "revoke", "validate"})
_FLAG_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "required", "optional"})
# The names of field and data types (and no credential anyone uses).
TYPE_NAMES = frozenset({
    "str", "int", "integer", "float", "number", "decimal", "bool", "boolean", "url", "uri", "email",
    "date", "datetime", "timestamp", "json", "dict", "list", "array", "uuid", "bytes", "binary",
    "textarea", "checkbox", "select", "hidden",
})
_ACTED_ON_WORDS = frozenset({"password", "passwd", "token", "pw", "pwd"})
# The last word parts of a name that stores the *name* of something.
_NAMING_LAST_WORDS = frozenset({"key", "name", "field", "param", "header", "cookie", "attr", "column"})
_DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# an import reference: ``package.module:Attribute``
_IMPORT_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# a word of plain prose: letters only, maybe followed by punctuation
_PROSE_WORD = re.compile(r"[(\"'\[]*[^\W\d_]{2,}(?:[-'][^\W\d_]+)*[,.;:!?)\]'\"]*")
_FILE_PATH = re.compile(r"(?:~|\.{1,2})?/|[A-Za-z]:\\|.*\.(?:pem|key|crt|cer|der|p12|pfx|json|txt|ya?ml|"
                        r"ini|cfg|toml|env|gpg|asc|pub|jks|keystore)$", re.IGNORECASE)
# HTTP header names and auth scheme words: what an ``api_key_header`` or
# ``auth`` setting names, never a credential.
HEADER_WORDS = frozenset({
    "authorization", "proxy-authorization", "bearer", "basic", "digest", "token", "jwt", "cookie",
    "set-cookie", "www-authenticate", "http_authorization",
})
_LONG_MIXED_CHUNK = re.compile(r"(?=\S*[A-Za-z])(?=\S*\d)\S{16,}")


def names_a_field(name: str, value: str) -> bool:
    """The value is a field, key, header, setting, path or label, not a credential.

    ``password = "password"`` maps a form field; ``TOKEN_KEY = "access_token"``
    and ``SECRET_ENV = "APP_SECRET_KEY"`` name keys; ``auth = "Bearer"`` is a
    scheme; ``"/etc/app/secret.key"`` is a path; ``"Enter your password"`` is
    a label; ``"myapp.auth.backends.TokenBackend"`` is an import path.
    """
    stripped = value.strip()
    if not stripped:
        return True
    lower = stripped.lower()
    value_key = _normalized(stripped)
    if value_key and value_key == _normalized(name):
        return True
    if _SNAKE_IDENTIFIER.fullmatch(stripped) and _secret_words_in(stripped):
        return True
    words = name_words(name)
    value_words = name_words(stripped)
    if re.fullmatch(r"[A-Za-z]+", stripped) and words and words[-1] in _NAMING_LAST_WORDS:
        # PASSWORD_KEY = "password", CSRF_TOKEN_KEY = "csrftoken": the key a
        # value is stored under. SECRET_KEY and API_KEY are themselves secrets.
        pair = tuple(words[-2:])
        if pair not in SECRET_PAIRS and (value_key in _normalized(name) or len(words) > 2
                                         and stripped.isalpha() and stripped.islower()):
            # ... and PASSWORD_DETAIL_KEY = "registrationcode": the name of a key
            return True
    if re.fullmatch(r"[a-z]+(?:[-_][a-z]+){1,2}", lower) and any(
            {a, b} & _ACTION_WORDS and {a, b} & _ACTED_ON_WORDS for a, b in zip(value_words, value_words[1:])):
        return True  # "set-password", "password-reset": a view or URL segment
    if (value_key in SECRET_WORDS and stripped.isalpha() and len(words) > 1
            and not set(words) & {value_key}):
        # {"access_token": "password"}: a mapping from one field name to another
        return True
    if lower in _FLAG_VALUES:
        return True  # "usable_password": "false"
    if lower in TYPE_NAMES:
        return True  # {"secret": "url"}: the type of a field, never a password anyone uses
    if _PASSWORD_HASH.match(stripped):
        return True
    if _RELATIVE_PATH.fullmatch(stripped):
        return True
    if lower in HEADER_WORDS or lower.startswith(("x-", "http_x_")):
        return True
    if "://" in stripped:
        return True
    if _DOTTED_PATH.fullmatch(stripped) and not stripped.startswith("eyJ") and not any(c.isdigit() for c in stripped):
        return True
    if _IMPORT_REFERENCE.fullmatch(stripped) and "." in stripped:
        return True  # "myapp.tests.factories:ApiToken"
    if _FILE_PATH.match(stripped) and not stripped.startswith("//"):
        return True
    if stripped.endswith(":") or stripped.endswith("?"):
        return True
    if is_prose(stripped):
        return True
    return False


def is_prose(value: str) -> bool:
    """Words separated by spaces (a label, a help text), with no random-looking chunk: at
    least half of the chunks are plain words."""
    chunks = value.split()
    if " " not in value or len(chunks) < 2 or _LONG_MIXED_CHUNK.search(value):
        return False
    return 2 * sum(1 for c in chunks if _PROSE_WORD.fullmatch(c)) >= len(chunks)
