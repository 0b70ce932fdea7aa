"""Revocation by name ignoring case, unknown names refused, and a CRL that never drops a serial."""

from __future__ import annotations

from ansible_collections.livestack.aws.plugins.filter.client_vpn_revocation import (
    FilterModule,
    client_vpn_crl_entries,
    client_vpn_revocation,
)

ISSUED = ["/pki/clients/alice.crt", "/pki/clients/bob.crt"]


def test_a_listed_developer_stays_and_one_dropped_from_the_list_is_revoked():
    assert client_vpn_revocation(ISSUED, ["alice"], []) == {
        "active": ["alice"],
        "to_revoke": ["/pki/clients/bob.crt"],
        "unknown": [],
    }


def test_a_revoked_name_in_another_case_revokes_the_certificate():
    result = client_vpn_revocation(ISSUED, ["alice", "bob"], ["Bob"])
    assert result["active"] == ["alice"]
    assert result["to_revoke"] == ["/pki/clients/bob.crt"]
    assert result["unknown"] == []


def test_a_developer_listed_in_another_case_keeps_the_certificate_issued_to_them():
    result = client_vpn_revocation(ISSUED, ["Alice", "BOB"], [])
    assert result == {"active": ["alice", "bob"], "to_revoke": [], "unknown": []}


def test_a_new_developer_keeps_the_name_as_given():
    assert client_vpn_revocation(ISSUED, ["alice", "bob", "Carol"], [])["active"] == ["alice", "bob", "Carol"]


def test_a_revoked_name_that_matches_nobody_is_unknown():
    assert client_vpn_revocation(ISSUED, ["alice", "bob"], ["bbo", "alice"])["unknown"] == ["bbo"]


def test_a_name_revoked_earlier_is_known_by_its_revoked_file():
    result = client_vpn_revocation(["/pki/clients/alice.crt"], ["alice"], ["BOB"], ["/pki/revoked/bob-1f3a.crt"])
    assert result == {"active": ["alice"], "to_revoke": [], "unknown": []}


def test_the_crl_lists_every_revoked_file():
    files = ["/pki/revoked/bob-1f.crt", "/pki/revoked/alice-a0.crt"]
    assert client_vpn_crl_entries(files, []) == [{"path": files[1]}, {"path": files[0]}]


def test_the_crl_keeps_the_serials_of_the_previous_one_whose_files_are_gone():
    previous = [
        {"serial_number": 0x1F, "revocation_date": "20261129000000Z", "issuer": None},
        {"serial_number": 7, "revocation_date": "20261128000000Z"},
    ]
    assert client_vpn_crl_entries(["/pki/revoked/bob-1f.crt"], previous) == [
        {"path": "/pki/revoked/bob-1f.crt"},
        {"serial_number": 7, "revocation_date": "20261128000000Z"},
    ]
    assert client_vpn_crl_entries([], previous) == [
        {"serial_number": 7, "revocation_date": "20261128000000Z"},
        {"serial_number": 31, "revocation_date": "20261129000000Z"},
    ]


def test_both_filters_are_registered():
    assert set(FilterModule().filters()) == {"client_vpn_revocation", "client_vpn_crl_entries"}
