"""The store: SQLAlchemy 2 models, Alembic migrations, sessions and frame loaders.

``store`` is the only layer that speaks SQL. Big reads leave it as Polars frames through ADBC
(:mod:`parkhq.store.frames`), never as ORM objects.
"""
