"""The one upload check (``common.files``): every accepted file is sound by its structure;
bombs, polyglots and disguised files are refused with a message naming the file."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

import pytest
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from PIL import Image

from qinqing.common.errors import ServiceError
from qinqing.common.files import (
    EXTENSIONS,
    JPEG,
    PDF,
    PNG,
    XLSX,
    UploadRefused,
    UploadTooLarge,
    check_upload,
    check_uploads,
    inspect,
    refuse_several,
)
from qinqing.common.metadata import MetadataError, strip_metadata
from tests import uploads


def check(name: str, content: bytes, max_bytes: int = 10 * 1024 * 1024) -> Any:
    return check_upload(
        uploads.upload(name, content), accept=EXTENSIONS, field="files", max_bytes=max_bytes
    )


def refused(name: str, content: bytes) -> str:
    with pytest.raises(UploadRefused) as caught:
        check(name, content)
    assert caught.value.status == 422
    assert caught.value.field_errors == {"files": [caught.value.message]}
    assert f"“{name}”" in caught.value.message
    return caught.value.message


# --- genuine files pass ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("照片.jpg", uploads.jpeg()),
        ("照片.jpeg", uploads.jpeg()),
        ("截图.png", uploads.png()),
        ("图.webp", uploads.webp()),
        ("批复.pdf", uploads.pdf(pages=2)),
        ("说明.docx", uploads.docx()),
        ("清单.xlsx", uploads.xlsx()),
        ("名单.csv", "企业名称,统一社会信用代码\n甲,1\n".encode()),
    ],
)
def test_genuine_files_of_every_kind_are_accepted(name: str, content: bytes) -> None:
    checked = check(name, content)
    assert checked.name == name and checked.upload.tell() == 0


def test_a_word_file_with_a_chart_keeps_its_embedded_workbook() -> None:
    content = uploads.office(
        "word/", {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": uploads.xlsx()}
    )
    assert check("带图表.docx", content).kind.key == "docx"


def test_a_camera_photo_with_a_second_frame_is_accepted() -> None:
    # the multi-picture format: a preview JPEG after the primary image's end
    assert check("相机.jpg", uploads.jpeg() + uploads.jpeg((8, 8))).kind is JPEG


def test_a_small_harmless_camera_trailer_is_accepted() -> None:
    assert check("三星.jpg", uploads.jpeg() + b"\x00\x00Image_UTC_Data1700000000SEFHSEFT")


# --- decompression bombs ---------------------------------------------------------------------
def test_a_zip_bomb_docx_is_refused_from_its_directory(settings: Any) -> None:
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    settings.UPLOAD_MAX_ZIP_RATIO = 10_000
    bomb = uploads.zip_bomb_docx(unpacked=4 * 1024 * 1024)
    assert len(bomb) < 64 * 1024
    message = refused("举报材料.docx", bomb).replace("\xa0", " ")
    assert "解压后超过2.0 MB" in message and "压缩炸弹" in message


def test_a_part_that_unpacks_far_more_than_it_is_packed_is_refused() -> None:
    message = refused("报告.docx", uploads.zip_bomb_docx(unpacked=2 * 1024 * 1024))
    assert "word/media/zeros.bin" in message and "压缩比异常" in message


def test_a_package_that_lies_about_its_sizes_is_stopped_by_the_running_budget(
    settings: Any,
) -> None:
    # the central directory says 1 KB, the part really unpacks to 4 MB
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    settings.UPLOAD_MAX_ZIP_RATIO = 10_000
    bomb = bytearray(uploads.zip_bomb_docx(unpacked=4 * 1024 * 1024))
    directory = bomb.rfind(b"PK\x01\x02")  # the last part's entry: the zeros
    struct.pack_into("<I", bomb, directory + 24, 1024)
    message = refused("说谎.docx", bytes(bomb))
    assert "未上传" in message


def test_a_package_with_too_many_parts_is_refused(settings: Any) -> None:
    settings.UPLOAD_MAX_ZIP_ENTRIES = 20
    message = refused("零碎.docx", uploads.many_parts_docx(30))
    assert "包含32个部件" in message and "20个的上限" in message


def test_a_20000_by_20000_png_is_refused_without_decoding_it() -> None:
    bomb = uploads.png_bomb(20000, 20000)
    assert len(bomb) < 400 * 1024
    message = refused("现场.png", bomb)
    assert "像素过多" in message and "4000万像素" in message


def test_an_image_just_over_the_pixel_cap_is_refused(settings: Any) -> None:
    settings.UPLOAD_MAX_IMAGE_PIXELS = 10_000
    assert "像素过多" in refused("大图.jpg", uploads.jpeg((101, 100)))
    assert check("小图.jpg", uploads.jpeg((100, 100)))


def test_pillow_itself_is_held_to_the_uploads_pixel_cap(settings: Any) -> None:
    assert Image.MAX_IMAGE_PIXELS == settings.UPLOAD_MAX_IMAGE_PIXELS


def test_cleaning_a_png_bomb_says_it_cannot_be_read_rather_than_failing() -> None:
    with pytest.raises(MetadataError):
        strip_metadata(uploads.png_bomb(20000, 20000), ".png")


def test_cleaning_an_office_file_streams_its_parts_within_the_budget(settings: Any) -> None:
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    with pytest.raises(MetadataError):
        strip_metadata(uploads.zip_bomb_docx(unpacked=3 * 1024 * 1024), ".docx")
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 8 * 1024 * 1024
    clean = strip_metadata(uploads.zip_bomb_docx(unpacked=3 * 1024 * 1024), ".docx")
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        assert archive.getinfo("word/media/zeros.bin").file_size == 3 * 1024 * 1024


# --- polyglots and disguised files -----------------------------------------------------------
def test_a_jpeg_carrying_a_windows_program_is_refused() -> None:
    assert "可执行程序" in refused("照片.jpg", uploads.jpeg() + uploads.PE_PROGRAM)


def test_a_program_hidden_in_a_jpeg_comment_is_refused() -> None:
    photo = uploads.jpeg()
    comment = b"\xff\xfe" + struct.pack(">H", len(uploads.PE_PROGRAM) + 2) + uploads.PE_PROGRAM
    assert "可执行程序" in refused("照片.jpg", photo[:2] + comment + photo[2:])


def test_a_program_with_jpeg_magic_is_refused() -> None:
    assert "不是" in refused("照片.jpg", b"\xff\xd8\xff\xe0" + uploads.PE_PROGRAM)


def test_html_named_pdf_is_refused() -> None:
    assert "不是PDF文件" in refused("合同.pdf", b"<html><script>alert(1)</script></html>")
    page = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n"
    assert "PDF" in refused("合同.pdf", page)
    with_trailer = page + b"startxref\n0\n%%EOF\n"
    assert "网页或脚本" in refused("合同.pdf", with_trailer)


def test_a_pdf_with_something_appended_after_its_end_is_refused() -> None:
    assert "不是完整的PDF" in refused("批复.pdf", uploads.pdf() + b"\nPK\x03\x04" + b"x" * 2000)


def test_an_image_with_a_hidden_archive_after_its_end_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("run.bat", "echo hi")
    assert "附带了其他数据" in refused("截图.png", uploads.png() + archive.getvalue())
    assert "附带了其他数据" in refused("照片.jpg", uploads.jpeg() + archive.getvalue())


def test_a_motion_photo_video_after_the_image_is_refused() -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 400
    assert "动态照片" in refused("动态.jpg", uploads.jpeg() + video)


def test_a_truncated_photo_is_refused() -> None:
    photo = uploads.jpeg((64, 64))
    assert "已损坏或被截断" in refused("断.jpg", photo[: len(photo) // 2])


def test_a_png_named_jpg_is_refused() -> None:
    assert "不是JPG文件" in refused("截图.jpg", uploads.png())


@pytest.mark.parametrize(
    ("part", "content", "words"),
    [
        ("word/evil.zip", b"anything", "压缩包或程序"),
        ("word/media/image1.png", uploads.docx(), "压缩包或程序"),
        ("word/run.exe", uploads.PE_PROGRAM, "压缩包或程序"),
        ("word/embeddings/oleObject1.bin", b"\xd0\xcf" + uploads.PE_PROGRAM, "可执行程序"),
        ("../../etc/cron.d/x", b"x", "不安全"),
        ("/abs.xml", b"x", "不安全"),
        ("word/vbaProject.bin", b"macro", "宏"),
    ],
)
def test_a_package_carrying_something_dangerous_is_refused(
    part: str, content: bytes, words: str
) -> None:
    assert words in refused("合同.docx", uploads.office("word/", {part: content}))


def test_a_zip_renamed_to_xlsx_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hi")
    assert "不是Excel文件" in refused("表.xlsx", archive.getvalue())


def test_a_csv_that_is_really_binary_is_refused() -> None:
    assert "不是文本文件" in refused("名单.csv", b"a,b\n\x00\x01\x02")


# --- the caller's rules ----------------------------------------------------------------------
def test_an_extension_the_caller_does_not_accept_is_refused_naming_what_is_accepted() -> None:
    with pytest.raises(UploadRefused, match="只能上传JPG、PDF文件"):
        check_upload(
            uploads.upload("a.png", uploads.png()),
            accept={".jpg": JPEG, ".pdf": PDF},
            field="f",
            max_bytes=10**6,
        )


def test_a_file_over_the_size_limit_is_refused_as_too_large() -> None:
    with pytest.raises(UploadTooLarge) as caught:
        check("大.png", uploads.png(), max_bytes=10)
    assert caught.value.status == 413


def test_one_bad_file_among_several_refuses_them_all_naming_it() -> None:
    files = [
        uploads.upload("好.jpg", uploads.jpeg()),
        uploads.upload("坏.png", uploads.png_bomb(20000, 20000)),
        uploads.upload("也好.pdf", uploads.pdf()),
    ]
    with pytest.raises(UploadRefused) as caught:
        check_uploads(files, accept=EXTENSIONS, field="attachments", max_bytes=10**7)
    messages = caught.value.field_errors["attachments"]
    assert "“坏.png”" in messages[0] and "好.jpg" not in messages[0]
    assert "3个文件均未上传" in messages[-1]


def test_more_files_than_allowed_are_refused_before_any_is_read() -> None:
    files = [uploads.upload(f"{i}.jpg", b"not read") for i in range(6)]
    with pytest.raises(UploadRefused, match="一次最多上传5个文件，您选择了6个"):
        check_uploads(files, accept=EXTENSIONS, field="f", max_bytes=10**6, max_files=5)


def test_an_endpoint_for_one_file_refuses_several() -> None:
    files = MultiValueDict({"file": [uploads.upload(f"{i}.jpg", b"x") for i in range(6)]})
    with pytest.raises(ServiceError) as caught:
        refuse_several(files, field="file")
    assert caught.value.status == 422 and "您发送了6个" in caught.value.message
    refuse_several(MultiValueDict({"file": [uploads.upload("1.jpg", b"x")]}), field="file")
    refuse_several(QueryDict(), field="file")


def test_inspect_reads_a_stream_and_leaves_it_at_its_start() -> None:
    stream = io.BytesIO(uploads.xlsx())
    stream.seek(5)
    inspect(stream, XLSX, name="表.xlsx", field="file")
    assert stream.tell() == 0
    with pytest.raises(UploadRefused):
        inspect(io.BytesIO(uploads.jpeg()), PNG, name="x.png", field="file")


def test_the_refusal_is_given_in_english_to_an_english_reader() -> None:
    from django.utils import translation

    with translation.override("en"), pytest.raises(UploadRefused) as caught:
        check("bomb.png", uploads.png_bomb(20000, 20000))
    assert caught.value.message.startswith("“bomb.png” has too many pixels")


def test_a_multi_picture_jpeg_from_a_camera_is_accepted() -> None:
    out = io.BytesIO()
    first, preview = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (32, 24), "blue")
    first.save(out, "MPO", save_all=True, append_images=[preview])
    assert check("相机.jpg", out.getvalue()).kind is JPEG
