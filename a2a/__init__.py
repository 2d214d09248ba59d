"""a2a: train and evaluate embodied agents that ask clarification questions before they act."""

__version__ = "0.1.0"
