"""The /api/v1/exemption router."""

from ninja import Router

router = Router(tags=["容错免责"])
