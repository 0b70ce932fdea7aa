"""livestack-relay: run a Lambda function's handler on this machine, invoked through the stage's relay."""
