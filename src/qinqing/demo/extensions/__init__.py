"""Each app's part of the demo load: ``<label>.write(ctx)``, called in ``ORDER``."""

ORDER = [
    "calendar",
    "consultation",
    "drafts",
    "notices",
    "matching",
    "emergency",
    "integrity",
    "relations",
    "reports",
    "exemption",
    "index",
]
