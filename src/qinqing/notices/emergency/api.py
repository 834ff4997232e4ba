"""The /api/v1/emergency router."""

from ninja import Router

router = Router(tags=["协同监测"])
