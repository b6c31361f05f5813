"""Use cases. One module per capability; each public function owns its transaction.

Services take a :class:`~parkhq.store.db.Database` and a
:class:`~parkhq.services.access.Principal`, apply the principal's scope through
:func:`parkhq.store.scope.scoped`, and return pydantic schemas (never ORM rows).
"""
