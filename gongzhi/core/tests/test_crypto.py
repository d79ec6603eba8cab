import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core import crypto
from gongzhi.core.crypto import AES_256_GCM, SM4_GCM, DecryptionError, Keyring


@pytest.fixture(params=[AES_256_GCM, SM4_GCM])
def ring(request) -> Keyring:
    return Keyring.generate(request.param)


@given(text=st.text(min_size=0, max_size=200))
def test_aes_round_trip_returns_the_plaintext(text):
    ring = Keyring.generate(AES_256_GCM)
    assert ring.decrypt(ring.encrypt(text, "person.phone"), "person.phone") == text


@given(text=st.text(min_size=0, max_size=200))
def test_sm4_round_trip_returns_the_plaintext(text):
    ring = Keyring.generate(SM4_GCM)
    assert ring.decrypt(ring.encrypt(text, "person.phone"), "person.phone") == text


def test_token_names_its_key_and_hides_the_value(ring):
    token = ring.encrypt("13812345678", "person.phone")
    assert token.startswith(ring.active + ":")
    assert "13812345678" not in token


def test_same_value_encrypts_differently_each_time(ring):
    assert ring.encrypt("x", "p") != ring.encrypt("x", "p")


def test_token_moved_to_another_field_does_not_decrypt(ring):
    token = ring.encrypt("420102199001011234", "person.id_number")
    with pytest.raises(DecryptionError):
        ring.decrypt(token, "person.phone")


def test_tampered_token_does_not_decrypt(ring):
    token = ring.encrypt("13812345678", "person.phone")
    key_id, body = token.split(":")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(DecryptionError):
        ring.decrypt(f"{key_id}:{flipped}", "person.phone")


def test_unknown_key_id_is_a_decryption_error(ring):
    with pytest.raises(DecryptionError):
        ring.decrypt("nokey:AAAA", "person.phone")


def test_old_tokens_stay_readable_after_rotation(ring):
    old = ring.encrypt("13812345678", "person.phone")
    rotated = ring.with_new_active_key(AES_256_GCM)
    assert rotated.active != ring.active
    assert rotated.decrypt(old, "person.phone") == "13812345678"
    assert rotated.encrypt("x", "p").startswith(rotated.active + ":")


def test_a_keyring_can_mix_sm4_and_aes_keys():
    ring = Keyring.generate(SM4_GCM)
    old = ring.encrypt("value", "p")
    mixed = ring.with_new_active_key(AES_256_GCM)
    assert {k.algorithm for k in mixed.keys.values()} == {SM4_GCM, AES_256_GCM}
    assert mixed.decrypt(old, "p") == "value"


def test_blind_index_is_equal_for_equal_values_and_keyed(ring):
    other = Keyring.generate(AES_256_GCM)
    a = ring.blind_index("13812345678", "person.phone")
    assert a == ring.blind_index("13812345678", "person.phone")
    assert a != ring.blind_index("13812345679", "person.phone")
    assert a != ring.blind_index("13812345678", "person.id_number")
    assert a != other.blind_index("13812345678", "person.phone")
    assert len(a) == crypto.INDEX_HEX_CHARS


def test_blind_index_is_the_hmac_of_purpose_and_value(ring):
    # The per-purpose state reused for speed must give the plain HMAC every time, in any
    # order of purposes (a reused state that was finalised, or mixed up, would not).
    import hashlib
    import hmac as stdlib_hmac

    name = "sm3" if ring.index_hash == "sm3" else "sha256"
    for value, purpose in [("a", "p"), ("b", "q"), ("a", "p"), ("", "p"), ("张三", "q")]:
        expected = stdlib_hmac.new(
            ring.index_key, purpose.encode() + b"\x00" + value.encode(), name
        ).hexdigest()[: crypto.INDEX_HEX_CHARS]
        assert name in hashlib.algorithms_available
        assert ring.blind_index(value, purpose) == expected


def test_sm4_keyring_uses_hmac_sm3_for_indexes():
    ring = Keyring.generate(SM4_GCM)
    assert ring.index_hash == "sm3"
    sha = Keyring(active=ring.active, keys=ring.keys, index_key=ring.index_key)
    assert ring.blind_index("x", "p") != sha.blind_index("x", "p")


def test_keyring_survives_serialisation(ring):
    again = Keyring.from_dict(json.loads(json.dumps(ring.to_dict())))
    assert again.decrypt(ring.encrypt("x", "p"), "p") == "x"
    assert again.blind_index("x", "p") == ring.blind_index("x", "p")


def test_keyring_with_wrong_key_length_is_refused(ring):
    data = ring.to_dict()
    data["keys"][ring.active]["secret"] = "AAAA"
    with pytest.raises(ImproperlyConfigured):
        Keyring.from_dict(data)


def test_keyring_whose_active_key_is_missing_is_refused(ring):
    data = ring.to_dict()
    data["active"] = "missing"
    with pytest.raises(ImproperlyConfigured):
        Keyring.from_dict(data)


def test_keyring_file_is_written_owner_only(tmp_path, settings):
    settings.GONGZHI_KEYRING = ""
    settings.GONGZHI_KEYRING_FILE = tmp_path / "keys" / "keyring.json"
    try:
        assert crypto.ensure_keyring_file() is True
        assert crypto.ensure_keyring_file() is False
        mode = settings.GONGZHI_KEYRING_FILE.stat().st_mode & 0o777
        assert mode == 0o600
        assert (
            crypto.keyring().active in json.loads(settings.GONGZHI_KEYRING_FILE.read_text())["keys"]
        )
    finally:
        crypto.reset_keyring_cache()


def test_missing_keyring_file_is_a_clear_configuration_error(tmp_path, settings):
    settings.GONGZHI_KEYRING = ""
    settings.GONGZHI_KEYRING_FILE = tmp_path / "absent.json"
    crypto.reset_keyring_cache()
    try:
        with pytest.raises(ImproperlyConfigured, match="gongzhi keys init"):
            crypto.keyring()
    finally:
        crypto.reset_keyring_cache()


def test_chain_hash_follows_the_chosen_cipher(settings):
    settings.GONGZHI_CIPHER = SM4_GCM
    sm3 = crypto.chain_hash(b"abc")
    settings.GONGZHI_CIPHER = AES_256_GCM
    sha = crypto.chain_hash(b"abc")
    assert sm3.startswith("sm3:") and sha.startswith("sha256:")
    # SM3("abc") from GB/T 32905-2016, appendix A.
    assert sm3 == "sm3:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert crypto.verify_chain_hash(b"abc", sm3) and crypto.verify_chain_hash(b"abc", sha)
    assert not crypto.verify_chain_hash(b"abd", sm3)


def test_keyring_file_variable_is_a_path_not_an_inline_keyring(tmp_path):
    """GONGZHI_KEYRING_FILE names the file the keys command manages; settings must not
    read it as GONGZHI_KEYRING's NAME_FILE form (a missing file would crash start-up)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "GONGZHI_KEYRING_FILE": str(tmp_path / "absent.json")}
    env.pop("GONGZHI_KEYRING", None)
    code = "from django.conf import settings; print(settings.GONGZHI_KEYRING_FILE, repr(settings.GONGZHI_KEYRING))"
    out = subprocess.run(
        [sys.executable, "-m", "gongzhi", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(tmp_path / "absent.json") in out and "''" in out


def test_the_configured_cipher_is_the_one_in_use(settings, db):
    """CI runs the kernel tests once more with GONGZHI_CIPHER=sm4-gcm: make sure that run
    really encrypts with SM4 and chains the audit log with SM3."""
    from gongzhi.audit.services import audit_record

    ring = crypto.keyring()
    assert ring.keys[ring.active].algorithm == settings.GONGZHI_CIPHER
    entry = audit_record(actor=None, action="test.cipher")
    expected = "sm3:" if settings.GONGZHI_CIPHER == SM4_GCM else "sha256:"
    assert entry.hash.startswith(expected)
