"""Signatures and tokens, with no database: round trips in both algorithms, and each way a
token fails (altered, forged, malformed, unknown key, issued after its key was retired)."""

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.points import signing
from gongzhi.points.signing import Reason

ISSUED = "2026-06-01T08:00:00Z"
_FIXED = signing.generate(signing.SM2)
# Payloads with the certificate's fields holding anything JSON holds.
_FIELDS = st.fixed_dictionaries(
    {
        name: st.one_of(
            st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=3)
        )
        for name in sorted(signing.PAYLOAD_FIELDS)
    }
)


def _payload(pair: signing.KeyPair, **changes):
    payload = {
        "v": 1,
        "serial": "ABCD-EFGH-JKLM-NPQR",
        "community_code": "421087001001",
        "community_name": "玉岭社区",
        "holder": "张*明",
        "hours": "12.5",
        "period_start": "2026-01-01",
        "period_end": "2026-05-31",
        "issued_at": ISSUED,
        "key_id": pair.key_id,
        "alg": pair.algorithm,
    }
    payload.update(changes)
    return payload


def _token(pair: signing.KeyPair, **changes) -> str:
    raw = signing.canonical(_payload(pair, **changes))
    return signing.token_of(
        raw, signing.sign(pair.algorithm, pair.private_key, pair.public_key, raw)
    )


def _public(pair: signing.KeyPair, retired_at=None) -> signing.PublicKey:
    return signing.PublicKey(pair.key_id, pair.algorithm, pair.public_key, retired_at=retired_at)


def _lookup(*keys: signing.PublicKey):
    return {key.key_id: key for key in keys}.get


def _altered(token: str, **changes) -> str:
    """The same signature over a payload with some values changed."""
    head, tail = token.split(".")
    payload = json.loads(signing.b64url_decode(head))
    payload.update(changes)
    return f"{signing.b64url(signing.canonical(payload))}.{tail}"


@pytest.fixture(params=signing.ALGORITHMS)
def pair(request) -> signing.KeyPair:
    return signing.generate(request.param)


def test_the_canonical_payload_is_sorted_compact_utf8():
    assert signing.canonical({"b": "玉岭", "a": 1}) == '{"a":1,"b":"玉岭"}'.encode()


def test_a_signed_token_verifies_with_its_key(pair):
    result = signing.verify_token(_token(pair), _lookup(_public(pair)))
    assert result.valid and result.reason == Reason.OK
    assert result.payload["hours"] == "12.5" and result.payload["alg"] == pair.algorithm


def test_the_key_id_is_the_public_key_fingerprint(pair):
    assert pair.key_id == signing.key_id_of(pair.algorithm, pair.public_key)
    assert signing.public_of(pair.algorithm, pair.private_key) == pair.public_key


def test_sm2_public_keys_are_uncompressed_points():
    pair = signing.generate(signing.SM2)
    assert len(pair.public_key) == 130 and pair.public_key.startswith("04")


def test_sm2_signatures_differ_each_time_and_all_verify():
    pair = signing.generate(signing.SM2)
    raw = b'{"a":1}'
    one = signing.sign(pair.algorithm, pair.private_key, pair.public_key, raw)
    two = signing.sign(pair.algorithm, pair.private_key, pair.public_key, raw)
    assert one != two  # a fresh secret k each time
    assert all(signing.check(pair.algorithm, pair.public_key, raw, s) for s in (one, two))


def test_changed_hours_fail_as_altered(pair):
    token = _altered(_token(pair), hours="125.0")
    result = signing.verify_token(token, _lookup(_public(pair)))
    assert not result.valid and result.reason == Reason.ALTERED


def test_a_flipped_signature_bit_fails_as_altered(pair):
    head, tail = _token(pair).split(".")
    signature = bytearray(signing.b64url_decode(tail))
    signature[5] ^= 1
    token = f"{head}.{signing.b64url(bytes(signature))}"
    assert signing.verify_token(token, _lookup(_public(pair))).reason == Reason.ALTERED


def test_a_token_forged_with_another_key_naming_the_real_one_fails(pair):
    forger = signing.generate(pair.algorithm)
    raw = signing.canonical(_payload(pair))  # claims the community's key id
    forged = signing.token_of(
        raw, signing.sign(forger.algorithm, forger.private_key, forger.public_key, raw)
    )
    result = signing.verify_token(forged, _lookup(_public(pair), _public(forger)))
    assert result.reason == Reason.ALTERED


def test_a_token_signed_by_an_unpublished_key_fails_as_unknown(pair):
    forger = signing.generate(pair.algorithm)
    result = signing.verify_token(_token(forger), _lookup(_public(pair)))
    assert result.reason == Reason.UNKNOWN_KEY


def test_a_payload_claiming_the_other_algorithm_fails(pair):
    other = signing.SM2 if pair.algorithm == signing.ED25519 else signing.ED25519
    raw = signing.canonical(_payload(pair, alg=other))
    token = signing.token_of(
        raw, signing.sign(pair.algorithm, pair.private_key, pair.public_key, raw)
    )
    assert signing.verify_token(token, _lookup(_public(pair))).reason == Reason.ALTERED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: t.replace(".", ""),  # no separator
        lambda t: t + ".x",  # three parts
        lambda t: "not a certificate",
        lambda t: "",
        lambda t: t.split(".")[0] + ".",  # no signature
        lambda t: "!!!." + t.split(".")[1],  # not base64url
        lambda t: signing.b64url(b"[1,2]") + "." + t.split(".")[1],  # not the payload's fields
        lambda t: "A" * (signing.TOKEN_MAX + 1),
    ],
)
def test_malformed_tokens_fail_as_malformed(mangle):
    pair = signing.generate(signing.ED25519)
    result = signing.verify_token(mangle(_token(pair)), _lookup(_public(pair)))
    assert result.reason == Reason.MALFORMED and result.message


def test_line_breaks_in_a_pasted_token_are_ignored():
    pair = signing.generate(signing.ED25519)
    token = _token(pair)
    wrapped = "\n".join(token[i : i + 60] for i in range(0, len(token), 60))
    assert signing.verify_token(wrapped, _lookup(_public(pair))).valid


def test_a_verify_link_gives_its_token():
    assert signing.token_from_text(" https://x.example/verify/?t=AAA.BBB ") == "AAA.BBB"
    assert signing.token_from_text("AAA.BBB") == "AAA.BBB"


def test_a_retired_key_still_verifies_what_it_signed_before():
    pair = signing.generate(signing.ED25519)
    retired = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    key = _public(pair, retired_at=retired)
    assert signing.verify_token(_token(pair), _lookup(key)).valid
    late = _token(pair, issued_at="2026-07-02T00:00:00Z")
    assert signing.verify_token(late, _lookup(key)).reason == Reason.KEY_RETIRED


def test_the_keys_file_round_trips_and_refuses_an_aliased_key_id():
    pair = signing.generate(signing.SM2)
    document = json.loads(json.dumps(signing.keys_document([_public(pair)])))
    keys = signing.keys_from_document(document)
    assert signing.verify_token(_token(pair), keys.get).valid
    other = signing.generate(signing.SM2)
    document["keys"][0]["public_key"] = other.public_key  # the id no longer matches
    with pytest.raises(ValueError):
        signing.keys_from_document(document)
    with pytest.raises(ValueError):
        signing.keys_from_document({"keys": "none"})


def test_a_deeply_nested_payload_is_malformed_not_an_error():
    pair = signing.generate(signing.ED25519)
    nested = signing.b64url(b"[" * 2500 + b"]" * 2500)
    token = f"{nested}.{signing.b64url(bytes(64))}"
    assert signing.verify_token(token, _lookup(_public(pair))).reason == Reason.MALFORMED


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda head, tail: f"{signing.b64url(head)}.{signing.b64url(tail)}",
            st.one_of(st.binary(max_size=300), st.builds(signing.canonical, _FIELDS)),
            st.binary(min_size=0, max_size=80),
        ),
    )
)
def test_any_input_gets_a_reason_never_an_error(text):
    pair = _FIXED
    result = signing.verify_token(text, _lookup(_public(pair)))
    assert result.reason in (Reason.MALFORMED, Reason.UNKNOWN_KEY, Reason.ALTERED)
