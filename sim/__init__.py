"""Agent-based simulator of learning through weak and strong ties, on Mesa."""

__version__ = "0.1.0"
