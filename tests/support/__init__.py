"""What the tests share beyond conftest's fixtures: one way to run a module and the amazon.aws four steps."""
