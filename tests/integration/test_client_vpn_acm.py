"""community.aws.acm_certificate does what the Client VPN needs, so livestack.aws has no ACM module.

It finds the certificate by its Name tag, leaves it alone while the PEM is the same, and when the
PEM changes (a renewed certificate) re-imports it in place: same ARN, tags kept. Each step in the
amazon.aws four steps, against the emulator (whose ACM re-import follows AWS, see acm_import.py).
"""

from __future__ import annotations

from client_vpn_pki import ThrowawayPki
from support.modules import four_steps

MODULE = "community.aws.acm_certificate"


def test_acm_certificate_reimports_in_place_only_when_the_pem_changes(emulator):
    pki = ThrowawayPki("vpn.acm-test.internal")
    acm = emulator.client("acm")

    def args() -> dict:
        return {
            "name_tag": "cvpn-acm-test-server",
            "certificate": pki.pem(pki.server),
            "private_key": pki.key_pem(),
            "certificate_chain": pki.pem(pki.ca),
            "tags": {"livestack:stage": "acm-test"},
        }

    imported = four_steps(emulator, args(), MODULE).applied
    arn = imported["certificate"]["arn"]
    assert imported["certificate"]["domain_name"] == "vpn.acm-test.internal"

    pki.renew_server()
    renewed = four_steps(emulator, args(), MODULE).applied
    assert renewed["certificate"]["arn"] == arn, "re-imported in place"
    assert acm.get_certificate(CertificateArn=arn)["Certificate"].strip() == pki.pem(pki.server).strip()
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}
    assert tags == {"Name": "cvpn-acm-test-server", "livestack:stage": "acm-test"}
    assert [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]].count(arn) == 1

    four_steps(emulator, {"name_tag": "cvpn-acm-test-server", "state": "absent"}, MODULE)
    assert arn not in [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]]
