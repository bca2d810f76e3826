"""Names that hold a password (`password`, `user_pwd`) or its hash (`password_hash`).

Names are split into words (`dbPassword` -> db, password) so `passport` or
`bypass_cache` never count, and a password name that also speaks of a hash,
a reset token or a confirmation is not the password itself.
"""

from __future__ import annotations

from bplint.rules._secret_names import holds_no_secret, name_words

PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pw", "pass", "passwords"})
HASH_NAME_WORDS = frozenset({"hash", "hashed", "digest", "hashes", "encrypted", "crypted", "enc"})


def name_parts(name: str) -> tuple[str, ...]:
    return name_words(name)


def password_word(name: str) -> bool:
    """Some word of the name is a password word (`pw_hash` too; not `pass_count`)."""
    words = name_parts(name)
    if "pass" in words and len(words) > 1 and "password" not in words:
        return False  # pass_count, pass_through
    return any(w in PASSWORD_WORDS for w in words)


def hash_word(name: str) -> bool:
    return any(w in HASH_NAME_WORDS for w in name_parts(name))


def is_password_name(name: str) -> bool:
    """A name that holds a password: `password`, `user_password`, `pwd`, `passwd`.
    Not `password_hash`, `password_reset_token`, `password_changed_at`, `confirm_password`."""
    words = name_parts(name)
    if not password_word(name) or hash_word(name):
        return False
    if any(w in ("token", "reset", "salt", "key", "confirm", "confirmation", "repeat", "again", "retype",
                 "verify", "verification", "old", "current", "policy", "strength", "expired", "expires",
                 "change", "changed", "set", "forgot", "last", "updated", "date") for w in words):
        return False
    return not holds_no_secret(name) or words in (("password",), ("pwd",), ("passwd",))


def is_hash_name(name: str) -> bool:
    """`password_hash`, `hashed_password`, `pw_hash`."""
    return password_word(name) and hash_word(name)
