"""The local AWS emulator: moto's server plus livestack's extensions for what moto lacks."""
