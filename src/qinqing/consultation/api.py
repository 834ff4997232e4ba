"""The /api/v1/surveys router."""

from ninja import Router

router = Router(tags=["意见征询"])
