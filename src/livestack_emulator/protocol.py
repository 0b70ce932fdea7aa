"""Responses in the wire formats of the AWS protocols, for the emulator's extensions."""

from __future__ import annotations

import json
import uuid

from werkzeug.wrappers import Response


def request_id() -> str:
    return str(uuid.uuid4())


def ec2_error(code: str, message: str, status: int = 400) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
        f"<Message>{_escape(message)}</Message></Error></Errors><RequestID>{request_id()}</RequestID></Response>"
    )
    return Response(body, status=status, content_type="text/xml")


def query_response(action: str, inner_xml: str, namespace: str) -> Response:
    """A response of the awsquery protocol (RDS, IAM, STS)."""
    body = (
        f'<{action}Response xmlns="{namespace}"><{action}Result>{inner_xml}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id()}</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(body, status=200, content_type="text/xml")


def query_error(code: str, message: str, status: int = 400, sender: bool = True) -> Response:
    kind = "Sender" if sender else "Receiver"
    body = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{_escape(message)}</Message>"
        f"</Error><RequestId>{request_id()}</RequestId></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")


def json_response(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def json_error(code: str, message: str, status: int = 400) -> Response:
    """An error of the json and rest-json protocols (botocore reads __type or x-amzn-ErrorType)."""
    response = Response(
        json.dumps({"__type": code, "message": message, "Message": message}),
        status=status,
        content_type="application/json",
    )
    response.headers["x-amzn-ErrorType"] = code
    return response


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
