"""``os.environ`` set for the length of a call, for calls that may overlap in threads.

``os.environ`` is process-wide. Calls whose variables have the same values may run together (they
all see what they expect); a call with other values waits until those have finished and the
variables are put back. A waiting call stops new calls with other values from being let in, so
it is not starved. Only the named variables are set and put back, so the process's other threads
never see an environment without theirs.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class SharedEnvironment:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._current: tuple[tuple[str, str], ...] | None = None
        self._holders = 0
        self._saved: dict[str, str | None] = {}
        self._waiting: collections.Counter[tuple[tuple[str, str], ...]] = collections.Counter()

    def _admits(self, key: tuple[tuple[str, str], ...]) -> bool:
        if self._holders == 0:
            return True
        others_waiting = any(count for waiting, count in self._waiting.items() if waiting != key)
        return self._current == key and not others_waiting

    @contextmanager
    def applied(self, variables: dict[str, str]) -> Iterator[None]:
        if not variables:
            yield
            return
        key = tuple(sorted(variables.items()))
        with self._condition:
            self._waiting[key] += 1
            try:
                self._condition.wait_for(lambda: self._admits(key))
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
            if self._holders == 0:
                self._saved = {name: os.environ.get(name) for name in variables}
                os.environ.update(variables)
                self._current = key
            self._holders += 1
        try:
            yield
        finally:
            with self._condition:
                self._holders -= 1
                if self._holders == 0:
                    for name, value in self._saved.items():
                        if value is None:
                            os.environ.pop(name, None)
                        else:
                            os.environ[name] = value
                    self._current, self._saved = None, {}
                self._condition.notify_all()
