"""The password hasher: Argon2id at OWASP's recommended minimum (Password Storage Cheat Sheet).

m = 19 MiB, t = 2 iterations, p = 1: memory-hard, so guessing on GPUs gains little, and a check
costs tens of milliseconds of one core, where Django's PBKDF2 default costs hundreds. Hashes
made with other parameters or hashers are re-hashed with these at the next successful login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    # Django's Argon2 hasher is Argon2id; only its cost parameters differ from these.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
