"""The /api/v1/matching router."""

from ninja import Router

router = Router(tags=["供需对接"])
