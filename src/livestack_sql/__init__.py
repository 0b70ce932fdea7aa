"""livestack-sql: a developer's SQL session on a stage's RDS Proxy (IAM token, verified TLS, through the VPN)."""
