"""The /api/v1/integrity router."""

from ninja import Router

router = Router(tags=["廉情监督"])
