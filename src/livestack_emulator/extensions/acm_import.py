"""ACM ImportCertificate as AWS does it for imported certificates.

moto appends its own "AWS root CA" to the chain of every certificate, imported ones included, so
GetCertificate never returns the chain that was imported and every comparison with the local PEM
(community.aws.acm_certificate's) sees a change. And moto's re-import by ARN builds a new bundle that
drops the certificate's tags, where AWS keeps them (tags cannot even be passed on a re-import).
"""

from __future__ import annotations

from moto.acm.models import AWSCertificateManagerBackend

from . import Registry

_PATCHED = "_livestack_import_patched"


def register(registry: Registry) -> None:
    if getattr(AWSCertificateManagerBackend, _PATCHED, False):
        return
    original = AWSCertificateManagerBackend.import_certificate

    def import_certificate(self, certificate, private_key, chain, arn, tags):  # type: ignore[no-untyped-def]
        kept_tags = self._certificates[arn].tags if arn and arn in self._certificates else None
        imported_arn = original(self, certificate, private_key, chain, arn, tags)
        bundle = self._certificates[imported_arn]
        if chain:
            bundle.chain = chain if chain.endswith(b"\n") else chain + b"\n"
        if kept_tags is not None:
            bundle.tags = kept_tags
        return imported_arn

    AWSCertificateManagerBackend.import_certificate = import_certificate
    setattr(AWSCertificateManagerBackend, _PATCHED, True)
