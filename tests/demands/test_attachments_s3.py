"""Attachments on S3-compatible object storage (QINQING_S3_BUCKET): stored in the private
bucket, downloaded only through the permission check, never by a public URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from qinqing.demands.models import Attachment

from ..s3 import S3Server, web_start_up_failure
from .test_attachments import PHOTO, body, client_of, download_url, upload


@pytest.fixture
def bucket(settings: Any, s3_server: S3Server) -> str:
    name = s3_server.new_bucket()
    settings.STORAGES = s3_server.storages(name)
    settings.S3_BUCKET = name
    return name


@pytest.fixture
def demand(cases: Any) -> Any:
    return cases.submit()


def test_a_photo_goes_to_the_bucket_and_comes_back_only_through_the_permission_check(
    cases, demand, bucket, s3_server, rival
) -> None:
    response = client_of(cases.firm_user).post(
        f"/demands/{demand.pk}/attachments/", {"attach-attachments": [upload("现场照片.jpg")]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(demand=demand)

    assert s3_server.keys(bucket) == [attachment.file.name]  # in the bucket, not on disk
    assert (
        s3_server.client().get_object(Bucket=bucket, Key=attachment.file.name)["Body"].read()
        == PHOTO
    )

    response = client_of(cases.handler).get(download_url(attachment))
    assert response.status_code == 200 and body(response) == PHOTO  # streamed by the app
    assert "Location" not in response  # no redirect to a bucket URL

    assert client_of(rival).get(download_url(attachment)).status_code in (403, 404)


@pytest.fixture
def rival(cases: Any) -> Any:
    from qinqing.accounts.models import Role
    from qinqing.accounts.services import role_grant

    from ..factories import UserFactory

    user = UserFactory(username="yi_firm_s3", display_name="乙企业")
    role_grant(actor=None, user=user, role=Role.ENTERPRISE, enterprise=cases.world.firm_b)
    return user


def test_the_bucket_is_private(bucket, s3_server) -> None:
    import urllib.error
    import urllib.request

    name = default_storage.save("probe/private.txt", __import__("io").BytesIO(b"secret"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.endpoint}/{bucket}/{name}", timeout=5)
    assert refused.value.code == 403


def test_a_missing_bucket_is_one_clear_line_at_start_up(s3_server, tmp_path: Path) -> None:
    line = web_start_up_failure(
        {
            "QINQING_VAR_DIR": str(tmp_path),
            "QINQING_CACHE_URL": "",
            "QINQING_S3_BUCKET": "no-such-bucket",
            "QINQING_S3_ENDPOINT_URL": s3_server.endpoint,
            "AWS_ACCESS_KEY_ID": s3_server.access_key,
            "AWS_SECRET_ACCESS_KEY": s3_server.secret_key,
            "QINQING_S3_REGION": s3_server.region,
            "QINQING_TASK_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        }
    )
    assert "文件存储 / file storage (s3 no-such-bucket)" in line
