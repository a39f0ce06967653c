"""The hasher of one-time code secrets (portal.codes).

A code's secret is 10 random characters from a 31-letter alphabet (about 50 bits), it
expires within days and locks after a few wrong tries, so it needs far fewer PBKDF2
rounds than a password a person chose: printing 1,400 letters must not take minutes.
Listed after the password hashers in PASSWORD_HASHERS, so passwords never use it.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CodeHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_code"
    iterations = 5_000
