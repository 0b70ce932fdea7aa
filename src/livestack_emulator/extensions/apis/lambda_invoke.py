"""Lambda's Invoke, run by ``lambda_runner`` (a runtime process per execution environment), not moto's Docker.

Invoke follows the botocore ``lambda`` model: ``POST /2015-03-31/functions/{FunctionName}/invocations``
with ``Qualifier`` and the headers ``X-Amz-Invocation-Type``, ``X-Amz-Log-Type`` and
``X-Amz-Client-Context``. ``RequestResponse`` answers 200 with the function's payload, plus
``X-Amz-Function-Error: Unhandled`` when it failed, ``X-Amz-Log-Result`` (the last 4 KB of its
log, base64) with ``LogType: Tail``, and ``X-Amz-Executed-Version``; ``Event`` answers 202 and runs
the function in the background; ``DryRun`` answers 204. A payload that is not JSON is
``InvalidRequestContentException``, one over 6 MB (1 MB for Event) ``RequestTooLargeException``,
an unknown function or version ``ResourceNotFoundException``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from urllib.parse import unquote

from werkzeug.wrappers import Response

from ...lambda_runner import LambdaError, LambdaRunner, Unsupported, find_function
from ...protocol import json_error
from .. import Call, Registry
from ..patches import lambda_strict

SYNC_REQUEST_LIMIT = 6 * 1024 * 1024
EVENT_REQUEST_LIMIT = 1024 * 1024
LOG = logging.getLogger(__name__)


def register(registry: Registry) -> None:
    def runner() -> LambdaRunner:
        return registry.services["lambda_runner"]

    @registry.action("lambda", "Invoke")
    def invoke(call: Call) -> Response:
        name = unquote(call.request.path.rstrip("/").split("/")[-2])
        qualifier = call.params.get("Qualifier") or None
        invocation_type = call.headers.get("x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            message = (
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )
            return json_error("InvalidParameterValueException", message, 400)
        try:
            function = find_function(name, call.region, call.account_id, qualifier)
        except LambdaError:
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{call.region}:{call.account_id}:function:{name}"
            suffix = f":{qualifier}" if qualifier and not name.startswith("arn:") else ""
            return json_error("ResourceNotFoundException", f"Function not found: {arn}{suffix}", 404)
        conflict = lambda_strict.pending(function)
        if conflict:
            return json_error("ResourceConflictException", conflict, 409)
        limit, operation = (
            (EVENT_REQUEST_LIMIT, "InvokeAsync") if invocation_type == "Event" else (SYNC_REQUEST_LIMIT, "Invoke")
        )
        if len(call.body) > limit:
            message = f"Request must be smaller than {limit} bytes for the {operation} operation"
            return json_error("RequestTooLargeException", message, 413)
        if call.body:
            try:
                json.loads(call.body)
            except ValueError as error:
                message = f"Could not parse request body into json: Could not parse payload into json: {error}"
                return json_error("InvalidRequestContentException", message, 400)
        client_context = None
        if call.headers.get("x-amz-client-context"):
            try:
                client_context = json.loads(base64.b64decode(call.headers["x-amz-client-context"]))
            except (binascii.Error, ValueError):
                message = "Client context must be a valid Base64-encoded JSON object."
                return json_error("InvalidParameterValueException", message)
        if invocation_type == "DryRun":
            return Response(status=204)
        unqualified = ":".join(function.function_arn.split(":")[:7])
        invoked_arn = name if name.startswith("arn:") else f"{unqualified}:{qualifier}" if qualifier else unqualified
        options = {"invoked_arn": invoked_arn, "client_context": client_context}
        try:
            if invocation_type == "Event":
                runner().submit(function, call.body, **options).add_done_callback(_report)
                return Response(status=202)
            result = runner().invoke(function, call.body, **options)
        except Unsupported as error:
            return json_error("InvalidRuntimeException", str(error), 502)
        response = Response(result.payload, status=200, content_type="application/json")
        response.headers["X-Amz-Executed-Version"] = result.executed_version
        if result.function_error:
            response.headers["X-Amz-Function-Error"] = result.function_error
        if call.headers.get("x-amz-log-type") == "Tail":
            response.headers["X-Amz-Log-Result"] = result.log_tail()
        return response


def _report(future) -> None:  # noqa: ANN001 - a Future of the runner
    """An Event invocation has no caller to tell: its failure goes to the emulator's log, as to CloudWatch."""
    try:
        result = future.result()
    except LambdaError as error:
        LOG.warning("Event invocation not run: %s", error)
        return
    if result.function_error:
        LOG.warning("Event invocation failed: %s", result.payload.decode(errors="replace"))
