"""The default category tree with its deadlines (working days); admins edit it later."""

from django.db import migrations

# code, name, parent code, acceptance, response, resolution
CATEGORIES = [
    ("tax", "税费", None, 1, 2, 5),
    ("market", "市场监管", None, 1, 2, 10),
    ("land", "用地规划", None, 1, 3, 15),
    ("environment", "环保", None, 1, 2, 10),
    ("labour", "用工社保", None, 1, 2, 10),
    ("finance", "融资", None, 1, 3, 10),
    ("permit", "审批许可", None, 1, 2, 10),
    ("permit-power", "用电报装与增容", "permit", 1, 2, 10),
    ("legal", "法律纠纷", None, 1, 3, 15),
    ("policy", "政策咨询", None, 1, 1, 3),
    ("infrastructure", "基础设施", None, 1, 3, 15),
    ("emergency-supply", "应急物资", None, 1, 1, 2),
    ("other", "其他", None, 1, 2, 10),
]


def forward(apps, schema_editor):
    Category = apps.get_model("demands", "Category")
    by_code = {}
    for code, name, parent, acceptance, response, resolution in CATEGORIES:
        by_code[code], _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "parent": by_code.get(parent), "acceptance_days": acceptance,
                "response_days": response, "resolution_days": resolution,
            },
        )


def backward(apps, schema_editor):
    apps.get_model("demands", "Category").objects.filter(
        code__in=[c[0] for c in CATEGORIES], demands__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("demands", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
