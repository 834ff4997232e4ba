"""The /api/v1/reports router."""

from ninja import Router

router = Router(tags=["举报与调查"])
