"""The harness for `make up`, the tests and the benchmarks: the local Kafka broker, service
processes, the demo webhook receiver and mail catcher, synthetic complaints, the oracle of what a
stream is owed, test keys and districts, and the generated contracts. It is its own distribution
(harness/pyproject.toml): the production image and the runtime lock carry none of it, and no
runtime package imports it (tests/unit/test_code_layout.py)."""
