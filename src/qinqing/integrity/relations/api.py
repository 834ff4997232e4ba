"""The /api/v1/relations router."""

from ninja import Router

router = Router(tags=["关系图谱"])
