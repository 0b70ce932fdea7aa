"""ACM ImportCertificate as AWS does it for imported certificates.

moto appends its own "AWS root CA" to the chain of every certificate, imported ones included, so
GetCertificate never returns the chain that was imported and every comparison with the local PEM
(community.aws.acm_certificate's) sees a change. And moto's re-import by ARN builds a new bundle that
drops the certificate's tags, where AWS keeps them (tags cannot even be passed on a re-import).
"""

from __future__ import annotations

from moto.acm.models import AWSCertificateManagerBackend

from .. import Registry
from ..patching import patch


def register(registry: Registry) -> None:
    @patch(
        AWSCertificateManagerBackend,
        "import_certificate",
        signature="(self, certificate, private_key, chain, arn, tags)",
        requires=("_certificates",),
        why="moto appends its own root CA to an imported chain and drops the tags on a re-import by ARN",
        restores="GetCertificate returns the imported chain; a re-import keeps the certificate's tags "
        "(ACM ImportCertificate: tags cannot be passed on a re-import)",
    )
    def _(original):  # type: ignore[no-untyped-def]
        def import_certificate(self, certificate, private_key, chain, arn, tags):  # type: ignore[no-untyped-def]
            kept_tags = self._certificates[arn].tags if arn and arn in self._certificates else None
            imported_arn = original(self, certificate, private_key, chain, arn, tags)
            bundle = self._certificates[imported_arn]
            if chain:
                bundle.chain = chain if chain.endswith(b"\n") else chain + b"\n"
            if kept_tags is not None:
                bundle.tags = kept_tags
            return imported_arn

        return import_certificate
