"""Extensions of the emulator, in two kinds: one module per AWS API that moto lacks or gets wrong.

- ``apis/``: what moto lacks (operations, a data plane), answered by handlers of the ``Registry``;
- ``patches/``: what moto gets wrong, each change of moto's code made by ``patching.patch`` (checked at
  start-up against the moto it was written for) or, for a request answered in moto's place, recorded by
  ``patching.intercept``; ``tests/emulator/test_moto_patches.py`` tells when moto no longer needs one.

Each module of both defines ``register(registry)`` and is loaded at start-up; nothing else needs to
change to add one. Extensions follow the botocore model of the operation they add.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Response

from ..requests import ApiRequest

DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass
class Call:
    """What a handler receives: the classified request, its raw body and the path's captured groups."""

    request: ApiRequest
    body: bytes
    headers: dict[str, str]
    path_args: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        return self.request.params

    @property
    def region(self) -> str:
        return self.request.region or "us-east-1"

    @property
    def account_id(self) -> str:
        return DEFAULT_ACCOUNT_ID


Handler = Callable[[Call], "Response | None"]


class Registry:
    """Routes requests to extension handlers; a handler that returns None hands the call to moto."""

    def __init__(self) -> None:
        self._actions: dict[tuple[str, str], Handler] = {}
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self._resets: list[Callable[[], None]] = []
        # The operations and routes each extension module answers, for the health route.
        self.answered: dict[str, set[str]] = {}
        # Servers running beside the HTTP API that extensions reach (the WebSocket gateway), by name.
        self.services: dict[str, object] = {}

    def action(self, service: str, action: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self._actions[(service, action)] = handler
            self.answered.setdefault(handler.__module__, set()).add(f"{service} {action}")
            return handler

        return decorate

    def route(self, service: str, method: str, path: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self._routes.append((service, method, re.compile(f"^{path}$"), handler))
            self.answered.setdefault(handler.__module__, set()).add(f"{service} {method} {path}")
            return handler

        return decorate

    def on_reset(self, function: Callable[[], None]) -> Callable[[], None]:
        self._resets.append(function)
        return function

    def reset(self) -> None:
        for function in self._resets:
            function()

    def dispatch(self, call: Call) -> Response | None:
        request = call.request
        handler = self._actions.get((request.service or "", request.action or ""))
        if handler is None:
            for service, method, regex, candidate in self._routes:
                match = regex.match(request.path)
                if service == request.service and method == request.method and match:
                    call.path_args = match.groupdict()
                    handler = candidate
                    break
        return handler(call) if handler else None


KINDS = ("apis", "patches")


def load_all(registry: Registry) -> dict[str, list[str]]:
    """Import every extension module of both kinds and let it register its handlers and patches."""
    names: dict[str, list[str]] = {}
    for kind in KINDS:
        package = importlib.import_module(f"{__name__}.{kind}")
        names[kind] = []
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            module.register(registry)
            names[kind].append(info.name)
    return names
