"""`qinqing check --deploy`: what a deployment on several processes must not leave local."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_state_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Warn about state that only one process (or one machine) would see."""
    messages: list[Any] = []
    if not getattr(settings, "CACHE_URL", ""):
        messages.append(
            Warning(
                "缓存在进程内存中：多个 Web 进程（gunicorn --workers N）各有一份，举报的安全校验、"
                "限流和主管密钥交接会失败。/ The cache is in process memory: with more than one "
                "web process, report challenges, rate limits and key hand-overs fail.",
                hint="Set QINQING_CACHE_URL=redis://HOST:6379/1 (docs/operations.md).",
                id="qinqing.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and not getattr(
        settings, "S3_BUCKET", ""
    ):
        messages.append(
            Warning(
                "附件保存在本机磁盘：只有这一台机器能提供下载。/ Stored files are on this "
                "machine's disk: web nodes on other machines cannot serve them.",
                hint="Set QINQING_S3_BUCKET (and QINQING_S3_ENDPOINT_URL) for object storage, "
                "or share QINQING_MEDIA_ROOT between the machines.",
                id="qinqing.W002",
            )
        )
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend.endswith(("ImmediateBackend", "DummyBackend")):
        messages.append(
            Error(
                "后台任务不会进入队列。/ Background tasks are not queued "
                f"(TASKS backend {backend}).",
                hint="Unset QINQING_TASK_BACKEND, or set QINQING_QUEUE_URL for Redis.",
                id="qinqing.E001",
            )
        )
    return messages
