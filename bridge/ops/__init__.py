"""Operations: ``check``, metrics, logging and store diagnostics. May import
``bridge.delivery`` and the layers below it, and ``bridge.settings``."""
