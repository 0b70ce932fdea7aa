"""ACM certificates in use by other services: ``InUseBy`` and, in strict mode, ``ResourceInUseException``.

moto lists in ``InUseBy`` only the load balancers it attaches itself and deletes any certificate. AWS lists
every resource that uses the certificate (DescribeCertificate ``InUseBy``: "A list of ARNs for the Amazon
Web Services resources that are using the certificate") and refuses DeleteCertificate while one does
(botocore acm DeleteCertificate errors: ``ResourceInUseException``, "The certificate is in use by another
Amazon Web Services service in the caller's account"). Terraform retries that refusal for 20 minutes
(terraform-provider-aws internal/service/acm/certificate.go, certificateCrossServicePropagationTimeout).

Extensions whose resources use certificates add a source to ``USERS``: a function of the certificate ARN
and the account that returns the ARNs of the resources using it (the Client VPN endpoints, deleting ones
included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.acm.models import AWSCertificateManagerBackend, CertBundle
from moto.core.exceptions import AWSError

from ... import strict
from .. import Registry
from ..patching import patch

USERS: dict[str, Callable[[str, str], list[str]]] = {}
WHY = "moto lists in InUseBy only the load balancers it attaches and deletes a certificate in use"


def users(certificate_arn: str, account_id: str) -> list[str]:
    return [arn for source in USERS.values() for arn in source(certificate_arn, account_id)]


class ResourceInUseException(AWSError):
    TYPE = "ResourceInUseException"


def register(registry: Registry) -> None:
    @patch(
        CertBundle,
        "describe",
        signature="(self)",
        requires=("in_use_by", "arn"),
        why=WHY,
        restores="DescribeCertificate InUseBy lists every resource using the certificate (Client VPN endpoints)",
    )
    def _(original_describe):  # type: ignore[no-untyped-def]
        def describe(self) -> dict[str, Any]:  # type: ignore[no-untyped-def]
            result = original_describe(self)
            account_id = self.arn.split(":")[4]
            result["Certificate"]["InUseBy"] = [*self.in_use_by, *users(self.arn, account_id)]
            return result

        return describe

    @patch(
        AWSCertificateManagerBackend,
        "delete_certificate",
        signature="(self, arn)",
        requires=("_certificates", "account_id"),
        why=WHY,
        restores="DeleteCertificate of a certificate in use answers ResourceInUseException (strict mode)",
    )
    def _(original_delete):  # type: ignore[no-untyped-def]
        def delete_certificate(self, arn: str) -> None:  # type: ignore[no-untyped-def]
            in_use = users(arn, self.account_id) if strict.current.enabled else []
            if in_use and arn in self._certificates:
                raise ResourceInUseException(f"Certificate {arn} is in use by {', '.join(in_use)}")
            original_delete(self, arn)

        return delete_certificate
