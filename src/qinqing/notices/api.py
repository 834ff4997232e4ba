"""The /api/v1/notices router."""

from ninja import Router

router = Router(tags=["信息发布"])
