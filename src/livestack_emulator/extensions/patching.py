"""The one way an extension changes moto's own code: ``patch``, checked against the moto it was written for.

A patch replaces one attribute of a moto class or module (a method, a property, a table) with what ``build``
makes of the original. It is applied once per process, whatever the number of ``register`` calls (the one
guard: ``_APPLIED``). Before it is applied, the original's signature (``inspect.signature``; a property's
getter and setter; a plain value's type) must be the one the patch was written for, and each private
attribute it relies on must still exist; otherwise ``PatchOutdated`` stops the emulator at start-up with the
moto version, the patched name, the expected and the found signature. A patch that answers a request instead
(``intercept``) declares the private attributes it reads the same way. Every active patch is recorded with
what moto does wrong and the AWS behaviour it restores (``active()``, served by ``/_livestack/health``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

ABSENT = "absent"  # the "signature" of an attribute that moto sets on instances only (see ``found``)


class PatchOutdated(RuntimeError):
    """moto is no longer what a patch was written for: the emulator must not start with it."""


@dataclass(frozen=True)
class Patch:
    name: str  # the patched attribute, "moto.acm.models.AWSCertificateManagerBackend.import_certificate"
    extension: str  # the extension module that applies it
    why: str  # what moto does
    restores: str  # the AWS behaviour the patch restores (with its source)
    signature: str  # what the patch was written for


_APPLIED: dict[tuple[str, str], Patch] = {}  # (extension, name) -> the patch, once per process


def active() -> list[dict[str, str]]:
    """Every patch applied in this process, as the health route lists them."""
    return [asdict(patch) for patch in _APPLIED.values()]


def _qualified(owner: Any, name: str) -> str:
    prefix = owner.__name__ if inspect.ismodule(owner) else f"{owner.__module__}.{owner.__qualname__}"
    return f"{prefix}.{name}"


def _signature(function: Callable[..., Any]) -> str:
    """The parameters (names, kinds, defaults), without annotations: ``(self, arn, tags=None)``."""
    signature = inspect.signature(function)
    parameters = [parameter.replace(annotation=inspect.Parameter.empty) for parameter in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def found(owner: Any, name: str) -> str:
    """What ``owner.name`` is now: a function's signature, a property's ``getter`` and ``setter``, a value's type.

    An attribute that the class does not define (moto sets it in ``__init__``) is ``ABSENT``.
    """
    try:
        value = inspect.getattr_static(owner, name)
    except AttributeError:
        return ABSENT
    if isinstance(value, property):
        setter = _signature(value.fset) if value.fset else "none"
        return f"property getter {_signature(value.fget) if value.fget else 'none'} setter {setter}"
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if callable(value):
        return _signature(value)
    return type(value).__name__


def _set_by_class(owner: Any, attribute: str) -> bool:
    """``self.<attribute>`` in the code of the class or of a base (``__init__``, a method, a property)."""
    for cls in getattr(owner, "__mro__", ()):
        for member in vars(cls).values():
            functions = (member.fget, member.fset) if isinstance(member, property) else (member,)
            for function in functions:
                code = getattr(function, "__code__", None)
                if code is not None and attribute in code.co_names:
                    return True
    return False


def check_requires(owner: Any, attributes: Iterable[str], extension: str) -> None:
    """Each attribute the extension reads is a class or module attribute, or one the class's code sets."""
    for attribute in attributes:
        if not hasattr(owner, attribute) and not _set_by_class(owner, attribute):
            raise PatchOutdated(
                f"moto {version('moto')}: {_qualified(owner, attribute)} no longer exists; the extension "
                f"{extension} relies on it. Review the extension against this moto version."
            )


def patch(
    owner: Any,
    name: str,
    *,
    signature: str,
    why: str,
    restores: str,
    requires: Iterable[str] = (),
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Decorate ``build(original) -> replacement``: sets ``owner.name`` to the replacement, once, if moto fits.

    ``original`` is ``owner.name`` as the class defines it (a function, a property, a value; None when
    ``signature`` is ``ABSENT``). ``requires`` names the private attributes of ``owner`` the replacement reads.
    """

    def decorate(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
        extension = build.__module__
        qualified = _qualified(owner, name)
        key = (extension, qualified)
        if key in _APPLIED:
            return build
        now = found(owner, name)
        if now != signature:
            raise PatchOutdated(
                f"moto {version('moto')} changed {qualified}: the patch of the extension {extension} was written "
                f"for the signature {signature}, found {now}. Review the patch ({why.rstrip('.')}) against this "
                "moto version, or remove it if moto now does what AWS does."
            )
        check_requires(owner, requires, extension)
        original = inspect.getattr_static(owner, name) if signature != ABSENT else None
        replacement = build(original)
        if inspect.isfunction(replacement) and inspect.isfunction(original):
            # Another patch of the same attribute checks the signature of moto's function, not of this wrapper.
            replacement.__wrapped__ = original
        setattr(owner, name, replacement)
        _APPLIED[key] = Patch(qualified, extension, why, restores, signature)
        return build

    return decorate


def intercept(
    name: str,
    extension: str,
    *,
    why: str,
    restores: str,
    requires: Iterable[tuple[Any, Iterable[str]]] = (),
) -> None:
    """Record a patch that answers a request in moto's place (no moto code replaced), after checking
    the private attributes of moto it reads (``requires``: pairs of owner and attribute names)."""
    for owner, attributes in requires:
        check_requires(owner, attributes, extension)
    _APPLIED.setdefault((extension, name), Patch(name, extension, why, restores, "request"))
