"""ParkHQ 工业园区高质量发展平台.

Layers (see docs/architecture.md): ``reference`` → ``store`` / ``analysis`` / ``ingest`` →
``services`` → ``web`` and ``cli``.
"""

__version__ = "0.1.0"
