"""The /api/v1/index router."""

from ninja import Router

router = Router(tags=["亲清指数"])
