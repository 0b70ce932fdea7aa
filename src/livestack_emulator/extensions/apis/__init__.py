"""Extensions of the first kind: the AWS APIs (operations, data planes) that moto lacks."""
