"""Strict mode: where moto is lenient, the emulator does what AWS does. On by default.

In strict mode the demo and every test meet AWS's own refusals and transitional states (each with its
source, next to the code that does it); lenient mode keeps moto's leniency, for speed where a test needs
it and for comparison:

    python -m livestack_emulator                       # strict
    python -m livestack_emulator --lenient             # lenient (or LIVESTACK_EMULATOR_STRICT=off)
    LIVESTACK_EMULATOR_STRICT='{"client_vpn_endpoint_deletion": 5}' python -m livestack_emulator
    LIVESTACK_EMULATOR_STRICT='{"vpcs_per_region": 2}' python -m livestack_emulator

A state that AWS keeps for a while is kept at least ``seconds(kind)`` wall seconds in strict mode, even
with realistic timing off (``timing.Timing.seconds`` takes the larger of the two), so that a client meets
it and must wait. Per-region quotas (``quota(kind)``) are AWS's defaults. The JSON form sets those windows
and quotas. ``GET /_livestack/health`` reports the mode, the windows, the quotas and the behaviours
(``BEHAVIOURS``: one line each; a later behaviour adds its line and asks ``strict.current.enabled``).
"""

from __future__ import annotations

import json
import os

ENVIRONMENT = "LIVESTACK_EMULATOR_STRICT"

# Wall seconds a transitional state lasts at least in strict mode.
SECONDS = {
    "client_vpn_endpoint_deletion": 2.0,
    # extensions/patches/iam_propagation.py (Lambda and RDS Proxy), patches/lambda_strict.py: Lambda states, VPC
    # functions' network interfaces.
    "iam_propagation": 3.0,
    "lambda_pending": 1.0,
    "lambda_pending_vpc": 3.0,
    "lambda_update": 1.0,
    "lambda_eni_deletion": 3.0,
    # extensions/apis/rds_proxy.py, patches/rds_cluster_instances.py: a new DB instance stays "creating" and a new
    # RDS Proxy "creating" (the same kinds as timing.AWS_MINUTES, so the data plane opens with them).
    "serverless_instance": 1.0,
    "proxy": 1.0,
}

# Per-region quotas in strict mode: AWS's defaults (Amazon VPC quotas, "VPCs per Region", the default VPC
# included; Amazon EC2 "EC2-VPC Elastic IPs"; AWS Client VPN quotas, "Client VPN endpoints per Region").
QUOTAS = {
    "vpcs_per_region": 5,
    "elastic_ips_per_region": 5,
    "client_vpn_endpoints_per_region": 5,
}

BEHAVIOURS = {
    "client_vpn_endpoint_deleting": (
        "DeleteClientVpnEndpoint answers 'deleting'; the endpoint stays so a while, then is gone "
        "(terraform-provider-aws internal/service/ec2/wait.go waitClientVPNEndpointDeleted)"
    ),
    "acm_certificate_in_use": (
        "DeleteCertificate of a certificate an endpoint uses (deleting included) answers ResourceInUseException "
        "(botocore acm DeleteCertificate errors; terraform-provider-aws internal/service/acm/certificate.go)"
    ),
    "s3_bucket_names": (
        "CreateBucket of a name that breaks S3's naming rules answers InvalidBucketName; bucket names are global "
        "across the emulator's accounts: BucketAlreadyExists (another account), BucketAlreadyOwnedByYou (S3 User "
        "Guide, General purpose bucket naming rules; S3 API CreateBucket errors)"
    ),
    "iam_lambda_name_lengths": (
        "CreateRole of a name over 64 characters answers ValidationError, CreateFunction of a function name over "
        "64 InvalidParameterValueException, both '1 validation error detected' (botocore iam roleNameType; Lambda "
        "CreateFunction FunctionName: 'If you specify only the function name, it is limited to 64 characters')"
    ),
    "region_quotas": (
        "CreateVpc, AllocateAddress and CreateClientVpnEndpoint past the region's quota answer VpcLimitExceeded, "
        "AddressLimitExceeded and ClientVpnEndpointLimitExceeded; Service Quotas GetServiceQuota answers them "
        "(Amazon VPC quotas, Amazon EC2 Elastic IP quotas, AWS Client VPN quotas, EC2 API error codes)"
    ),
    "iam_propagation": (
        "a role created or whose policies changed within iam_propagation seconds: CreateFunction and "
        "UpdateFunctionConfiguration answer InvalidParameterValueException 'The role defined for the function cannot "
        "be assumed by Lambda.', for a VPC function 'The provided execution role does not have permissions to call "
        "CreateNetworkInterface on EC2' (terraform-provider-aws internal/service/lambda/function.go retryFunctionOp)"
    ),
    "rds_proxy_iam_propagation": (
        "a proxy whose role was created or whose policies changed within iam_propagation seconds: CreateDBProxy and "
        "RegisterDBProxyTargets succeed, DescribeDBProxyTargets reports its targets UNAVAILABLE, AUTH_FAILURE 'Proxy "
        "does not have any registered credentials' until the window has passed (RDS User Guide, 'Troubleshooting for "
        "RDS Proxy'; botocore rds TargetHealthReason; no IAM fault in CreateDBProxy's error list)"
    ),
    "lambda_states": (
        "a new function is Pending (lambda_pending, lambda_pending_vpc) then Active; an update leaves LastUpdateStatus "
        "InProgress (lambda_update) then Successful; meanwhile updates, AddPermission and Invoke of a Pending function "
        "answer ResourceConflictException (AWS Lambda developer guide, 'Lambda function states')"
    ),
    "lambda_vpc_interfaces": (
        "a VPC function has a requester-managed interface (InterfaceType lambda) per subnet; after DeleteFunction they "
        "go lambda_eni_deletion seconds later, only while the function's role exists; until then DeleteSecurityGroup "
        "and DeleteSubnet answer DependencyViolation "
        "(terraform-provider-aws internal/service/ec2/vpc_security_group.go)"
    ),
    "rds_proxy_state": (
        "a proxy not available (creating for the proxy window after CreateDBProxy): ModifyDBProxy, "
        "ModifyDBProxyTargetGroup, RegisterDBProxyTargets and DeregisterDBProxyTargets answer InvalidDBProxyStateFault "
        "(botocore rds errors of those operations; terraform-provider-aws internal/service/rds/proxy.go "
        "waitDBProxyCreated)"
    ),
    "rds_proxy_target_state": (
        "RegisterDBProxyTargets of an instance (or a cluster's member) that is creating (the serverless_instance "
        "window) answers InvalidDBInstanceState 'DB Instance <id> is in an unsupported state - CREATING, needs to be "
        "in [AVAILABLE, MODIFYING, BACKING_UP]'; of a cluster creating, InvalidDBClusterStateFault "
        "(terraform-provider-aws internal/service/rds/proxy_target.go and its PR #19096)"
    ),
    "rds_instance_in_creating_cluster": (
        "CreateDBInstance in an Aurora cluster that is still creating is accepted (the console's Create database "
        "requests both at once); the instance stays creating until the cluster is available (Aurora User Guide, "
        "'Creating a DB cluster that uses Aurora Serverless v2'; docs/aurora-critical-path.md)"
    ),
    "rds_serverless_v2_scaling_first": (
        "CreateDBInstance of a db.serverless instance in a cluster without ServerlessV2ScalingConfiguration answers "
        "InvalidDBClusterStateFault 'Set the Serverless v2 scaling configuration on the parent DB cluster before "
        "creating a Serverless v2 DB instance.' (botocore CreateDBInstance errors; CloudFormation "
        "AWS::RDS::DBCluster ServerlessV2ScalingConfiguration)"
    ),
}


class Strict:
    def __init__(self, spec: str | None = None) -> None:
        spec = (spec or "on").strip()
        self.enabled = spec.lower() not in ("off", "0", "false", "lenient")
        settings = json.loads(spec) if spec.startswith("{") else {}
        unknown = set(settings) - set(SECONDS) - set(QUOTAS)
        if unknown:
            raise ValueError(f"unknown strict settings {sorted(unknown)}; known: {sorted([*SECONDS, *QUOTAS])}")
        self.windows = {**SECONDS, **{kind: float(value) for kind, value in settings.items() if kind in SECONDS}}
        self.quotas = {**QUOTAS, **{kind: int(value) for kind, value in settings.items() if kind in QUOTAS}}

    def seconds(self, kind: str) -> float:
        """The least wall seconds a ``kind`` of transitional state lasts (0 in lenient mode)."""
        return self.windows.get(kind, 0.0) if self.enabled else 0.0

    def quota(self, kind: str) -> int | None:
        """The per-region quota ``kind`` (None in lenient mode: no limit)."""
        return self.quotas[kind] if self.enabled else None

    def describe(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "switch": f"--lenient or {ENVIRONMENT}=off",
            "seconds": self.windows if self.enabled else {},
            "quotas": self.quotas if self.enabled else {},
            "behaviours": BEHAVIOURS if self.enabled else {},
        }


# The emulator's one mode, set from the command line or LIVESTACK_EMULATOR_STRICT at start-up.
current = Strict(os.environ.get(ENVIRONMENT))


def configure(spec: str | None) -> Strict:
    global current
    current = Strict(spec)
    return current
