"""Secrets at rest: encrypted with the newest key, readable with any configured key."""
import pytest
from cryptography.fernet import Fernet

from extension.crypto import Vault


def test_ciphertext_never_contains_the_plaintext_and_round_trips():
    vault = Vault([Fernet.generate_key().decode()])
    secret = "s3cr3t-refresh-token-value"
    stored = vault.encrypt(secret)
    assert secret not in stored
    assert vault.decrypt(stored) == secret


def test_a_rotated_key_list_reads_old_secrets_and_rewrites_them_with_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = Vault([old]).encrypt("token")
    rotated_vault = Vault([new, old])
    rewritten = rotated_vault.rotate(stored)
    assert Vault([new]).decrypt(rewritten) == "token"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Vault([new]).decrypt(stored)


def test_an_invalid_key_is_named_as_such():
    with pytest.raises(ValueError, match="ENCRYPTION_KEYS holds an invalid key"):
        Vault(["not-a-key"])
    with pytest.raises(ValueError, match="ENCRYPTION_KEYS is empty"):
        Vault([])
