"""The /api/v1/drafts router."""

from ninja import Router

router = Router(tags=["政策草案征求意见"])
