"""Intake: integrators POST complaints; each identifier becomes a pseudonymous event on Kafka."""
