"""Extensions of the second kind: what moto gets wrong, each through ``extensions.patching``."""
